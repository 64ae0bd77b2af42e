"""Logout: the bundled view, any logout(), and "everywhere"."""

from __future__ import annotations

import pytest
from django.contrib.auth import logout
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path

from rememberme.models import RememberToken
from tests.helpers import close_browser, login, whoami

pytestmark = pytest.mark.django_db


def test_logout_revokes_this_browser_and_deletes_the_cookie(remembered, ended):
    client, token = remembered
    response = client.post("/accounts/logout/")
    assert response.status_code in (200, 302)
    assert response.cookies["rememberme"].value == ""
    token.refresh_from_db()
    assert token.revoke_reason == "logout"
    assert [kw["reason"] for kw in ended] == ["logout"]
    assert ended[0]["token"].pk == token.pk
    close_browser(client)
    assert whoami(client)["user"] is None


def test_logout_signs_out_by_post_only(remembered):
    client, token = remembered
    assert client.get("/accounts/logout/").status_code == 200
    assert client.put("/accounts/logout/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_logout_leaves_other_browsers_remembered(remembered, user):
    client, token = remembered
    other = Client()
    login(other)
    other_token = RememberToken.objects.exclude(pk=token.pk).get()
    client.post("/accounts/logout/")
    other_token.refresh_from_db()
    assert other_token.revoked_at is None
    close_browser(other)
    assert whoami(other)["user"] == "alice"


def test_logout_everywhere_revokes_every_token(remembered, user):
    client, token = remembered
    other = Client()
    login(other)
    client.post("/accounts/logout/", {"everywhere": "1"})
    reasons = dict(RememberToken.objects.values_list("pk", "revoke_reason"))
    assert reasons[token.pk] == "logout_all"
    assert set(reasons.values()) == {"logout_all"}
    close_browser(other)
    assert whoami(other)["user"] is None


def test_logout_everywhere_ends_live_sessions_at_the_next_check(remembered, user, settings):
    client, _ = remembered
    other = Client()
    login(other)
    settings.REMEMBERME_REVALIDATE_INTERVAL = 0
    client.post("/accounts/logout/", {"everywhere": "1"})
    # `other` still has its live session cookie: the revalidation ends it.
    assert whoami(other)["user"] is None


def test_logout_redirects_where_django_says(remembered, settings):
    client, _ = remembered
    settings.LOGOUT_REDIRECT_URL = "/whoami/"
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/whoami/"


def test_logout_without_redirect_renders_the_page(remembered):
    client, _ = remembered
    response = client.post("/accounts/logout/")
    assert response.status_code == 200
    assert b"Signed out" in response.content


def test_anonymous_logout_is_harmless(client):
    response = client.post("/accounts/logout/", {"everywhere": "1"})
    assert response.status_code == 200


def logout_view(request):
    logout(request)
    return HttpResponse("bye")


urlpatterns = [path("bye/", logout_view), path("", include("tests.support.urls"))]


@pytest.mark.urls("tests.test_logout")
def test_any_logout_call_forgets_the_browser(remembered):
    client, token = remembered
    response = client.get("/bye/")
    assert response.cookies["rememberme"].value == ""
    token.refresh_from_db()
    assert token.revoke_reason == "logout"


def test_logout_of_a_session_without_a_token_leaves_tokens_alone(remembered, user):
    _, token = remembered
    plain = Client()
    login(plain, remember=False)
    plain.post("/accounts/logout/")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_logout_without_the_middleware_still_revokes(remembered, user):
    _, token = remembered
    request = RequestFactory().get("/")
    request.session = Client().session
    request.session["_rememberme_token"] = token.pk
    request.user = user
    logout(request)  # no RememberMeMiddleware ran: nothing to write a cookie on
    token.refresh_from_db()
    assert token.revoke_reason == "logout"
