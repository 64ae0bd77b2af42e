"""Helpers the browser tests import: the browser to launch, sign in and ask who is signed in."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import PASSWORD

__all__ = ["BROWSER_MARKS", "CHROMIUM", "LAUNCH_ARGS", "chromium", "restart", "sign_in", "whoami"]

#: Debian's Chromium (Playwright cannot download its own browsers here).
CHROMIUM = os.environ.get("REMEMBERME_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

#: The marks of a module of Chromium tests outside tests/browser/ (the
#: integration suites'): run with the browser tests, against a live server
#: whose data the test's transaction must not hide, skipped without Chromium.
#: Such a module also sets DJANGO_ALLOW_ASYNC_UNSAFE, as tests/browser's
#: conftest does (see there why).
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
]


def sign_in(page, base_url: str, *, remember: bool) -> None:
    page.goto(base_url + "/accounts/login/?next=/whoami/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    if remember:
        page.check("input[name=remember_me]")
    page.click("button[type=submit]")
    page.wait_for_url("**/whoami/")


def whoami(page, base_url: str) -> dict:
    page.goto(base_url + "/whoami/")
    return page.evaluate("() => JSON.parse(document.body.innerText)")


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Launch Debian's Chromium, headless, for one test; close it after."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def restart(browser: Any, context: Any) -> Any:
    """
    Close ``context`` as a browser quits and return a new one holding what a
    browser keeps across a restart: its persistent cookies, the token among
    them, and no session cookie.
    """
    kept = [cookie for cookie in context.cookies() if cookie["expires"] != -1]
    context.close()
    assert "rememberme" in {cookie["name"] for cookie in kept}
    assert "sessionid" not in {cookie["name"] for cookie in kept}
    restarted = browser.new_context()
    restarted.add_cookies(kept)
    return restarted
