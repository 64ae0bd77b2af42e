"""Signing out after the session expired, with only the token cookie left."""

from __future__ import annotations

import datetime
import re
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from rememberme.internal import crypto, tokens
from rememberme.internal.cookie import new_cookie_value
from rememberme.models import RememberToken
from tests.helpers import close_browser, login, token_cookie, whoami

pytestmark = pytest.mark.django_db

LOGOUT_URLS = ["/accounts/logout/", "/django-logout/", "/site-logout/"]


def csrf_token_of(client: Client, url: str = "/change-email/") -> str:
    """Return the CSRF token of a page's sign-out form, as the browser holds it."""
    page = client.get(url).content.decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


@pytest.fixture
def strict_client(user):
    """A remembered browser that checks CSRF as a real one would be checked."""
    client = Client(enforce_csrf_checks=True)
    # The login form needs its token too.
    token = csrf_token_of(client, "/accounts/login/")
    response = client.post(
        "/accounts/login/",
        {
            "username": "alice",
            "password": "correct horse battery staple",
            "remember_me": "on",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("url", LOGOUT_URLS)
def test_sign_out_after_the_session_ended_signs_out(strict_client, url, ended):
    client = strict_client
    form_token = csrf_token_of(client)
    token = RememberToken.objects.get()
    # The session ends (its cookie dropped, as at its expiry or a restart)
    # while the page with the sign-out form stays open.
    close_browser(client)
    sessions_before = client.session.session_key
    response = client.post(url, {"csrfmiddlewaretoken": form_token})
    assert response.status_code in (200, 302)
    token.refresh_from_db()
    assert token.revoke_reason == "logout"
    assert response.cookies["rememberme"].value == ""
    # No session was restored for it: none is sent back.
    sent = response.cookies.get(settings.SESSION_COOKIE_NAME)
    assert sent is None or sent.value == ""
    assert whoami(client)["user"] is None
    assert token_cookie(client) is None
    assert sessions_before is None or client.session.session_key != sessions_before


def test_sign_out_after_the_session_expired_deletes_the_session_cookie(strict_client):
    client = strict_client
    form_token = csrf_token_of(client)
    # The session's row is gone, its cookie is still sent.
    Session.objects.all().delete()
    response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": form_token})
    assert response.status_code in (200, 302)
    assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""
    assert response.cookies["rememberme"].value == ""
    assert RememberToken.objects.get().revoke_reason == "logout"


def test_sign_out_costs_one_verification_and_no_rotation(strict_client):
    client = strict_client
    form_token = csrf_token_of(client)
    close_browser(client)
    with mock.patch.object(tokens, "hash_verifier", wraps=crypto.hash_verifier) as hashing:
        client.post("/accounts/logout/", {"csrfmiddlewaretoken": form_token})
    assert hashing.call_count == 0


def test_a_replayed_cookie_does_not_sign_out_quietly_it_is_theft(remembered, thefts, settings):
    settings.REMEMBERME_ROTATION_GRACE = 0
    client, token = remembered
    old = token_cookie(client)
    assert old is not None
    close_browser(client)
    assert whoami(client)["user"] == "alice"  # restored: the cookie rotated
    assert whoami(client)["user"] == "alice"  # and the rotation's response arrived
    attacker = Client()
    attacker.cookies["rememberme"] = old
    attacker.post("/accounts/logout/")
    token.refresh_from_db()
    assert token.revoke_reason == "theft"
    assert len(thefts) == 1


def test_a_junk_or_unknown_cookie_revokes_nothing_and_costs_no_argon2(remembered):
    _client, token = remembered
    with mock.patch.object(tokens, "verify_verifier") as verify:
        for junk in ["junk", "x" * 300, new_cookie_value().encode()]:
            attacker = Client()
            attacker.cookies["rememberme"] = junk
            response = attacker.post("/accounts/logout/")
            assert response.status_code in (200, 302)
    assert verify.call_count == 0
    token.refresh_from_db()
    assert token.revoked_at is None


def test_sign_out_everywhere_after_the_session_ended(user):
    client = Client()
    login(client)
    other = Client()
    login(other)
    close_browser(client)
    client.post("/accounts/logout/", {"everywhere": "1"})
    assert set(RememberToken.objects.values_list("revoke_reason", flat=True)) == {
        "logout",
        "logout_all",
    }
    close_browser(other)
    assert whoami(other)["user"] is None


def test_logout_url_shows_a_sign_out_button(remembered):
    client, token = remembered
    response = client.get("/accounts/logout/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'method="post"' in page
    assert "csrfmiddlewaretoken" in page
    token.refresh_from_db()
    assert token.revoked_at is None
    assert whoami(client)["user"] == "alice"


def test_a_cookie_whose_rotation_never_arrived_signs_out_without_theft(remembered, thefts):
    # The browser restored, but the restore's response (the new cookie) was
    # lost; past the grace window it signs out with the cookie it still
    # holds. That is the owner, as a restore at this moment would assume
    # (it repairs the cookie): a sign-out, not a theft.
    client, token = remembered
    later = timezone.now() + datetime.timedelta(hours=2)
    with freeze_time(later) as clock:
        lost = Client()
        lost.cookies["rememberme"] = token_cookie(client) or ""
        assert whoami(lost)["restored"] is True  # rotated; its response goes nowhere
        clock.tick(datetime.timedelta(minutes=5))
        close_browser(client)
        response = client.post("/accounts/logout/")
    assert response.status_code in (200, 302)
    token.refresh_from_db()
    assert token.revoke_reason == "logout"
    assert thefts == []
