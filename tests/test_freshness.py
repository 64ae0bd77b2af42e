"""
Freshness: a remember-me token proves a browser, not a person. Sensitive
views ask for a session in which the user proved a credential.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import View
from freezegun import freeze_time

import rememberme
from rememberme.decorators import fresh_login_required
from rememberme.mixins import FreshLoginRequiredMixin
from tests.helpers import EPOCH, PASSWORD, close_browser, login, receiving, whoami
from tests.support.views import whoami as whoami_view

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_freshness")]


def report(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "fresh": rememberme.is_fresh(request),
            "fresh_5m": rememberme.is_fresh(request, max_age=300),
            "restored": rememberme.was_restored(request),
        }
    )


@fresh_login_required
def change_email(request: HttpRequest) -> HttpResponse:
    return HttpResponse("change your e-mail")


@fresh_login_required(max_age=datetime.timedelta(minutes=5), login_url="/elsewhere/")
def pay(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pay")


@fresh_login_required
async def async_secret(request: HttpRequest) -> HttpResponse:
    return HttpResponse("async secret")


class ShowSecrets(FreshLoginRequiredMixin, View):
    fresh_max_age = 300

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("secrets")


def custom_reauth(request: HttpRequest) -> HttpResponse:
    """A site's own re-authentication (a passkey, say) marks the session fresh."""
    rememberme.mark_fresh(request)
    return HttpResponse("ok")


urlpatterns = [
    path("accounts/", include("rememberme.urls")),
    path("whoami/", whoami_view),
    path("report/", report),
    path("email/", change_email),
    path("pay/", pay),
    path("async/", async_secret),
    path("secrets/", ShowSecrets.as_view()),
    path("custom-reauth/", custom_reauth),
]


def restored(client) -> None:
    """Sign in with "Remember me", then come back with the session gone."""
    assert login(client).status_code == 302
    close_browser(client)
    assert whoami(client) == {"user": "alice", "restored": True}


def test_a_password_login_is_fresh(client, user):
    login(client)
    assert client.get("/report/").json() == {"fresh": True, "fresh_5m": True, "restored": False}
    assert client.get("/email/").content == b"change your e-mail"


def test_a_restored_session_is_not_fresh(client, user):
    restored(client)
    assert client.get("/report/").json() == {"fresh": False, "fresh_5m": False, "restored": True}


def test_an_anonymous_request_is_not_fresh(client):
    assert client.get("/report/").json() == {"fresh": False, "fresh_5m": False, "restored": False}


def test_max_age_counts_from_the_proof(client, user):
    with freeze_time(EPOCH):
        login(client)
    with freeze_time(EPOCH + datetime.timedelta(minutes=5)):
        assert client.get("/report/").json()["fresh_5m"] is True
    with freeze_time(EPOCH + datetime.timedelta(minutes=5, seconds=1)):
        assert client.get("/report/").json() == {
            "fresh": True,
            "fresh_5m": False,
            "restored": False,
        }
        response = client.get("/pay/?amount=3")
        assert response["Location"] == "/accounts/reauthenticate/?next=/pay/%3Famount%3D3"


def test_max_age_must_be_a_duration(rf):
    with pytest.raises(ImproperlyConfigured, match="max_age"):
        rememberme.is_fresh(rf.get("/"), max_age="300")  # type: ignore[arg-type]
    with pytest.raises(ImproperlyConfigured, match="max_age"):
        fresh_login_required(max_age=1.5)  # type: ignore[call-overload]


def test_anonymous_users_go_to_the_login_page(client):
    assert client.get("/email/")["Location"] == "/accounts/login/?next=/email/"
    assert client.get("/pay/")["Location"] == "/elsewhere/?next=/pay/"
    assert client.get("/secrets/")["Location"] == "/accounts/login/?next=/secrets/"


def test_a_restored_session_is_sent_to_reauthenticate(client, user):
    restored(client)
    for url in ("/email/", "/pay/", "/async/", "/secrets/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/reauthenticate/?next={url}"


def test_reauthenticate_url_setting(client, user, settings):
    settings.REMEMBERME_REAUTHENTICATE_URL = "/confirm-it/"
    restored(client)
    assert client.get("/email/")["Location"] == "/confirm-it/?next=/email/"


def test_async_views_run_when_fresh(client, user):
    login(client)
    assert client.get("/async/").content == b"async secret"


def test_reauthentication_makes_the_session_fresh(client, user):
    restored(client)
    page = client.get("/accounts/reauthenticate/?next=/email/")
    assert page.status_code == 200
    assert "alice" in page.content.decode()
    assert 'name="next" value="/email/"' in page.content.decode()
    session_key = client.cookies["sessionid"].value
    csrf_before = page.context["csrf_token"]

    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD, "next": "/email/"})
    assert response.status_code == 302
    assert response["Location"] == "/email/"
    # A new session key, and a new CSRF token, for the session that gained rights.
    assert client.cookies["sessionid"].value != session_key
    assert response.wsgi_request.META["CSRF_COOKIE"] != csrf_before
    assert client.get("/email/").content == b"change your e-mail"
    assert client.get("/report/").json() == {"fresh": True, "fresh_5m": True, "restored": True}


def test_a_wrong_password_counts_as_a_failed_login(client, user):
    restored(client)
    with receiving(user_login_failed) as failures:
        response = client.post("/accounts/reauthenticate/", {"password": "not it"})
    assert response.status_code == 200
    assert "incorrectly" in response.content.decode()
    assert len(failures) == 1
    assert failures[0]["credentials"]["username"] == "alice"
    assert failures[0]["request"] is not None
    assert client.get("/report/").json()["fresh"] is False


def test_reauthentication_names_the_credential_after_username_field(client, user, monkeypatch):
    # A site whose users sign in with their e-mail address: lockout apps
    # (axes' AXES_USERNAME_FORM_FIELD = "email") read the credential by that
    # name, so a guess sent under "username" would never be counted.
    user.email = "alice@example.com"
    user.save(update_fields=["email"])
    login(client)
    monkeypatch.setattr(type(user), "USERNAME_FIELD", "email")
    with receiving(user_login_failed) as failures:
        client.post("/accounts/reauthenticate/", {"password": "not it"})
    assert [sorted(f["credentials"]) for f in failures] == [["email", "password"]]
    assert failures[0]["credentials"]["email"] == "alice@example.com"
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/report/").json()["fresh"] is True


def test_reauthentication_redirects_only_to_this_site(client, user, settings):
    settings.LOGIN_REDIRECT_URL = "/whoami/"
    restored(client)
    response = client.post(
        "/accounts/reauthenticate/", {"password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/whoami/"


def test_reauthentication_needs_a_signed_in_user(client):
    response = client.get("/accounts/reauthenticate/")
    assert response["Location"] == "/accounts/login/?next=/accounts/reauthenticate/"
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_reauthentication_refuses_a_deactivated_user(client, user):
    restored(client)
    client.get("/report/")
    user.is_active = False
    user.save()
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    # The session itself ends on its own rules; this page proves nothing.
    assert response.status_code in (200, 302)
    assert client.get("/report/").json()["fresh"] is False


def test_mark_fresh_for_a_custom_reauthentication(client, user):
    restored(client)
    client.get("/custom-reauth/")
    assert client.get("/report/").json() == {"fresh": True, "fresh_5m": True, "restored": True}


def test_a_new_password_login_makes_a_restored_session_fresh(client, user):
    restored(client)
    login(client)
    assert client.get("/report/").json() == {"fresh": True, "fresh_5m": True, "restored": False}


def test_freshness_ends_with_the_session(client, user):
    login(client)
    client.post("/accounts/logout/")
    assert client.get("/report/").json()["fresh"] is False


def test_persistent_keys_cannot_carry_freshness_or_verification(client, user, settings):
    # A restore must not bring back what proves a person: freshness, a
    # verified second factor, the signed-in user.
    from rememberme import checks

    settings.REMEMBERME_PERSISTENT_SESSION_KEYS = ("theme", "_rememberme_fresh", "otp_device_id")
    found = [e for e in checks.check_settings() if e.id == "rememberme.E018"]
    assert len(found) == 1
    assert "'_rememberme_fresh'" in found[0].msg
    assert "'otp_device_id'" in found[0].msg
    assert "'theme'" not in found[0].msg
    settings.REMEMBERME_PERSISTENT_SESSION_KEYS = ("theme",)
    assert [e for e in checks.check_settings() if e.id == "rememberme.E018"] == []
