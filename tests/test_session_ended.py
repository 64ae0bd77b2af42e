"""
``session_ended``: logout, revoked and expired, with the user where the
session engine can still know it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import logout
from django.test import Client
from freezegun import freeze_time

from rememberme import signals
from rememberme.models import RememberToken
from tests.helpers import EPOCH, close_browser, login, token_cookie, whoami
from tests.support.engines import engine, moves_time, session_cookie

__all__ = ["engine"]

pytestmark = pytest.mark.django_db

AGE = 600
LATER = EPOCH + datetime.timedelta(seconds=AGE + 5)

# What each engine still knows of an expired session's user (see
# rememberme/expiry.py and docs/howto/expiry-vs-logout.rst).
USER_KNOWN = {"db": True, "cached_db": True, "signed_cookies": True, "file": True, "cache": False}


@pytest.fixture(autouse=True)
def _ages(settings: Any) -> None:
    settings.REMEMBERME_SESSION_AGE = AGE
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = AGE


@pytest.fixture
def ended() -> Iterator[list[dict[str, Any]]]:
    """Every session_ended sent (and session_restored, as reason "restored")."""
    events: list[dict[str, Any]] = []
    signals.session_ended.connect(
        lambda **kw: events.append(kw), weak=False, dispatch_uid="test-ended"
    )
    signals.session_restored.connect(
        lambda **kw: events.append({**kw, "reason": "restored"}),
        weak=False,
        dispatch_uid="test-ended-restored",
    )
    yield events
    signals.session_ended.disconnect(dispatch_uid="test-ended")
    signals.session_restored.disconnect(dispatch_uid="test-ended-restored")


def reasons(events: list[dict[str, Any]]) -> list[str]:
    return [event["reason"] for event in events]


def test_logout(engine: str, user: Any, ended: list[dict[str, Any]]) -> None:
    client = Client()
    login(client)
    token = RememberToken.objects.get(user=user)
    client.post("/accounts/logout/")
    assert reasons(ended) == ["logout"]
    assert ended[0]["user"] == user
    assert ended[0]["token"].pk == token.pk


def test_any_logout_call(rf: Any, user: Any, ended: list[dict[str, Any]]) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/")
    request.session = SessionStore()
    request.user = user
    logout(request)
    assert reasons(ended) == ["logout"]
    assert ended[0]["token"] is None


def test_revoked(engine: str, user: Any, ended: list[dict[str, Any]], settings: Any) -> None:
    moves_time(engine)
    settings.REMEMBERME_REVALIDATE_INTERVAL = 60
    client = Client()
    with freeze_time(EPOCH) as frozen:
        login(client)
        token = RememberToken.objects.get(user=user)
        token.revoke("admin")
        frozen.tick(61)
        assert whoami(client)["user"] is None
    assert reasons(ended) == ["revoked"]
    assert ended[0]["user"] == user
    assert ended[0]["token"].pk == token.pk


def test_expired_without_token(engine: str, user: Any, ended: list[dict[str, Any]]) -> None:
    moves_time(engine)
    client = Client()
    with freeze_time(EPOCH) as frozen:
        login(client, remember=False)
        frozen.move_to(LATER)
        assert whoami(client)["user"] is None
        assert reasons(ended) == ["expired"]
        assert ended[0]["user"] == (user if USER_KNOWN[engine] else None)
        assert ended[0]["token"] is None
        # Reported once: the browser got rid of the dead cookie.
        whoami(client)
        assert reasons(ended) == ["expired"]


def test_expired_then_restored(engine: str, user: Any, ended: list[dict[str, Any]]) -> None:
    """Sent before the token restores a new session, so apps see the expiry first."""
    moves_time(engine)
    client = Client()
    with freeze_time(EPOCH) as frozen:
        login(client)
        token = RememberToken.objects.get(user=user)
        frozen.move_to(LATER)
        assert whoami(client) == {"user": "alice", "restored": True}
    assert reasons(ended) == ["expired", "restored"]
    assert ended[0]["user"] == user
    assert ended[0]["token"].pk == token.pk


def test_browser_close_then_restored(user: Any, ended: list[dict[str, Any]]) -> None:
    client = Client()
    login(client)
    close_browser(client)
    assert whoami(client)["restored"] is True
    assert reasons(ended) == ["expired", "restored"]
    assert ended[0]["user"] == user


def test_expired_with_unusable_token(
    engine: str, user: Any, ended: list[dict[str, Any]], settings: Any
) -> None:
    """An expired session is reported even when the token cannot restore it."""
    moves_time(engine)
    client = Client()
    with freeze_time(EPOCH) as frozen:
        login(client)
        # Unusable from the password on (a revocation, by contrast, ends the
        # session there and then: tests/test_revocation_ends_sessions.py).
        type(user).objects.filter(pk=user.pk).update(password=user.password + "x")
        frozen.move_to(LATER)
        assert whoami(client)["user"] is None
    assert reasons(ended) == ["expired"]
    assert ended[0]["user"] == (user if USER_KNOWN[engine] else None)


def test_expired_with_malformed_token_cookie(user: Any, ended: list[dict[str, Any]]) -> None:
    client = Client()
    with freeze_time(EPOCH) as frozen:
        login(client, remember=False)
        client.cookies["rememberme"] = "not-a-token"
        frozen.move_to(LATER)
        assert whoami(client)["user"] is None
    assert reasons(ended) == ["expired"]
    assert ended[0]["user"] == user


@pytest.mark.parametrize("name", ["db", "signed_cookies"])
def test_no_expiry_for_a_session_that_was_signed_out(
    name: str, user: Any, ended: list[dict[str, Any]], settings: Any, tmp_path: Any
) -> None:
    """
    A tab still holding the cookie of a session signed out in another tab
    (db), or a made-up cookie: the logout was already reported, nothing
    expired.
    """
    from tests.support.engines import configure

    configure(name, settings, tmp_path)
    client = Client()
    login(client, remember=False)
    stale = session_cookie(client)
    client.post("/accounts/logout/")
    assert reasons(ended) == ["logout"]
    if name == "signed_cookies":
        stale = "made-up" + (stale or "")
    client.cookies[settings.SESSION_COOKIE_NAME] = stale or ""
    assert whoami(client)["user"] is None
    assert reasons(ended) == ["logout"]


def test_db_user_read_from_expired_row_until_clearsessions(
    user: Any, ended: list[dict[str, Any]]
) -> None:
    from django.core.management import call_command

    client = Client()
    other = Client()
    with freeze_time(EPOCH) as frozen:
        login(client, remember=False)
        login(other, remember=False)
        frozen.move_to(LATER)
        call_command("clearsessions")
        assert whoami(client)["user"] is None
    # The row is gone: nothing is left that says this cookie was a session.
    assert ended == []


def test_signed_cookie_past_its_own_expiry_is_refused(
    user: Any, ended: list[dict[str, Any]], settings: Any, tmp_path: Any
) -> None:
    """
    Django's signed_cookies engine enforces only SESSION_COOKIE_AGE (two
    weeks), not a session's own shorter expiry (ticket #19201): a copied
    cookie would keep working. rememberme enforces the session's expiry.
    """
    from tests.support.engines import configure

    configure("signed_cookies", settings, tmp_path)
    client = Client()
    with freeze_time(EPOCH) as frozen:
        login(client, remember=False)
        copied = session_cookie(client)
        frozen.move_to(LATER)
        thief = Client()
        thief.cookies[settings.SESSION_COOKIE_NAME] = copied or ""
        assert whoami(thief)["user"] is None
    assert reasons(ended) == ["expired"]
    assert ended[0]["user"] == user


def test_status_sends_nothing(engine: str, user: Any, ended: list[dict[str, Any]]) -> None:
    moves_time(engine)
    client = Client()
    with freeze_time(EPOCH) as frozen:
        login(client)
        frozen.move_to(LATER)
        assert client.get("/accounts/status/").json()["authenticated"] is False
        assert ended == []
        assert token_cookie(client)
        assert whoami(client)["restored"] is True
    assert reasons(ended) == ["expired", "restored"]


def test_session_cookie_name_setting_is_honoured(
    user: Any, ended: list[dict[str, Any]], settings: Any
) -> None:
    settings.SESSION_COOKIE_NAME = "custom_sid"
    client = Client()
    with freeze_time(EPOCH) as frozen:
        login(client, remember=False)
        assert session_cookie(client)
        frozen.move_to(LATER)
        whoami(client)
    assert reasons(ended) == ["expired"]
    assert ended[0]["user"] == user
    assert settings.SESSION_COOKIE_NAME in client.cookies
