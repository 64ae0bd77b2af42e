"""
Wagtail's own admin login ("Remember me" box), logout and account page,
through Wagtail's real views.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

import rememberme
from rememberme.models import RememberToken
from tests.helpers import PASSWORD, close_browser, token_cookie, whoami

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def wagtail_login(client: Client, *, remember: bool):
    data = {"username": "editor", "password": PASSWORD}
    if remember:
        data["remember"] = "on"
    response = client.post("/admin/login/", data)
    assert response.status_code == 302, response.content[:2000]
    assert response["Location"] == "/admin/"
    return response


def test_the_ticked_box_remembers_the_browser(client: Client, editor) -> None:
    wagtail_login(client, remember=True)
    token = RememberToken.objects.get(user=editor)
    assert token_cookie(client) is not None
    assert client.get("/admin/").status_code == 200

    close_browser(client)
    assert whoami(client) == {"user": "editor", "restored": True}
    assert client.get("/admin/").status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_ticked_session_gets_remembermes_session_age(client: Client, editor, settings) -> None:
    # Not Wagtail's SESSION_COOKIE_AGE (two weeks by default).
    settings.REMEMBERME_SESSION_AGE = HOUR
    wagtail_login(client, remember=True)
    assert client.session.get_expiry_age() == 3600
    assert not client.session.get_expire_at_browser_close()


def test_the_ticked_session_ends_at_browser_close_if_set_so(
    client: Client, editor, settings
) -> None:
    settings.REMEMBERME_SESSION_AGE = 0
    response = wagtail_login(client, remember=True)
    assert response.cookies["sessionid"]["max-age"] == ""


def test_the_unticked_box_issues_no_token(client: Client, editor) -> None:
    response = wagtail_login(client, remember=False)
    assert not RememberToken.objects.exists()
    assert token_cookie(client) is None
    assert response.cookies["sessionid"]["max-age"] == ""
    close_browser(client)
    assert whoami(client)["user"] is None


def test_the_unticked_session_gets_the_unremembered_session_age(
    client: Client, editor, settings
) -> None:
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = HOUR
    wagtail_login(client, remember=False)
    assert client.session.get_expiry_age() == 3600


def test_sign_out_everywhere_ends_a_remembered_wagtail_session(
    client: Client, editor, settings
) -> None:
    settings.REMEMBERME_REVALIDATE_INTERVAL = 0
    wagtail_login(client, remember=True)
    assert rememberme.revoke_user_tokens(editor, reason="logout_all") == 1
    assert whoami(client)["user"] is None
    assert client.get("/admin/").status_code == 302


def test_wagtails_logout_revokes_the_browsers_token(client: Client, editor) -> None:
    wagtail_login(client, remember=True)
    token = RememberToken.objects.get(user=editor)

    response = client.post("/admin/logout/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoke_reason == "logout"
    assert response.cookies["rememberme"].value == ""
    assert whoami(client)["user"] is None


def test_a_password_change_on_wagtails_account_page_invalidates_other_browsers(
    editor,
) -> None:
    elsewhere, here = Client(), Client()
    wagtail_login(elsewhere, remember=True)
    wagtail_login(here, remember=True)
    elsewhere_token = RememberToken.objects.filter(user=editor).order_by("pk").first()

    response = here.post(
        "/admin/account/",
        {
            "name_email-first_name": "Edith",
            "name_email-last_name": "Editor",
            "name_email-email": "editor@example.com",
            "locale-preferred_language": "en",
            "locale-current_time_zone": "",
            "theme-theme": "system",
            "theme-density": "default",
            "theme-contrast": "system",
            "theme-keyboard_shortcuts": "on",
            "password-old_password": PASSWORD,
            "password-new_password1": "a new and long passphrase",
            "password-new_password2": "a new and long passphrase",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    elsewhere_token.refresh_from_db()
    assert elsewhere_token.revoke_reason == "password_change"

    close_browser(elsewhere)
    assert whoami(elsewhere)["user"] is None
    # The browser that changed it stays signed in, and remembered.
    assert whoami(here)["user"] == "editor"
    close_browser(here)
    assert whoami(here) == {"user": "editor", "restored": True}
