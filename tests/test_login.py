"""The bundled login view: ticked, unticked, and what each leaves behind."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone
from freezegun import freeze_time

from rememberme import signals
from rememberme.forms import RememberMeAuthenticationForm
from rememberme.internal.cookie import parse_cookie_value
from rememberme.internal.crypto import selector_digest, verify_verifier
from rememberme.models import RememberToken
from tests.helpers import PASSWORD, login, receiving, token_cookie

pytestmark = pytest.mark.django_db


def test_login_page_shows_the_checkbox(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert isinstance(response.context["form"], RememberMeAuthenticationForm)
    assert b'name="remember_me"' in response.content
    assert b"Remember me" in response.content


def test_form_keeps_authentication_forms_errors(client, user):
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "wrong", "remember_me": "on"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()["__all__"]
    assert errors[0].code == "invalid_login"
    assert token_cookie(client) is None
    assert not RememberToken.objects.exists()


def test_ticked_issues_a_token_and_sets_the_cookie(client, user):
    with receiving(signals.token_issued) as received, freeze_time("2026-01-01 12:00:00"):
        response = login(client)
    assert response.status_code == 302
    token = RememberToken.objects.get(user=user)
    morsel = response.cookies["rememberme"]
    value = parse_cookie_value(morsel.value)
    assert value is not None
    assert bytes(token.selector_digest) == selector_digest(value.selector)
    assert verify_verifier(token.verifier_hash, value.verifier)
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert not morsel["secure"]
    assert morsel["path"] == "/"
    # max-age is the token's remaining life: 14 days idle, under the 30-day cap.
    assert int(morsel["max-age"]) == 14 * 24 * 3600
    assert token.expires_at == datetime.datetime(2026, 1, 15, 12, tzinfo=datetime.timezone.utc)
    assert [kw["token"] for kw in received] == [token]
    assert received[0]["user"] == user


def test_cookie_max_age_is_capped_by_the_absolute_lifetime(client, user, settings):
    settings.REMEMBERME_TOKEN_AGE = datetime.timedelta(days=14)
    settings.REMEMBERME_TOKEN_MAX_AGE = datetime.timedelta(days=3)
    response = login(client)
    assert int(response.cookies["rememberme"]["max-age"]) == 3 * 24 * 3600


def test_cookie_is_secure_when_sessions_are(client, user, settings):
    settings.SESSION_COOKIE_SECURE = True
    response = login(client, secure=True)
    assert response.cookies["rememberme"]["secure"] is True


def test_ticked_session_gets_the_remembered_session_age(client, user, settings):
    settings.REMEMBERME_SESSION_AGE = 0
    login(client)
    assert client.session.get_expire_at_browser_close()
    settings.REMEMBERME_SESSION_AGE = 600
    login(client)
    assert client.session.get_expiry_age() == 600


def test_ticked_session_lasts_an_hour_by_default(client, user):
    # Short, so that the token (not a two-week session) is what keeps the
    # user signed in.
    login(client)
    assert client.session.get_expiry_age() == 3600
    assert not client.session.get_expire_at_browser_close()


@override_settings(REMEMBERME_SESSION_AGE=None)
def test_ticked_session_follows_django_with_none(client, user):
    login(client)
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert not client.session.get_expire_at_browser_close()


def test_unticked_is_a_plain_login_ending_at_browser_close(client, user):
    response = login(client, remember=False)
    assert response.status_code == 302
    assert "rememberme" not in response.cookies
    assert not RememberToken.objects.exists()
    assert client.session.get_expire_at_browser_close()
    assert client.get("/whoami/").json()["user"] == "alice"


def test_unticked_session_age_is_configurable(client, user, settings):
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = None
    login(client, remember=False)
    assert not client.session.get_expire_at_browser_close()
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_unticked_login_forgets_what_this_browser_held(remembered):
    client, token = remembered
    response = login(client, remember=False)
    assert response.cookies["rememberme"].value == ""
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoke_reason == "logout"


def test_a_second_remembered_login_replaces_the_series(remembered, user):
    client, first = remembered
    login(client)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert RememberToken.objects.active().filter(user=user).count() == 1


def test_login_as_someone_else_drops_the_other_users_token(remembered, other_user):
    client, alices = remembered
    other_user.is_staff = True
    other_user.save()
    # Bob signs in through another view (the admin): Alice's cookie must not
    # restore Alice later in what is now Bob's browser.
    response = client.post("/admin/login/?next=/admin/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies["rememberme"].value == ""
    alices.refresh_from_db()
    assert alices.revoked_at is not None


def test_login_as_the_same_user_elsewhere_keeps_the_token(remembered, user):
    client, token = remembered
    user.is_staff = True
    user.save()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "rememberme" not in response.cookies
    token.refresh_from_db()
    assert token.revoked_at is None


def test_next_is_honoured(client, user):
    response = client.post(
        "/accounts/login/?next=/whoami/",
        {"username": "alice", "password": PASSWORD, "remember_me": "on", "next": "/whoami/"},
    )
    assert response["Location"] == "/whoami/"


def test_open_redirects_are_refused(client, user):
    response = client.post(
        "/accounts/login/",
        {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == settings.LOGIN_REDIRECT_URL


def test_login_needs_csrf(user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 403


def test_token_records_browser_details(client, user):
    login(client, HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
    token = RememberToken.objects.get(user=user)
    assert token.user_agent.endswith("Firefox/130.0")
    assert token.ip_address == "127.0.0.1"
    assert token.backend == "django.contrib.auth.backends.ModelBackend"
    assert token.created_at <= timezone.now()
