"""
A password change signs out every remembered browser but the one that made
it, which stays signed in and remembered; a deactivated user's tokens stop
working.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core import mail
from django.db import DatabaseError
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path

from rememberme.models import RememberToken
from tests.helpers import (
    NEW_PASSWORD,
    change_password,
    close_browser,
    login,
    token_cookie,
    whoami,
)
from tests.support.views import whoami as whoami_view


def set_password_view(request):
    request.user.set_password(NEW_PASSWORD)
    request.user.save()
    if request.POST.get("keep"):
        update_session_auth_hash(request, request.user)
    return HttpResponse("ok")


urlpatterns = [
    path("accounts/", include("rememberme.urls")),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(success_url="/whoami/"),
        name="password-change",
    ),
    path("set-password/", set_password_view),
    path("whoami/", whoami_view),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def browsers(user):
    """Browser A (which changes the password) and browser B, both remembered."""
    a, b = Client(), Client()
    login(b)
    login(a)
    return a, b, token_cookie(a)


def test_password_change_view_keeps_this_browser_remembered(browsers, user, revoked_signals):
    a, b, old_cookie = browsers
    old_tokens = set(RememberToken.objects.values_list("pk", flat=True))

    response = change_password(a)
    assert response.status_code == 302
    new_cookie = response.cookies["rememberme"].value
    assert new_cookie
    assert new_cookie != old_cookie

    # Every token that existed is revoked for the password change ...
    assert sorted(kw["reason"] for kw in revoked_signals) == ["password_change"] * 2
    for pk in old_tokens:
        assert RememberToken.objects.get(pk=pk).revoke_reason == "password_change"
    # ... and browser A holds a fresh one.
    new_token = RememberToken.objects.active().get()
    assert new_token.pk not in old_tokens
    assert RememberToken.objects.find(new_cookie.split(":")[0]) == new_token

    assert whoami(a)["user"] == "alice"
    close_browser(a)
    assert whoami(a) == {"user": "alice", "restored": True}

    # Browser B: its live session ends at once (Django's auth hash), and its
    # token no longer restores anything.
    assert whoami(b)["user"] is None
    close_browser(b)
    assert whoami(b) == {"user": None, "restored": False}


def test_renewed_token_is_linked_to_the_session(browsers, settings):
    a, _, _ = browsers
    change_password(a)
    settings.REMEMBERME_REVALIDATE_INTERVAL = 0
    # Revalidation now checks the new token: revoking it ends the session.
    assert whoami(a)["user"] == "alice"
    RememberToken.objects.active().get().revoke("user")
    assert whoami(a)["user"] is None


def test_set_password_with_update_session_auth_hash(browsers):
    a, b, old_cookie = browsers
    response = a.post("/set-password/", {"keep": "1"})
    assert response.cookies["rememberme"].value not in ("", old_cookie)
    assert RememberToken.objects.active().count() == 1
    close_browser(a)
    assert whoami(a) == {"user": "alice", "restored": True}
    assert whoami(b)["user"] is None


def test_set_password_without_keeping_the_session_signs_everyone_out(browsers):
    a, b, _ = browsers
    response = a.post("/set-password/")
    assert "rememberme" not in response.cookies or response.cookies["rememberme"].value == ""
    assert not RememberToken.objects.active().exists()
    for client in (a, b):
        assert whoami(client)["user"] is None
        close_browser(client)
        assert whoami(client)["user"] is None


def test_password_set_elsewhere_renews_nothing(browsers, user):
    a, b, _ = browsers
    user.set_password(NEW_PASSWORD)
    user.save()
    assert not RememberToken.objects.active().exists()
    for client in (a, b):
        close_browser(client)
        assert whoami(client)["user"] is None
    assert not RememberToken.objects.active().exists()


def test_unremembered_browser_changing_the_password_is_not_remembered(browsers):
    _, b, _ = browsers
    plain = Client()
    login(plain, remember=False)
    response = change_password(plain)
    assert response.status_code == 302
    assert "rememberme" not in response.cookies
    assert not RememberToken.objects.active().exists()
    assert whoami(plain)["user"] == "alice"
    assert whoami(b)["user"] is None


def test_database_error_while_renewing_keeps_the_user_signed_in(browsers, caplog):
    a, _, _ = browsers
    with mock.patch.object(
        RememberToken.objects, "issue", side_effect=DatabaseError("boom")
    ) as issue:
        response = change_password(a)
    assert issue.called
    assert response.status_code == 302
    assert "re-issue" in caplog.text
    assert whoami(a)["user"] == "alice"
    assert not RememberToken.objects.active().exists()


def test_deactivated_user_tokens_stop_working(browsers, user, revoked_signals):
    a, b, _ = browsers
    user.is_active = False
    user.save()
    for client in (a, b):
        assert whoami(client)["user"] is None  # Django refuses inactive users' sessions
        close_browser(client)
        assert whoami(client) == {"user": None, "restored": False}
    assert sorted(kw["reason"] for kw in revoked_signals) == ["inactive", "inactive"]
    assert set(RememberToken.objects.values_list("revoke_reason", flat=True)) == {"inactive"}


def test_the_browser_that_changes_its_password_gets_no_new_browser_mail(browsers, settings):
    settings.REMEMBERME_NOTIFY_EMAIL = ["new_browser"]
    a, _, old_cookie = browsers
    close_browser(a)
    assert whoami(a)["restored"] is True
    response = change_password(a)
    assert response.status_code == 302
    assert token_cookie(a) not in (None, old_cookie)
    assert mail.outbox == []
