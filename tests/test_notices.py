"""
Sign-out reasons: after a theft, a revocation or an expiry, the page the
user lands on says why and what to do.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from freezegun import freeze_time

from rememberme.models import RememberToken
from tests.helpers import EPOCH, login, token_cookie

pytestmark = pytest.mark.django_db

DEVICES = "/accounts/devices/"

THEFT = "For your safety you were signed out of every browser"
REVOKED = "this browser&#x27;s sign-in was ended from another browser or by an administrator"
EXPIRED = "Your session has expired. Sign in again to continue."


def later(seconds: float) -> datetime.datetime:
    return EPOCH + datetime.timedelta(seconds=seconds)


def land(client: Client, path: str = DEVICES) -> str:
    """Follow ``path`` (to the login page, for a signed-out user); return the page."""
    response = client.get(path, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def replayed_theft(user: Any) -> Client:
    """Return a browser whose replayed, replaced cookie was just taken for theft."""
    owner = Client()
    with freeze_time(EPOCH):
        login(owner)
    stolen = token_cookie(owner)
    assert stolen is not None
    with freeze_time(later(600)):
        restored = Client()
        restored.cookies["rememberme"] = stolen
        assert restored.get("/whoami/").json()["user"] == "alice"
        # The restored browser goes on: the rotation's response arrived.
        restored.get("/whoami/")
    thief = Client()
    thief.cookies["rememberme"] = stolen
    return thief


def test_theft_is_explained_on_the_page_that_follows(user):
    thief = replayed_theft(user)
    with freeze_time(later(700)):
        page = land(thief)
    assert "Sign in" in page
    assert THEFT in page
    assert "change your password" in page
    # Shown once.
    with freeze_time(later(701)):
        assert THEFT not in land(thief)


def test_the_owners_other_browser_learns_of_the_theft_too(user, settings):
    settings.REMEMBERME_REVALIDATE_INTERVAL = 60
    other = Client()
    with freeze_time(EPOCH):
        login(other)
    thief = replayed_theft(user)
    with freeze_time(later(700)):
        thief.get("/whoami/")
    with freeze_time(later(800)):
        page = land(other)
    assert THEFT in page


def test_revocation_is_explained(user, settings):
    settings.REMEMBERME_REVALIDATE_INTERVAL = 60
    client = Client()
    with freeze_time(EPOCH):
        login(client)
        assert "Remembered browsers" in land(client)
    RememberToken.objects.get(user=user).revoke("admin")
    with freeze_time(later(61)):
        page = land(client)
    assert REVOKED in page
    assert 'name="username"' in page


def test_expiry_is_explained(user, settings):
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = 600
    client = Client()
    with freeze_time(EPOCH):
        login(client, remember=False)
    with freeze_time(later(601)):
        page = land(client)
    assert EXPIRED in page


def test_an_expiry_the_token_repairs_says_nothing(user, settings):
    settings.REMEMBERME_SESSION_AGE = 600
    client = Client()
    with freeze_time(EPOCH):
        login(client)
    with freeze_time(later(601)):
        page = land(client)
    assert "Remembered browsers" in page
    assert EXPIRED not in page


def test_a_logout_says_nothing(user):
    client = Client()
    login(client)
    client.post("/accounts/logout/")
    page = land(client)
    assert THEFT not in page
    assert REVOKED not in page
    assert EXPIRED not in page


def test_messages_before_the_middleware_work_too(user, settings):
    settings.MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "rememberme.middleware.RememberMeMiddleware",
    ]
    thief = replayed_theft(user)
    with freeze_time(later(700)):
        assert THEFT in land(thief)


def test_without_the_messages_framework_the_context_processor_tells(user, settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if "messages" not in app]
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "messages" not in m]
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "rememberme.context_processors.signed_out",
                ]
            },
        }
    ]
    thief = replayed_theft(user)
    with freeze_time(later(700)):
        assert THEFT in land(thief)
    with freeze_time(later(701)):
        assert THEFT not in land(thief)


def test_the_reason_is_translated(user, settings):
    settings.LANGUAGE_CODE = "fr"
    thief = replayed_theft(user)
    with freeze_time(later(700)):
        page = land(thief)
    assert "Par sécurité" in page
    assert THEFT not in page


def closed_browser(user: Any) -> tuple[Client, RememberToken]:
    """Return a remembered browser that was closed, and its token."""
    browser = Client()
    login(browser)
    browser.cookies.pop("sessionid", None)
    return browser, RememberToken.objects.get(user=user)


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        ("user", "it was signed out from another browser"),
        ("admin", "an administrator signed it out"),
        ("logout_all", "you signed out of every browser from another one"),
        ("password_change", "your password was changed"),
        ("theft", "For your safety you were signed out of every browser"),
    ],
)
def test_a_browser_revoked_while_closed_is_told_why_on_the_sign_in_page(user, reason, text):
    browser, token = closed_browser(user)
    token.revoke(reason)
    page = land(browser)
    assert 'name="password"' in page  # the sign-in page
    assert text in page.replace("&#x27;", "'")
    assert token_cookie(browser) is None
    # Said once.
    assert text not in land(browser).replace("&#x27;", "'")


def test_a_browser_whose_token_expired_while_closed_is_told_why(user):
    with freeze_time(EPOCH):
        browser, _ = closed_browser(user)
    with freeze_time(EPOCH + datetime.timedelta(days=15)):
        page = land(browser)
    assert "its sign-in expired" in page


def test_a_password_changed_elsewhere_is_explained(user):
    browser, _ = closed_browser(user)
    user.set_password("a new password, changed elsewhere")
    user.save()
    page = land(browser)
    assert "your password was changed" in page.replace("&#x27;", "'")


def test_a_browser_signed_out_here_gets_no_reason(user):
    browser, token = closed_browser(user)
    token.revoke("logout")
    page = land(browser)
    assert 'class="rm-messages"' not in page
