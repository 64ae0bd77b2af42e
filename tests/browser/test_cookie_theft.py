"""
In a real browser: the token cookie as Chromium stores it, and a stolen copy.

Browser A signs in with "Remember me". Someone copies A's token cookie into
browser B (another profile: another machine, as far as the site can tell).
A uses it first (a restart, so a restore and a rotation); when B replays the
copy after the grace window, that is theft: B gets nothing, and every
remembered browser of the user, A included, is signed out.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from rememberme.models import RememberToken, RevokeReason
from tests.browser.helpers import sign_in, whoami

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def token_cookie(profile: Any) -> dict[str, Any]:
    assert profile.context is not None
    (cookie,) = [c for c in profile.context.cookies() if c["name"] == "rememberme"]
    return dict(cookie)


def test_the_stored_cookie(live_server, user, profile_factory, settings):
    profile = profile_factory("attributes")
    page = profile.page()
    before = time.time()
    sign_in(page, live_server.url, remember=True)
    cookie = token_cookie(profile)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # plain http in the test; follows SESSION_COOKIE_SECURE
    assert cookie["path"] == "/"
    assert cookie["domain"] in ("127.0.0.1", "localhost")
    # A persistent cookie that lives as long as the token: 14 days.
    lifetime = cookie["expires"] - before
    assert abs(lifetime - 14 * 24 * 3600) < 120, lifetime
    # Scripts on the page cannot read it.
    assert "rememberme" not in page.evaluate("() => document.cookie")


def test_a_copied_cookie_replayed_after_the_grace_window_is_theft(
    live_server, user, profile_factory, settings
):
    settings.REMEMBERME_ROTATION_GRACE = 2
    # Every request re-checks the token, so A's live session ends on its
    # very next request rather than within the default five minutes.
    settings.REMEMBERME_REVALIDATE_INTERVAL = 0
    settings.REMEMBERME_SESSION_AGE = 0  # sessions end at browser close
    profile_a, profile_b = profile_factory("victim"), profile_factory("thief")
    a = profile_a.page()
    sign_in(a, live_server.url, remember=True)
    stolen = token_cookie(profile_a)

    # B gets the copy before it has loaded anything from the site: a page
    # already open would fetch its favicon with the copy, which would then
    # be the first use (and A's the replay).
    profile_b.launch().add_cookies([stolen])
    b = profile_b.page()

    # A restarts first: restored, and its token rotated. (Whether A's
    # browser got the new cookie depends on whether Chromium's own first
    # request of the restart, abandoned by the navigation, had its
    # response read: the replay below is theft either way.)
    a = profile_a.relaunch()
    assert whoami(a, live_server.url) == {"user": "alice", "restored": True}
    assert RememberToken.objects.get(user=user).previous_verifier_hash

    time.sleep(2.5)  # past the grace window
    assert whoami(b, live_server.url) == {"user": None, "restored": False}
    assert "rememberme" not in profile_b.cookies()  # deleted
    token = RememberToken.objects.get(user=user)
    assert token.revoke_reason == RevokeReason.THEFT

    # A is signed out everywhere: its live session ends, and a restart
    # does not bring it back.
    assert whoami(a, live_server.url) == {"user": None, "restored": False}
    a = profile_a.relaunch()
    assert whoami(a, live_server.url) == {"user": None, "restored": False}
