"""
In Chromium: a single-page app signs in through allauth.headless' browser
API with ``"remember": true``, then a browser restart (session cookies
gone): the app's next call finds the user signed in, by a restore.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.helpers import BROWSER_MARKS, chromium, restart
from tests.helpers import PASSWORD

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

pytestmark = BROWSER_MARKS

# Playwright's sync API runs an event loop in the main thread, and Django
# then refuses the fixtures' synchronous ORM calls; they are synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

API = "/_allauth/browser/v1"

# What a single-page app does: fetch() with the CSRF cookie echoed in a header.
CALL = """async ([method, url, body]) => {
    const csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]*)/) || [])[1] || "";
    const response = await fetch(url, {
        method,
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
        body: body === null ? undefined : JSON.stringify(body),
    });
    return [response.status, await response.json()];
}"""


def call(page, method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
    status, data = page.evaluate(CALL, [method, url, body])
    return status, data


def test_spa_login_remembered_across_a_browser_restart(live_server, user, settings):
    # The session itself ends with the browser: only the token can sign in.
    settings.REMEMBERME_SESSION_AGE = 0
    with chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        page.goto(live_server.url + "/whoami/")
        # The first call sets the CSRF cookie, as the app's start-up does.
        assert call(page, "GET", API + "/auth/session")[0] == 401
        body = {"username": "alice", "password": PASSWORD, "remember": True}
        status, data = call(page, "POST", API + "/auth/login", body)
        assert status == 200, data
        assert data["meta"]["is_authenticated"]

        # Closing the browser keeps the persistent cookies only.
        context = restart(browser, context)
        page = context.new_page()
        page.goto(live_server.url + "/whoami/")
        assert page.evaluate("() => JSON.parse(document.body.innerText)") == {
            "user": "alice",
            "restored": True,
        }
        status, data = call(page, "GET", API + "/auth/session")
        assert status == 200, data
        assert data["data"]["user"]["username"] == "alice"
        context.close()
