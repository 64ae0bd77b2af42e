"""
rememberme.login(..., fresh=False): a login that proves no credential
(an impersonation, a weaker magic link) makes no session fresh and leaves
the browser's token to the user signed in before.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

import rememberme
from rememberme.models import RememberToken
from tests.helpers import close_browser, login, token_cookie, whoami
from tests.support.views import whoami as whoami_view

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_unproved_login")]


def sign_in_as(request: HttpRequest) -> JsonResponse:
    """Sign in as the POSTed user without a credential, as impersonation does."""
    user = get_user_model().objects.get(username=request.POST["username"])
    remember = request.POST.get("remember") == "yes"
    token = rememberme.login(request, user, remember=remember, fresh=False)
    return JsonResponse({"token": token.pk if token else None})


def freshness(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"fresh": rememberme.is_fresh(request), "restored": rememberme.was_restored(request)}
    )


urlpatterns = [
    path("accounts/", include("rememberme.urls")),
    path("whoami/", whoami_view),
    path("sign-in-as/", sign_in_as),
    path("fresh/", freshness),
]


def test_an_unproved_login_is_not_fresh(client, user) -> None:
    client.post("/sign-in-as/", {"username": "alice"})
    assert whoami(client)["user"] == "alice"
    assert client.get("/fresh/").json() == {"fresh": False, "restored": False}


def test_an_unproved_login_in_a_fresh_session_is_not_fresh(client, user, other_user) -> None:
    login(client, "alice")
    assert client.get("/fresh/").json()["fresh"] is True
    client.post("/sign-in-as/", {"username": "bob"})
    assert whoami(client)["user"] == "bob"
    assert client.get("/fresh/").json()["fresh"] is False


def test_the_previous_users_token_is_kept_and_the_browser_returns_to_them(
    client, user, other_user
) -> None:
    login(client, "alice", remember=True)
    token = RememberToken.objects.get(user=user)
    cookie = token_cookie(client)

    response = client.post("/sign-in-as/", {"username": "bob"})
    assert response.json() == {"token": None}
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token_cookie(client) == cookie
    assert not RememberToken.objects.filter(user=other_user).exists()
    assert whoami(client)["user"] == "bob"

    # The impersonation's session ends with the browser; the token brings
    # its owner back.
    close_browser(client)
    assert whoami(client) == {"user": "alice", "restored": True}


def test_an_unproved_unremembered_login_ends_at_browser_close(client, user) -> None:
    response = client.post("/sign-in-as/", {"username": "alice"})
    assert response.cookies["sessionid"]["max-age"] == ""
    close_browser(client)
    assert whoami(client)["user"] is None


def test_an_unproved_login_may_be_remembered_and_stays_unfresh(client, user) -> None:
    response = client.post("/sign-in-as/", {"username": "alice", "remember": "yes"})
    assert response.json()["token"] == RememberToken.objects.get(user=user).pk
    assert client.get("/fresh/").json()["fresh"] is False
    close_browser(client)
    assert client.get("/fresh/").json() == {"fresh": False, "restored": True}
