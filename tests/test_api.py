"""The Python API: remember(), forget(), revoke_user_tokens()."""

from __future__ import annotations

import pytest
from django.contrib.auth import login as django_login
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, JsonResponse
from django.test import Client, RequestFactory
from django.urls import path

import rememberme
from rememberme.models import RememberToken
from tests.helpers import PASSWORD, close_browser, login, token_cookie, whoami
from tests.support.views import whoami as whoami_view

pytestmark = pytest.mark.django_db


def test_package_root_exports_only_the_api():
    assert rememberme.__all__ == [
        "forget",
        "is_fresh",
        "login",
        "mark_fresh",
        "remember",
        "revoke_user_tokens",
        "was_restored",
    ]
    for name in rememberme.__all__:
        assert callable(getattr(rememberme, name))
    with pytest.raises(AttributeError):
        rememberme.not_there


def custom_login(request):
    """A login flow of a project's own (allauth, DRF, social...)."""
    from django.contrib.auth import authenticate

    user = authenticate(request, username=request.POST["username"], password=PASSWORD)
    django_login(request, user)
    token = rememberme.remember(request)
    assert token is not None
    return JsonResponse({"token": token.pk})


def custom_forget(request):
    rememberme.forget(request)
    return HttpResponse("forgotten")


def remember_anonymous(request):
    try:
        rememberme.remember(request)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400)
    return HttpResponse("unexpected")


urlpatterns = [
    path("custom-login/", custom_login),
    path("custom-forget/", custom_forget),
    path("remember-anonymous/", remember_anonymous),
    path("whoami/", whoami_view),
]


@pytest.mark.urls("tests.test_api")
def test_remember_after_a_custom_login(client, user):
    response = client.post("/custom-login/", {"username": "alice"})
    token = RememberToken.objects.get(pk=response.json()["token"])
    assert token.user == user
    assert token_cookie(client)
    close_browser(client)
    assert whoami(client)["user"] == "alice"


@pytest.mark.urls("tests.test_api")
def test_remember_needs_a_signed_in_user(client):
    response = client.get("/remember-anonymous/")
    assert response.status_code == 400
    assert b"after login()" in response.content


@pytest.mark.urls("tests.test_api")
def test_forget_revokes_and_deletes_but_keeps_the_session(client, user):
    client.post("/custom-login/", {"username": "alice"})
    token = RememberToken.objects.get(user=user)
    response = client.get("/custom-forget/")
    assert response.cookies["rememberme"].value == ""
    token.refresh_from_db()
    assert token.revoke_reason == "logout"
    assert whoami(client)["user"] == "alice"
    close_browser(client)
    assert whoami(client)["user"] is None


def test_remember_without_the_middleware_says_how_to_fix_it(user):
    request = RequestFactory().get("/")
    request.session = Client().session
    request.user = user
    with pytest.raises(ImproperlyConfigured, match="RememberMeMiddleware"):
        rememberme.remember(request)
    with pytest.raises(ImproperlyConfigured, match="MIDDLEWARE"):
        rememberme.forget(request)


def test_revoke_user_tokens_counts_and_keeps(user, other_user):
    clients = [Client() for _ in range(3)]
    for client in clients:
        login(client)
    login(Client(), "bob")
    keep = RememberToken.objects.filter(user=user).first()
    assert rememberme.revoke_user_tokens(user, reason="admin", keep=keep) == 2
    assert rememberme.revoke_user_tokens(user, reason="admin", keep=keep) == 0
    assert RememberToken.objects.active().filter(user=user).get() == keep
    assert RememberToken.objects.active().filter(user=other_user).count() == 1
    assert rememberme.revoke_user_tokens(user, reason="user") == 1


def test_revoke_user_tokens_refuses_unknown_reasons(user):
    with pytest.raises(ValueError, match="logout_all"):
        rememberme.revoke_user_tokens(user, reason="because")
