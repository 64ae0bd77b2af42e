"""Helpers the browser tests import: the browser to launch, sign in and ask who is signed in."""

from __future__ import annotations

import os

from tests.helpers import PASSWORD

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "sign_in", "whoami"]

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
