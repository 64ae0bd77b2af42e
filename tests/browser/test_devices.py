"""Two real browsers remembered as one user: one signs out all the others."""

from __future__ import annotations

import pytest

from tests.browser.helpers import sign_in, whoami

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_out_all_other_browsers(live_server, user, profile_factory, settings):
    # Every request re-checks the token, so B's live session ends on its
    # very next request rather than within the default five minutes.
    settings.REMEMBERME_REVALIDATE_INTERVAL = 0
    profile_a, profile_b = profile_factory("a"), profile_factory("b")
    a, b = profile_a.page(), profile_b.page()
    sign_in(a, live_server.url, remember=True)
    sign_in(b, live_server.url, remember=True)
    assert whoami(b, live_server.url)["user"] == "alice"

    a.goto(live_server.url + "/accounts/devices/")
    assert a.locator("tbody tr").count() == 2
    assert a.locator("tr.current").count() == 1
    a.click("button[name=sign-out-others]")
    a.wait_for_load_state()
    assert "1 other browser is signed out." in a.content()
    assert a.locator("tbody tr").count() == 1

    assert whoami(b, live_server.url) == {"user": None, "restored": False}
    assert whoami(a, live_server.url)["user"] == "alice"

    # Restarting B does not bring it back (its token is revoked); A restarts remembered.
    b = profile_b.relaunch()
    assert whoami(b, live_server.url) == {"user": None, "restored": False}
    a = profile_a.relaunch()
    assert whoami(a, live_server.url)["user"] == "alice"


def test_a_signed_out_browser_is_signed_out_at_once(live_server, user, profile_factory, settings):
    # The default interval: with database sessions the revocation itself
    # deletes B's session, so B's very next request is anonymous, and says why.
    settings.REMEMBERME_REVALIDATE_INTERVAL = 300
    profile_a, profile_b = profile_factory("a"), profile_factory("b")
    a, b = profile_a.page(), profile_b.page()
    sign_in(b, live_server.url, remember=True)
    sign_in(a, live_server.url, remember=True)
    assert whoami(b, live_server.url)["user"] == "alice"

    a.goto(live_server.url + "/accounts/devices/")
    # This browser is listed first, whichever was used last.
    assert a.locator("tbody tr").first.get_attribute("class") == "current"
    a.click("button[name=sign-out-others]")
    a.wait_for_load_state()
    assert "1 other browser is signed out." in a.content()

    b.goto(live_server.url + "/accounts/devices/")
    assert "no longer keeps you signed in" in b.content()
    assert whoami(b, live_server.url) == {"user": None, "restored": False}
