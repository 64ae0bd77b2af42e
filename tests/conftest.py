from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import Signal
from django.test import Client
from django.views.debug import get_default_exception_reporter_filter

from rememberme import signals
from rememberme.conf import app_settings
from rememberme.crypto import CookieValue, parse_cookie_value
from rememberme.models import RememberToken

PASSWORD = "correct horse battery staple"


@contextmanager
def receiving(signal: Signal) -> Iterator[list[dict[str, Any]]]:
    """Collect the keyword arguments of every sending of ``signal``."""
    calls: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        calls.append(kwargs)

    signal.connect(receiver, weak=False)
    try:
        yield calls
    finally:
        signal.disconnect(receiver)


@pytest.fixture
def thefts() -> Iterator[list[dict[str, Any]]]:
    with receiving(signals.theft_detected) as calls:
        yield calls


@pytest.fixture
def ended() -> Iterator[list[dict[str, Any]]]:
    with receiving(signals.session_ended) as calls:
        yield calls


@pytest.fixture
def revoked_signals() -> Iterator[list[dict[str, Any]]]:
    with receiving(signals.token_revoked) as calls:
        yield calls


def _reset_reporter_filter(*, setting: str, **kwargs: Any) -> None:
    # Django caches the default exception reporter filter for the life of
    # the process and does not reset it when the setting is overridden.
    if setting == "DEFAULT_EXCEPTION_REPORTER_FILTER":
        get_default_exception_reporter_filter.cache_clear()  # type: ignore[attr-defined]


setting_changed.connect(_reset_reporter_filter, dispatch_uid="tests.reporter_filter")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("REMEMBERME_TEST_POSTGRES"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set REMEMBERME_TEST_POSTGRES=1")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", PASSWORD)


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.com", PASSWORD)


def login(client: Client, username: str = "alice", *, remember: bool = True, **extra: Any) -> Any:
    """Sign in through the bundled login view; return the response."""
    data = {"username": username, "password": PASSWORD}
    if remember:
        data["remember_me"] = "on"
    return client.post("/accounts/login/", data, **extra)


def token_cookie(client: Client) -> str | None:
    morsel = client.cookies.get(app_settings.COOKIE_NAME)
    return morsel.value if morsel is not None and morsel.value else None


def parsed(cookie: str | None) -> CookieValue:
    """Return the parsed token cookie, failing the test if it is not one."""
    value = parse_cookie_value(cookie)
    assert value is not None, "not a token cookie"
    return value


def close_browser(client: Client) -> None:
    """Drop the session cookie, as a browser does at close for a session cookie."""
    client.cookies.pop(settings.SESSION_COOKIE_NAME, None)


def whoami(client: Client) -> dict[str, Any]:
    result: dict[str, Any] = client.get("/whoami/").json()
    return result


@pytest.fixture
def remembered(client, user):
    """A client signed in with "Remember me", and its token."""
    response = login(client)
    assert response.status_code == 302
    return client, RememberToken.objects.get(user=user)
