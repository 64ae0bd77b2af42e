"""
django-otp: a restored session is not second-factor verified unless
REMEMBERME_TRUST_SECOND_FACTOR says so, with OTPMiddleware on either side of
RememberMeMiddleware, and never a 500.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.core import checks as django_checks
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from rememberme import checks
from rememberme.models import RememberToken
from tests.helpers import PASSWORD, close_browser, token_cookie

pytestmark = pytest.mark.django_db

OTP = "django_otp.middleware.OTPMiddleware"
OURS = "rememberme.middleware.RememberMeMiddleware"
BEFORE = django_settings.MIDDLEWARE
AFTER = [m for m in BEFORE if m != OTP]
AFTER.insert(AFTER.index(OURS) + 1, OTP)
ORDERS = pytest.mark.parametrize("middleware", [BEFORE, AFTER], ids=["otp-first", "otp-last"])


@pytest.fixture
def device(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def otp_login(client, device, *, remember=True, token=None):
    data = {
        "username": "alice",
        "password": PASSWORD,
        "otp_device": device.persistent_id,
        "otp_token": token or f"{totp(device.bin_key):06d}",
    }
    if remember:
        data["remember_me"] = "on"
    response = client.post("/otp-login/", data)
    assert response.status_code == 302, response.content
    return response


@ORDERS
def test_a_restored_session_is_not_verified(client, settings, device, middleware):
    settings.MIDDLEWARE = middleware
    otp_login(client, device)
    assert client.get("/state/").json() == {"user": "alice", "verified": True}

    close_browser(client)
    # The request that restores the session reaches an OTP-protected view:
    # it used to fail with AttributeError ('User' object has no attribute
    # 'is_verified') when OTPMiddleware came first.
    response = client.get("/secret/")
    assert response.status_code == 302
    assert response["Location"].startswith("/otp-login/")
    assert client.get("/state/").json() == {"user": "alice", "verified": False}


@ORDERS
def test_trusting_the_second_factor_restores_the_device(client, settings, device, middleware):
    settings.MIDDLEWARE = middleware
    settings.REMEMBERME_TRUST_SECOND_FACTOR = True
    otp_login(client, device)

    close_browser(client)
    response = client.get("/secret/")
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "verified": True}
    assert client.get("/state/").json() == {"user": "alice", "verified": True}


@ORDERS
def test_trust_needs_a_device_that_still_stands(client, settings, device, middleware):
    settings.MIDDLEWARE = middleware
    settings.REMEMBERME_TRUST_SECOND_FACTOR = True
    otp_login(client, device)
    device.confirmed = False
    device.save()

    close_browser(client)
    assert client.get("/state/").json() == {"user": "alice", "verified": False}


def test_trust_remembers_only_a_verified_session(client, settings, user, device):
    # A password-only login of a user who has a device remembers no device.
    settings.REMEMBERME_TRUST_SECOND_FACTOR = True
    settings.REMEMBERME_LOGIN_VIEW = True
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "remember_me": "on"}
    )
    assert response.status_code == 302
    close_browser(client)
    assert client.get("/state/").json() == {"user": "alice", "verified": False}


def test_without_trust_the_token_keeps_no_device(client, device):
    otp_login(client, device)
    assert RememberToken.objects.get().second_factor_device == ""


def test_trust_set_later_does_not_verify_older_tokens(client, settings, device):
    otp_login(client, device)
    settings.REMEMBERME_TRUST_SECOND_FACTOR = True
    close_browser(client)
    assert client.get("/state/").json() == {"user": "alice", "verified": False}


@ORDERS
def test_a_revoked_token_ends_the_session_without_a_500(client, settings, device, middleware):
    settings.MIDDLEWARE = middleware
    settings.REMEMBERME_REVALIDATE_INTERVAL = 0
    otp_login(client, device)
    RememberToken.objects.get().revoke("admin")
    # The session ends on this request, before the view asks is_verified().
    response = client.get("/secret/")
    assert response.status_code == 302
    assert client.get("/state/").json() == {"user": None, "verified": False}


@ORDERS
def test_an_outlived_signed_cookie_session_ends_without_a_500(
    client, settings, device, middleware
):
    settings.MIDDLEWARE = middleware
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.REMEMBERME_SESSION_AGE = 60
    with freeze_time("2026-01-05 12:00:00"):
        otp_login(client, device)
        assert token_cookie(client)
    with freeze_time("2026-01-05 13:00:00"):
        # The signed cookie outlived its session: it is ended, then restored.
        assert client.get("/state/").json() == {"user": "alice", "verified": False}


def test_the_bundled_login_next_to_django_otp_is_an_error(client, user, device):
    # The bypass this check is about: the password alone signs in a user
    # who has a second factor.
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/whoami/").json()["user"] == "alice"

    errors = [e for e in checks.check_second_factor() if e.id == "rememberme.E017"]
    assert len(errors) == 1
    assert errors[0].level == django_checks.ERROR
    assert "django_otp" in errors[0].msg
    assert "REMEMBERME_LOGIN_VIEW = False" in errors[0].hint


def test_without_the_bundled_login_the_check_passes(settings):
    settings.REMEMBERME_LOGIN_VIEW = False
    assert checks.check_second_factor() == []


@ORDERS
@pytest.mark.parametrize("trust", [False, True])
def test_under_asgi(client, async_client, settings, device, middleware, trust):
    settings.MIDDLEWARE = middleware
    settings.REMEMBERME_TRUST_SECOND_FACTOR = trust
    otp_login(client, device)
    # A browser that kept only the token cookie, talking to the ASGI handler.
    async_client.cookies["rememberme"] = token_cookie(client)

    response = async_to_sync(async_client.get)("/async-state/")
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "verified": trust}
