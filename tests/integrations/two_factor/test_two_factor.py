"""
django-two-factor-auth: its login wizard with "Remember me" (the how-to's
view), a restored session not verified unless the second factor is trusted,
and the bundled password-only login reported by a check.
"""

from __future__ import annotations

import types

import pytest
from django.urls import include, path
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

import rememberme
from rememberme import checks
from rememberme.models import RememberToken
from tests.helpers import PASSWORD, close_browser, token_cookie
from tests.integrations.two_factor import urls as site_urls
from tests.support.html_forms import password_form

pytestmark = pytest.mark.django_db

STEP = "login_view-current_step"


@pytest.fixture
def device(user):
    return TOTPDevice.objects.create(user=user, name="default", confirmed=True)


def wizard_login(client, device=None, *, remember=True):
    data = {STEP: "auth", "auth-username": "alice", "auth-password": PASSWORD}
    if remember:
        data["auth-remember_me"] = "on"
    response = client.post("/account/login/", data)
    if device is not None:
        assert response.status_code == 200  # the token step
        response = client.post(
            "/account/login/", {STEP: "token", "token-otp_token": f"{totp(device.bin_key):06d}"}
        )
    assert response.status_code == 302, response.content
    return response


def test_remembered_two_factor_login_restores_unverified(client, device):
    wizard_login(client, device)
    assert client.get("/state/").json() == {"user": "alice", "verified": True}
    assert token_cookie(client)

    close_browser(client)
    response = client.get("/state/")
    assert response.json() == {"user": "alice", "verified": False}
    assert rememberme.was_restored(response.wsgi_request)
    # two-factor-auth's own pages that need a verified user ask again.
    assert client.get("/account/two_factor/backup/tokens/").status_code in (302, 403)


def test_trusted_second_factor_is_restored(client, settings, device):
    settings.REMEMBERME_TRUST_SECOND_FACTOR = True
    wizard_login(client, device)
    close_browser(client)
    assert client.get("/state/").json() == {"user": "alice", "verified": True}
    assert client.get("/account/two_factor/backup/tokens/").status_code == 200


def test_unticked_wizard_login_is_not_remembered(client, device):
    response = wizard_login(client, device, remember=False)
    assert not RememberToken.objects.exists()
    assert response.cookies["sessionid"]["max-age"] == ""
    close_browser(client)
    assert client.get("/state/").json() == {"user": None, "verified": False}


def test_a_user_without_a_device_is_remembered_too(client, user):
    wizard_login(client)
    assert RememberToken.objects.get().user == user
    close_browser(client)
    assert client.get("/state/").json() == {"user": "alice", "verified": False}


def test_the_login_view_setting_keeps_the_bundled_login_out(client, user, device):
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 404
    assert client.get("/accounts/devices/").status_code == 302  # there, behind login
    assert checks.check_second_factor() == []


def test_the_bundled_login_is_a_two_factor_bypass_and_an_error(client, settings, device):
    settings.REMEMBERME_LOGIN_VIEW = True
    urlconf = types.ModuleType("with_bundled_login")
    urlconf.urlpatterns = [  # type: ignore[attr-defined]
        path("accounts/", include("rememberme.urls")),
        *site_urls.urlpatterns,
    ]
    settings.ROOT_URLCONF = urlconf
    # The bypass: a password alone signs in a user who has a second factor.
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/state/").json()["user"] == "alice"

    errors = checks.check_second_factor()
    assert [e.id for e in errors] == ["rememberme.E017"]
    assert "'two_factor'" in errors[0].msg


def test_the_recipe_page_is_rendered_and_submitted_as_a_browser_would(client, device):
    # The how-to's wizard, through the pages two-factor-auth renders for it:
    # the box is on the first step, and the destination survives both steps.
    response = client.get("/account/login/?next=/whoami/")
    assert response.status_code == 200
    form = password_form(response.content.decode(), "auth-password")
    assert form["types"].get("auth-remember_me") == "checkbox"
    data = {
        **form["fields"],
        "auth-username": "alice",
        "auth-password": PASSWORD,
        "auth-remember_me": "on",
    }
    response = client.post("/account/login/?next=/whoami/", data)
    assert response.status_code == 200
    form = password_form(response.content.decode(), "token-otp_token")
    data = {**form["fields"], "token-otp_token": f"{totp(device.bin_key):06d}"}
    response = client.post("/account/login/?next=/whoami/", data)
    assert response.status_code == 302
    assert response["Location"] == "/whoami/"
    assert token_cookie(client)
    close_browser(client)
    assert client.get("/whoami/").json() == {"user": "alice", "restored": True}
