"""
Everyday flows in Chromium: sign-in leads to the page that asked for it,
a sign-out or a form sent after the session ended.
"""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = "/change-email/"  # behind login_required; LOGIN_REDIRECT_URL is /whoami/


def sign_in_from(page, url: str, *, remember: bool = True) -> None:
    """Open ``url`` signed out and sign in on the login page it sends to."""
    page.goto(url)
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    if remember:
        page.check("input[name=remember_me]")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def end_session(profile) -> None:
    """End the session while the page stays open (what its expiry does)."""
    profile.context.clear_cookies(name="sessionid")


def test_sign_in_leads_to_the_page_that_asked(live_server, user, profile_factory):
    profile = profile_factory()
    page = profile.page()
    sign_in_from(page, live_server.url + PAGE)
    assert page.url == live_server.url + PAGE
    assert page.locator("input[name=email]").count() == 1


def test_reauthentication_leads_to_the_page_that_asked(live_server, user, profile_factory):
    profile = profile_factory()
    page = profile.page()
    sign_in_from(page, live_server.url + PAGE)
    end_session(profile)  # the token restores a session that is not fresh
    page.goto(live_server.url + "/accounts/reauthenticate/?next=" + PAGE)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert page.url == live_server.url + PAGE


def test_sign_out_after_the_session_ended(live_server, user, profile_factory):
    profile = profile_factory()
    page = profile.page()
    sign_in_from(page, live_server.url + PAGE)
    end_session(profile)
    with page.expect_response(live_server.url + "/accounts/logout/") as answer:
        page.click("button:has-text('Sign out')")
    assert answer.value.status in (200, 302)
    cookies = {c["name"] for c in profile.context.cookies()}
    assert "rememberme" not in cookies
    assert "sessionid" not in cookies
    page.goto(live_server.url + "/whoami/")
    assert page.evaluate("() => JSON.parse(document.body.innerText)")["user"] is None


def test_a_stale_form_says_what_happened_and_goes_through_again(
    live_server, user, profile_factory
):
    profile = profile_factory()
    page = profile.page()
    sign_in_from(page, live_server.url + PAGE)
    end_session(profile)
    page.fill("input[name=email]", "new@example.com")
    page.click("button:has-text('Change')")
    page.wait_for_load_state()
    assert "Your session had ended" in page.content()
    assert "CSRF verification failed" not in page.content()
    with page.expect_navigation():
        page.click("a:has-text('Go back')")
    assert page.url == live_server.url + PAGE
    page.fill("input[name=email]", "new@example.com")
    page.click("button:has-text('Change')")
    page.wait_for_load_state()
    assert "changed for alice" in page.content()
