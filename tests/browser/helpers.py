"""Helpers the browser tests import: sign in and ask who is signed in, in a page."""

from __future__ import annotations

from tests.helpers import PASSWORD

__all__ = ["sign_in", "whoami"]


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
