"""Sign in, close the browser, start it again: remembered or not."""

from __future__ import annotations

import pytest

from tests.browser.helpers import sign_in, whoami

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("_browser_close_sessions")
def test_remembered_browser_is_signed_in_after_restart(live_server, user, profile_factory):
    profile = profile_factory("remembered")
    page = profile.page()
    sign_in(page, live_server.url, remember=True)
    first_token = profile.cookies()["rememberme"]

    page = profile.relaunch()
    assert "sessionid" not in profile.cookies()
    assert whoami(page, live_server.url) == {"user": "alice", "restored": True}
    assert profile.cookies()["rememberme"] != first_token


def test_unticked_browser_is_signed_out_after_restart(live_server, user, profile_factory):
    profile = profile_factory("unremembered")
    page = profile.page()
    sign_in(page, live_server.url, remember=False)
    assert whoami(page, live_server.url)["user"] == "alice"

    page = profile.relaunch()
    assert whoami(page, live_server.url) == {"user": None, "restored": False}


@pytest.fixture
def _browser_close_sessions(settings):
    # Remembered sessions end at browser close too, so the restore is what
    # signs the user in after the restart.
    settings.REMEMBERME_SESSION_AGE = 0
