"""
In Chromium: allauth's login, its TOTP stage, "Remember Me" ticked, then a
browser restart (session cookies gone): still signed in, by a restore.
"""

from __future__ import annotations

import os

import pytest

from tests.browser.helpers import BROWSER_MARKS, chromium, restart, whoami
from tests.helpers import PASSWORD
from tests.integrations.allauth.helpers import totp_code

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

pytestmark = BROWSER_MARKS

# Playwright's sync API runs an event loop in the main thread, and Django
# then refuses the fixtures' synchronous ORM calls; they are synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def test_mfa_login_remembered_across_a_browser_restart(live_server, user, totp_secret, settings):
    # The session itself ends with the browser: only the token can sign in.
    settings.REMEMBERME_SESSION_AGE = 0
    with chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        page.goto(live_server.url + "/accounts/login/?next=/whoami/")
        page.fill("input[name=login]", "alice")
        page.fill("input[name=password]", PASSWORD)
        page.check("input[name=remember]")
        page.press("input[name=password]", "Enter")
        page.wait_for_url("**/accounts/2fa/authenticate/**")
        assert "rememberme" not in {c["name"] for c in context.cookies()}

        page.fill("input[name=code]", totp_code(totp_secret))
        page.press("input[name=code]", "Enter")
        page.wait_for_url("**/whoami/")
        assert whoami(page, live_server.url) == {"user": "alice", "restored": False}

        # Closing the browser keeps the persistent cookies only.
        context = restart(browser, context)
        page = context.new_page()
        assert whoami(page, live_server.url) == {"user": "alice", "restored": True}
        context.close()
