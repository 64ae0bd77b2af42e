"""
rememberme.login() for custom login flows, and was_restored() for apps that
must tell a restore from a login with a credential.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth import login as django_login
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

import rememberme
from rememberme import views
from rememberme.models import RememberToken
from tests.helpers import PASSWORD, close_browser, login, token_cookie, whoami
from tests.support.views import whoami as whoami_view

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_signin")]


def api_login(request: HttpRequest) -> JsonResponse:
    """A login flow of a project's own (DRF, social login...)."""
    user = authenticate(request, username=request.POST["username"], password=PASSWORD)
    token = rememberme.login(request, user, remember=request.POST.get("remember") == "yes")
    return JsonResponse({"token": token.pk if token else None})


def third_party_login(request: HttpRequest) -> JsonResponse:
    """A login view that calls Django's login() itself, then rememberme.login()."""
    user = authenticate(request, username="alice", password=PASSWORD)
    django_login(request, user)
    token = rememberme.login(request, user, remember=True)
    return JsonResponse({"token": token.pk if token else None})


urlpatterns = [
    path("accounts/", include("rememberme.urls")),
    path("whoami/", whoami_view),
    path("api-login/", api_login),
    path("third-party-login/", third_party_login),
]


class Seen:
    """What user_logged_in receivers saw of was_restored()."""

    def __init__(self) -> None:
        self.values: list[bool] = []

    def __call__(self, sender: Any, request: HttpRequest, **kwargs: Any) -> None:
        self.values.append(rememberme.was_restored(request))


@pytest.fixture
def seen():
    receiver = Seen()
    user_logged_in.connect(receiver, weak=False)
    yield receiver.values
    user_logged_in.disconnect(receiver)


def test_login_and_remember(client, user):
    response = client.post("/api-login/", {"username": "alice", "remember": "yes"})
    token = RememberToken.objects.get(pk=response.json()["token"])
    assert token.user == user
    assert token_cookie(client)
    close_browser(client)
    assert whoami(client) == {"user": "alice", "restored": True}


def test_login_unticked_ends_at_browser_close_and_forgets_this_browser(client, user):
    client.post("/api-login/", {"username": "alice", "remember": "yes"})
    old = RememberToken.objects.get()
    response = client.post("/api-login/", {"username": "alice"})
    assert response.json() == {"token": None}
    old.refresh_from_db()
    assert old.revoked_at is not None
    assert response.cookies["rememberme"].value == ""
    session = response.cookies["sessionid"]
    assert session["max-age"] == ""
    assert session["expires"] == ""


def test_login_unticked_applies_the_unremembered_age(client, user, settings):
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = 3600
    response = client.post("/api-login/", {"username": "alice"})
    assert response.cookies["sessionid"]["max-age"] == 3600


def test_login_after_a_third_party_login_signs_in_once(client, user, seen):
    response = client.post("/third-party-login/")
    assert seen == [False]
    assert RememberToken.objects.get(pk=response.json()["token"]).user == user
    close_browser(client)
    assert whoami(client) == {"user": "alice", "restored": True}


def test_was_restored_inside_the_restores_receivers(client, user, seen):
    login(client)
    assert seen == [False]
    close_browser(client)
    assert whoami(client) == {"user": "alice", "restored": True}
    assert seen == [False, True]


def test_was_restored_on_later_requests_of_the_session(client, user):
    login(client)
    response = client.get("/whoami/")
    assert rememberme.was_restored(response.wsgi_request) is False
    close_browser(client)
    client.get("/whoami/")
    response = client.get("/whoami/")
    assert response.json()["restored"] is False  # not restored on this request...
    assert rememberme.was_restored(response.wsgi_request) is True  # ...but by this session


def test_a_password_login_in_a_restored_session_is_a_login(client, user, seen):
    login(client)
    close_browser(client)
    client.get("/whoami/")
    response = login(client)
    assert seen == [False, True, False]
    assert rememberme.was_restored(response.wsgi_request) is False
    assert rememberme.was_restored(client.get("/whoami/").wsgi_request) is False


def test_the_bundled_login_view_uses_rememberme_login(client, user, monkeypatch):
    calls = []
    original = rememberme.login

    def spy(request, user, *, remember, backend=None):
        calls.append(remember)
        return original(request, user, remember=remember, backend=backend)

    monkeypatch.setattr(views, "login", spy)
    login(client)
    login(client, remember=False)
    assert calls == [True, False]
