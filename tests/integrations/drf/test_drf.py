"""The how-to's DRF login endpoint: session authentication, remember-me by rememberme.login()."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.test import Client

from rememberme.models import RememberToken
from tests.helpers import PASSWORD, close_browser, token_cookie

pytestmark = pytest.mark.django_db


@pytest.fixture
def app() -> Client:
    """A single-page app's browser: CSRF enforced, the token read from the cookie."""
    client = Client(enforce_csrf_checks=True)
    assert client.get("/api/csrf/").status_code == 204
    return client


def post(client: Client, url: str, data: dict | None = None):
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    return client.post(url, data or {}, content_type="application/json", HTTP_X_CSRFTOKEN=token)


def sign_in(client: Client, *, remember: bool):
    return post(
        client, "/api/login/", {"username": "alice", "password": PASSWORD, "remember_me": remember}
    )


def me(client: Client) -> int:
    return client.get("/api/me/").status_code


def test_remembered_api_login_survives_a_browser_restart(app: Client, user) -> None:
    response = sign_in(app, remember=True)
    assert response.status_code == 200
    assert response.json() == {"username": "alice"}
    assert RememberToken.objects.filter(user=user).count() == 1
    assert token_cookie(app) is not None

    close_browser(app)
    assert me(app) == 200


def test_unremembered_api_login_gets_the_short_session(app: Client, user) -> None:
    sign_in(app, remember=False)
    assert not RememberToken.objects.exists()
    assert app.session.get_expire_at_browser_close()
    close_browser(app)
    assert me(app) == 403


def test_unremembered_session_age_is_applied(app: Client, user, settings) -> None:
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = datetime.timedelta(minutes=30)
    sign_in(app, remember=False)
    assert app.session.get_expiry_age() == 1800


def test_api_logout_revokes_the_token(app: Client, user) -> None:
    sign_in(app, remember=True)
    token = RememberToken.objects.get(user=user)
    assert post(app, "/api/logout/").status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    close_browser(app)
    assert me(app) == 403


def test_wrong_password_signs_nobody_in(app: Client, user) -> None:
    response = post(
        app, "/api/login/", {"username": "alice", "password": "wrong", "remember_me": True}
    )
    assert response.status_code == 400
    assert not RememberToken.objects.exists()
    assert me(app) == 403


def test_login_without_the_csrf_token_is_refused(user) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/login/",
        {"username": "alice", "password": PASSWORD, "remember_me": True},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not RememberToken.objects.exists()
