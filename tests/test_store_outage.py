"""
A session-store outage never turns an owner into a thief.

Django's cache session engine reads a failing cache as "no session", so a
Redis outage looks, to the middleware, like browsers whose sessions are
gone. Whatever its length, and whether the store comes back with its data
or without, every browser that was signed in is signed in again afterwards,
on its old session or through its token. The store here is a local-memory
cache that can be switched off (tests/support/switchable_cache.py); the same is
run against a real Redis server stopped and started in
tests/test_store_outage_redis.py.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from freezegun import freeze_time

from rememberme.models import RememberToken
from tests.helpers import EPOCH, login, token_cookie
from tests.support.switchable_cache import SwitchableCache

pytestmark = pytest.mark.django_db

BROWSERS = 5


def at(seconds: float):
    return freeze_time(EPOCH + datetime.timedelta(seconds=seconds))


@pytest.fixture
def store(settings: Any) -> Iterator[type[SwitchableCache]]:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": {
            "BACKEND": "tests.support.switchable_cache.SwitchableCache",
            "LOCATION": "rememberme-outage",
        },
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.SESSION_CACHE_ALIAS = "sessions"
    SwitchableCache.failing = ""
    caches["sessions"].clear()
    yield SwitchableCache
    SwitchableCache.failing = ""
    caches["sessions"].clear()


@pytest.fixture
def owners(user: Any, store: Any) -> list[Client]:
    browsers = []
    with at(0):
        for _ in range(BROWSERS):
            browser = Client(raise_request_exception=False)
            login(browser)
            browsers.append(browser)
    return browsers


def whoami(browser: Client) -> tuple[int, str | None]:
    response = browser.get("/whoami/")
    return response.status_code, response.json()["user"] if response.status_code == 200 else None


def everyone_signed_in_again(owners: list[Client], thefts: list[Any], when: float) -> None:
    with at(when):
        assert [whoami(b) for b in owners] == [(200, "alice")] * len(owners)
    assert thefts == []
    assert RememberToken.objects.filter(revoked_at__isnull=True).count() == len(owners)
    # And after a browser restart, through the token.
    for browser in owners:
        browser.cookies.pop("sessionid", None)
    with at(when + 3600):
        assert [whoami(b) for b in owners] == [(200, "alice")] * len(owners)
    assert thefts == []


@pytest.mark.parametrize("seconds", [3, 45, 600])
@pytest.mark.parametrize("keeps_data", [True, False], ids=["with-data", "without-data"])
def test_an_outage_of_any_length_signs_nobody_out(owners, store, thefts, seconds, keeps_data):
    store.failing = "rw"
    # Every browser keeps trying during the outage, past the grace window.
    for moment in range(1, seconds + 1, max(1, seconds // 6)):
        with at(moment):
            for browser in owners:
                status, user = whoami(browser)
                assert user is None
                assert status in (200, 500)
    store.failing = ""
    if not keeps_data:
        caches["sessions"].clear()
    everyone_signed_in_again(owners, thefts, seconds + 1)


def test_a_restore_finds_the_store_down_before_it_rotates(owners, store, caplog):
    owner = owners[0]
    cookie = token_cookie(owner)
    store.failing = "rw"
    with at(10), caplog.at_level(logging.WARNING, logger="rememberme"):
        response = owner.get("/whoami/")
    assert response.status_code == 200
    assert response.json()["user"] is None
    # Not rotated, not deleted.
    assert "rememberme" not in response.cookies
    assert token_cookie(owner) == cookie
    assert not RememberToken.objects.filter(previous_verifier_hash__gt=b"").exists()
    assert any("session store is unreachable" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("seconds", [3, 45])
def test_a_store_that_fails_after_the_rotation_committed(
    owners, store, thefts, monkeypatch, caplog, seconds
):
    # The store answers the restore's probe, then fails: the rotation
    # commits, the session save fails (a 500), the new cookie never arrives.
    monkeypatch.setattr("rememberme.internal.restore.store_answers", lambda session: True)
    store.failing = "rw"
    with caplog.at_level(logging.ERROR, logger="rememberme"):
        for moment in range(1, seconds + 1, max(1, seconds // 6)):
            with at(moment):
                for browser in owners:
                    assert whoami(browser) == (500, None)
    assert RememberToken.objects.filter(previous_verifier_hash__gt=b"").count() == len(owners)
    # The package says what the failure means, beyond Django's own log line.
    assert any("after its remember-me token was rotated" in r.getMessage() for r in caplog.records)
    store.failing = ""
    # Each browser is back on its old session, which carries no mark of the
    # rotation; once it ends, the cookie the browser still holds restores it.
    everyone_signed_in_again(owners, thefts, seconds + 1)
