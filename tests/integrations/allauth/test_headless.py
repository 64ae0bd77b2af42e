"""
allauth.headless: app clients (X-Session-Token) never get the browser's
cookies and are never restored; a browser client's remember choice in its
JSON body decides, as the box does in allauth's form.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from rememberme.models import RememberToken
from tests.helpers import PASSWORD, close_browser, token_cookie
from tests.integrations.allauth.helpers import allauth_login, totp_code

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
APP = "/_allauth/app/v1"
BROWSER = "/_allauth/browser/v1"


def post_json(client: Client, url: str, data: dict[str, Any], **headers: str):
    return client.post(url, json.dumps(data), content_type="application/json", headers=headers)


def app_login(client: Client) -> str:
    """Sign in as an app does; return its session token."""
    response = post_json(client, f"{APP}/auth/login", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200, response.content
    token: str = response.json()["meta"]["session_token"]
    return token


def browser_login(client: Client, **extra: Any):
    data = {"username": "alice", "password": PASSWORD, **extra}
    response = post_json(client, f"{BROWSER}/auth/login", data)
    assert response.status_code == 200, response.content
    return response


def signed_in(client: Client, prefix: str = BROWSER, **headers: str) -> bool:
    response = client.get(f"{prefix}/auth/session", headers=headers)
    return response.status_code == 200 and response.json()["meta"]["is_authenticated"]


def browser_cookies(response) -> set[str]:
    names = {"rememberme", django_settings.SESSION_COOKIE_NAME}
    return names & set(response.cookies)


def test_an_app_login_gets_no_browser_cookie_even_with_session_remember(
    client: Client, user, settings
) -> None:
    settings.ACCOUNT_SESSION_REMEMBER = True
    response = post_json(client, f"{APP}/auth/login", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert browser_cookies(response) == set()
    assert not RememberToken.objects.exists()

    session_token = response.json()["meta"]["session_token"]
    response = client.get(f"{APP}/auth/session", headers={"X-Session-Token": session_token})
    assert response.status_code == 200
    assert browser_cookies(response) == set()


def test_an_app_request_is_never_restored_from_a_token_cookie(client: Client, user) -> None:
    # An app whose cookie jar holds a remembered browser's cookies (a web
    # view sharing it, say): its own requests are answered as an app's.
    allauth_login(client, remember=True)
    token = RememberToken.objects.get(user=user)
    cookie = token_cookie(client)
    close_browser(client)

    response = client.get(f"{APP}/auth/session")
    assert response.status_code == 401
    assert browser_cookies(response) == set()
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token_cookie(client) == cookie

    # The browser itself is still restored.
    assert signed_in(client)


def test_an_app_session_lives_on_its_session_token_alone(client: Client, user) -> None:
    session_token = app_login(client)
    assert signed_in(client, APP, X_Session_Token=session_token)
    assert not signed_in(client)


def test_a_browser_clients_remember_choice_is_honoured(client: Client, user, settings) -> None:
    settings.REMEMBERME_SESSION_AGE = HOUR
    response = browser_login(client, remember=True)
    assert "rememberme" in response.cookies
    assert RememberToken.objects.filter(user=user).count() == 1
    assert client.session.get_expiry_age() == 3600

    close_browser(client)
    assert signed_in(client)


def test_a_browser_client_without_remember_is_not_remembered(
    client: Client, user, settings
) -> None:
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = HOUR
    browser_login(client)
    assert not RememberToken.objects.exists()
    assert client.session.get_expiry_age() == 3600
    close_browser(client)
    assert not signed_in(client)


def test_only_a_json_true_remembers(client: Client, user) -> None:
    browser_login(client, remember="false")
    assert not RememberToken.objects.exists()


def test_a_browser_clients_logout_revokes_the_token(client: Client, user) -> None:
    browser_login(client, remember=True)
    token = RememberToken.objects.get(user=user)
    response = client.delete(f"{BROWSER}/auth/session")
    assert response.status_code == 401
    token.refresh_from_db()
    assert token.revoke_reason == "logout"
    assert token_cookie(client) is None
    assert not signed_in(client)


def test_a_browser_clients_logout_after_the_session_ended_signs_out(user) -> None:
    # The single-page app's "Sign out" (DELETE on the session endpoint)
    # after its session ended, with the CSRF token the page holds: never
    # restored (a restore would rotate that token and the DELETE would be
    # refused), the token revoked, both cookies deleted, JSON as ever.
    client = Client(enforce_csrf_checks=True)
    client.get(f"{BROWSER}/auth/session")
    csrf = client.cookies["csrftoken"].value
    response = post_json(
        client,
        f"{BROWSER}/auth/login",
        {"username": "alice", "password": PASSWORD, "remember": True},
        **{"X-CSRFToken": csrf},
    )
    assert response.status_code == 200, response.content
    csrf = client.cookies["csrftoken"].value
    token = RememberToken.objects.get(user=user)
    close_browser(client)
    response = client.delete(f"{BROWSER}/auth/session", headers={"X-CSRFToken": csrf})
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    token.refresh_from_db()
    assert token.revoke_reason == "logout"
    assert response.cookies["rememberme"].value == ""
    sent = response.cookies.get(django_settings.SESSION_COOKIE_NAME)
    assert sent is None or sent.value == ""
    assert not signed_in(client)


def test_a_browser_clients_choice_waits_for_the_mfa_stage(
    client: Client, user, totp_secret
) -> None:
    data = {"username": "alice", "password": PASSWORD, "remember": True}
    response = post_json(client, f"{BROWSER}/auth/login", data)
    assert response.status_code == 401
    assert not RememberToken.objects.exists()
    assert token_cookie(client) is None

    response = post_json(
        client, f"{BROWSER}/auth/2fa/authenticate", {"code": totp_code(totp_secret)}
    )
    assert response.status_code == 200, response.content
    assert RememberToken.objects.filter(user=user).count() == 1
    close_browser(client)
    assert signed_in(client)
