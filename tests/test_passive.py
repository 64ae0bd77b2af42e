"""Views an integration registers as passive are never restored nor sent a cookie."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from rememberme.internal import passive
from rememberme.models import RememberToken
from tests.helpers import close_browser, login, token_cookie
from tests.support.views import whoami

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_passive")]


def header_api(request: HttpRequest) -> JsonResponse:
    """A view of another app that signs in with a header, never with cookies."""
    return JsonResponse({"user": request.user.get_username() or None})


urlpatterns = [
    path("accounts/", include("rememberme.urls")),
    path("whoami/", whoami),
    path("api/", header_api),
]


@pytest.fixture
def registered():
    def check(view):
        return view is header_api

    passive.register_passive_views(check)
    passive.register_passive_views(check)
    yield
    passive._checks.remove(check)
    assert check not in passive._checks


def test_a_registered_view_is_not_restored(client, user, registered) -> None:
    login(client, "alice", remember=True)
    token = RememberToken.objects.get(user=user)
    cookie = token_cookie(client)
    close_browser(client)

    response = client.get("/api/")
    assert response.json() == {"user": None}
    assert "rememberme" not in response.cookies
    assert "sessionid" not in response.cookies
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token_cookie(client) == cookie


def test_other_views_still_restore(client, user, registered) -> None:
    login(client, "alice", remember=True)
    close_browser(client)
    assert client.get("/whoami/").json() == {"user": "alice", "restored": True}
