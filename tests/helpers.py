"""Helpers the tests import; fixtures live in ``conftest.py``."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.conf import settings
from django.dispatch import Signal
from django.test import Client
from freezegun import freeze_time

from rememberme.internal import crypto
from rememberme.internal.conf import app_settings
from rememberme.internal.cookie import CookieValue, parse_cookie_value

__all__ = [
    "BACKEND",
    "EPOCH",
    "PASSWORD",
    "browser_with",
    "close_browser",
    "login",
    "parsed",
    "receiving",
    "token_cookie",
    "whoami",
]

PASSWORD = "correct horse battery staple"
#: The backend a test issues tokens under when it skips the login view.
BACKEND = "django.contrib.auth.backends.ModelBackend"
#: The time the tests that move the clock start from. Aware, as Django
#: stores times with USE_TZ; freezegun treats it as the same instant.
EPOCH = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)


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


def browser_with(
    cookie: str,
    *,
    session: str | None = None,
    client_class: Any = Client,
    **client_options: Any,
) -> Any:
    """
    Return a browser that holds only this token cookie (and ``session``'s
    cookie if given): what a remembered browser sends after it was closed.
    ``client_class`` may be ``AsyncClient``; the options go to the client.
    """
    client = client_class(**client_options)
    client.cookies[app_settings.COOKIE_NAME] = cookie
    if session:
        client.cookies[settings.SESSION_COOKIE_NAME] = session
    return client


def an_hour_later(seconds: float = 0) -> Any:
    """
    Freeze the clock ``seconds`` after the hour that follows ``EPOCH``: when
    the protocol tests' remembered browser, signed in at ``EPOCH``, comes back.
    """
    return freeze_time(EPOCH + datetime.timedelta(hours=1, seconds=seconds))


#: The password change_password() sets.
NEW_PASSWORD = "a much newer passphrase 42"


def change_password(client: Any) -> Any:
    """Change alice's password through the test site's form (Django's view), as a browser does."""
    return client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


@contextmanager
def counting_argon2() -> Iterator[tuple[Any, Any]]:
    """Count the package's Argon2 work: yield the (verify, hash) mocks, wrapping the real ones."""
    with (
        mock.patch(
            "rememberme.internal.tokens.verify_verifier", wraps=crypto.verify_verifier
        ) as verify,
        mock.patch(
            "rememberme.internal.tokens.hash_verifier", wraps=crypto.hash_verifier
        ) as hash_,
    ):
        yield verify, hash_
