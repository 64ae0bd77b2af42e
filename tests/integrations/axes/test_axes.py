"""
django-axes: a restore is not a login attempt. It neither counts nor resets
the failures an attacker built up, and a locked-out user is not restored.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import Client

import rememberme
from rememberme.models import RememberToken
from tests.helpers import PASSWORD, close_browser, login, token_cookie, whoami

pytestmark = pytest.mark.django_db


def fail_logins(count: int, username: str = "alice") -> None:
    attacker = Client()
    for _ in range(count):
        response = attacker.post(
            "/accounts/login/", {"username": username, "password": "wrong guess"}
        )
        assert response.status_code in (200, 403, 429)


def failures(username: str = "alice") -> int:
    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=username))


def test_a_restore_keeps_the_failure_count(client, user):
    assert login(client).status_code == 302
    fail_logins(2)
    assert failures() == 2

    close_browser(client)
    assert whoami(client) == {"user": "alice", "restored": True}
    # AXES_RESET_ON_SUCCESS would have cleared them if the restore counted
    # as a successful login.
    assert failures() == 2


def test_a_restore_is_not_logged_as_a_login(client, user):
    login(client)
    assert AccessLog.objects.filter(username="alice").count() == 1
    close_browser(client)
    assert whoami(client)["restored"] is True
    assert AccessLog.objects.filter(username="alice").count() == 1


def test_a_password_login_still_resets(client, user):
    fail_logins(2)
    assert login(client).status_code == 302
    assert failures() == 0


def test_a_locked_out_user_is_not_restored(client, user):
    login(client)
    token = RememberToken.objects.get(user=user)
    fail_logins(3)
    assert failures() == 3

    close_browser(client)
    assert whoami(client) == {"user": None, "restored": False}
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token.last_used_at == token.created_at  # not rotated
    assert failures() == 3


def test_other_users_are_still_restored(client, user, other_user):
    login(client, "bob")
    fail_logins(3, "alice")
    close_browser(client)
    assert whoami(client) == {"user": "bob", "restored": True}


def test_was_restored_tells_axes_receivers_apart(client, user):
    login(client)
    close_browser(client)
    assert token_cookie(client)
    response = client.get("/whoami/")
    assert response.json()["restored"] is True
    request = response.wsgi_request
    assert rememberme.was_restored(request) is True


def test_reauthentication_failures_count_and_lock_out(client, user):
    login(client)
    for _ in range(3):
        response = client.post("/accounts/reauthenticate/", {"password": "not it"})
        assert response.status_code in (200, 429)
    assert failures() == 3
    # Locked out now: the right password no longer makes the session fresh.
    response = client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 429
    assert failures() >= 3
