"""
Clock skew between app servers (docs/deployment.rst, "Clocks").

The grace window and the lifetimes are decided with each app server's own
clock (``timezone.now()``). Two servers handling one cookie's racing
requests agree as long as their clocks differ by less than the grace
window; these tests pin down what happens within and beyond that, with one
frozen clock per request: server A rotates, server B sees the replaced
cookie a moment later by the wall clock.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from freezegun import freeze_time

from rememberme.internal.conf import app_settings
from rememberme.models import RememberToken
from tests.helpers import BACKEND, EPOCH, token_cookie, whoami

GRACE = 30

pytestmark = pytest.mark.django_db


@pytest.fixture
def rotated(settings, user):
    """A token rotated by server A at EPOCH; the cookie from before the rotation."""
    settings.REMEMBERME_ROTATION_GRACE = GRACE
    with freeze_time(EPOCH):
        token, value = RememberToken.objects.issue(user, backend=BACKEND)
    old = value.encode()
    with freeze_time(EPOCH + datetime.timedelta(seconds=1)):
        browser = Client()
        browser.cookies[app_settings.COOKIE_NAME] = old
        assert whoami(browser)["restored"]
        assert token_cookie(browser) != old
        # The browser goes on with what it got: the rotation's response
        # arrived (until then a replaced cookie after the window is repaired).
        assert whoami(browser)["user"] == "alice"
    return token, old


def server_b(cookie: str, clock: datetime.datetime) -> tuple[dict[str, object], str | None]:
    """
    Send one request carrying ``cookie`` to a server whose clock reads
    ``clock``; return its answer and the token cookie it set, if any.
    """
    client = Client()
    client.cookies[app_settings.COOKIE_NAME] = cookie
    with freeze_time(clock):
        response = client.get("/whoami/")
    morsel = response.cookies.get(app_settings.COOKIE_NAME)
    return response.json(), morsel.value if morsel is not None else None


@pytest.mark.parametrize("skew", [-20, 0, 20])
def test_skew_within_the_grace_window_changes_nothing(rotated, skew, thefts):
    _token, old = rotated
    # A racing tab, two seconds after the rotation by the wall clock.
    clock = EPOCH + datetime.timedelta(seconds=1 + 2 + skew)
    answer, cookie = server_b(old, clock)
    assert answer == {"user": "alice", "restored": True}
    assert cookie is None  # in the window: a session, no cookie, no second rotation
    assert thefts == []


def test_a_server_ahead_by_more_than_the_window_takes_a_racing_tab_for_theft(rotated, thefts):
    token, old = rotated
    clock = EPOCH + datetime.timedelta(seconds=1 + 2 + GRACE + 10)
    answer, _cookie = server_b(old, clock)
    assert answer["user"] is None
    assert len(thefts) == 1
    token.refresh_from_db()
    assert token.revoke_reason == "theft"


def test_a_server_behind_accepts_the_replaced_cookie_for_longer(rotated, thefts):
    _token, old = rotated
    # By the wall clock the window closed 10 s ago; server B's clock is
    # 40 s behind, so to it the rotation happened moments ago.
    clock = EPOCH + datetime.timedelta(seconds=1 + GRACE + 10 - 40)
    answer, cookie = server_b(old, clock)
    assert answer == {"user": "alice", "restored": True}
    assert cookie is None
    assert thefts == []
    # Only the window grows: the same cookie at a correct clock is theft.
    answer, _cookie = server_b(old, EPOCH + datetime.timedelta(seconds=1 + GRACE + 10))
    assert answer["user"] is None
    assert len(thefts) == 1
