"""session-status.js in a real browser: the events fire, polling extends nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.browser.helpers import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.browser.status_urls"),
]

SESSION_AGE = 6

# Recorded in sessionStorage, which survives the reload the snippet makes.
RECORD_EVENTS = """
for (const name of ["rememberme:expiring", "rememberme:expired"]) {
  document.addEventListener(name, (event) => {
    const events = JSON.parse(sessionStorage.getItem("events") || "[]");
    events.push({type: name, detail: event.detail, at: Date.now()});
    sessionStorage.setItem("events", JSON.stringify(events));
  });
}
"""


@pytest.fixture
def short_sessions(settings: Any) -> None:
    settings.REMEMBERME_SESSION_AGE = SESSION_AGE
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = SESSION_AGE
    # The trap the status endpoint must not fall into: every ordinary
    # request would extend the session.
    settings.SESSION_SAVE_EVERY_REQUEST = True
    settings.STATIC_URL = "/js/"


def events(page: Any) -> list[dict[str, Any]]:
    recorded: list[dict[str, Any]] = json.loads(
        page.evaluate("sessionStorage.getItem('events') || '[]'")
    )
    return recorded


@pytest.mark.usefixtures("short_sessions")
def test_events_fire_and_polling_does_not_extend(live_server, user, profile_factory):
    profile = profile_factory("status")
    page = profile.page()
    page.add_init_script(RECORD_EVENTS)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/accounts/status/" in r.url else None)
    sign_in(page, live_server.url, remember=True)
    page.goto(live_server.url + "/status-page/")
    loaded = time.time() * 1000
    assert page.text_content("#who") == "alice"

    # The snippet reloads the page on "expired" (the browser is remembered):
    # wait for the restored page.
    page.wait_for_function(
        "JSON.parse(sessionStorage.getItem('events') || '[]')"
        ".some(e => e.type === 'rememberme:expired')",
        timeout=(SESSION_AGE + 10) * 1000,
    )
    page.wait_for_selector("#restored:text('True')", timeout=10_000)

    recorded = events(page)
    assert [e["type"] for e in recorded] == ["rememberme:expiring", "rememberme:expired"]
    expiring, expired = recorded
    assert 0 <= expiring["detail"]["secondsLeft"] <= 3
    assert expiring["detail"]["remembered"] is True
    assert expired["detail"] == {"remembered": True}
    # Polled about every second for the whole session, and the session still
    # ended SESSION_AGE seconds after the page load.
    assert len(polls) >= SESSION_AGE - 2
    assert expired["at"] - loaded >= (SESSION_AGE - 1) * 1000
    assert expired["at"] - loaded <= (SESSION_AGE + 4) * 1000
    assert page.text_content("#who") == "alice"


@pytest.mark.usefixtures("short_sessions")
def test_banner_for_an_unremembered_session(live_server, user, profile_factory):
    profile = profile_factory("banner")
    page = profile.page()
    sign_in(page, live_server.url, remember=False)
    page.goto(live_server.url + "/status-page/")
    banner = page.locator(".rememberme-banner")
    banner.wait_for(state="visible", timeout=(SESSION_AGE + 2) * 1000)
    assert "Your session ends in" in banner.text_content()
    # Unremembered: the snippet sends the user to the login page.
    page.wait_for_url("**/accounts/login/**", timeout=(SESSION_AGE + 10) * 1000)
