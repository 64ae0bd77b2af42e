from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.test import Client

from rememberme.models import RememberToken

PASSWORD = "correct horse battery staple"


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


def login(client: Client, username: str = "alice", *, remember: bool = True, **extra):
    """Sign in through the bundled login view; return the response."""
    data = {"username": username, "password": PASSWORD}
    if remember:
        data["remember_me"] = "on"
    return client.post("/accounts/login/", data, **extra)


def token_cookie(client: Client) -> str | None:
    morsel = client.cookies.get(
        settings.REMEMBERME_COOKIE_NAME
        if hasattr(settings, "REMEMBERME_COOKIE_NAME")
        else "rememberme"
    )
    return morsel.value if morsel is not None and morsel.value else None


def close_browser(client: Client) -> None:
    """Drop the session cookie, as a browser does at close for a session cookie."""
    client.cookies.pop(settings.SESSION_COOKIE_NAME, None)


def whoami(client: Client) -> dict:
    return client.get("/whoami/").json()


@pytest.fixture
def remembered(client, user):
    """A client signed in with "Remember me", and its token."""
    response = login(client)
    assert response.status_code == 302
    return client, RememberToken.objects.get(user=user)
