"""allauth's own login form, with and without an MFA stage, decides remember-me."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from rememberme.models import RememberToken
from tests.helpers import PASSWORD, close_browser, token_cookie, whoami
from tests.integrations.allauth.helpers import allauth_login, totp_code

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def test_ticked_box_remembers_the_browser(client: Client, user) -> None:
    response = allauth_login(client, remember=True)
    assert response.status_code == 302
    token = RememberToken.objects.get(user=user)
    assert token_cookie(client) is not None

    close_browser(client)
    assert whoami(client) == {"user": "alice", "restored": True}
    token.refresh_from_db()
    assert token.revoked_at is None


def test_unticked_box_issues_no_token(client: Client, user) -> None:
    allauth_login(client, remember=False)
    assert not RememberToken.objects.exists()
    assert token_cookie(client) is None
    assert whoami(client)["user"] == "alice"

    close_browser(client)
    assert whoami(client)["user"] is None


def test_ticked_session_gets_remembermes_session_age(client: Client, user, settings) -> None:
    # allauth's LoginForm sets its own expiry after login() has run (and
    # sent user_logged_in): the session age of a remembered login must win.
    settings.REMEMBERME_SESSION_AGE = HOUR
    allauth_login(client, remember=True)
    assert client.session.get_expiry_age() == 3600
    assert not client.session.get_expire_at_browser_close()


def test_unticked_session_gets_the_unremembered_session_age(
    client: Client, user, settings
) -> None:
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = HOUR
    allauth_login(client, remember=False)
    assert client.session.get_expiry_age() == 3600
    assert not client.session.get_expire_at_browser_close()


def test_unticked_session_ends_at_browser_close_by_default(client: Client, user) -> None:
    response = allauth_login(client, remember=False)
    assert response.cookies["sessionid"]["max-age"] == ""
    assert client.session.get_expire_at_browser_close()


def test_account_session_remember_true_remembers_without_the_box(
    client: Client, user, settings
) -> None:
    settings.ACCOUNT_SESSION_REMEMBER = True
    allauth_login(client, remember=False)
    assert RememberToken.objects.filter(user=user).count() == 1


def test_account_session_remember_false_ignores_the_box(client: Client, user, settings) -> None:
    settings.ACCOUNT_SESSION_REMEMBER = False
    allauth_login(client, remember=True)
    assert not RememberToken.objects.exists()


def test_mfa_login_is_remembered_once_the_code_is_given(client: Client, user, totp_secret) -> None:
    response = allauth_login(client, remember=True)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    # The password alone signs nobody in, and earns no token.
    assert whoami(client)["user"] is None
    assert not RememberToken.objects.exists()
    assert token_cookie(client) is None

    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(totp_secret)})
    assert response.status_code == 302
    assert RememberToken.objects.filter(user=user).count() == 1
    assert token_cookie(client) is not None

    close_browser(client)
    assert whoami(client) == {"user": "alice", "restored": True}


def test_mfa_login_session_gets_remembermes_session_age(
    client: Client, user, totp_secret, settings
) -> None:
    settings.REMEMBERME_SESSION_AGE = HOUR
    allauth_login(client, remember=True)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(totp_secret)})
    assert client.session.get_expiry_age() == 3600


def test_mfa_login_unticked_gets_the_unremembered_session_age(
    client: Client, user, totp_secret, settings
) -> None:
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = HOUR
    allauth_login(client, remember=False)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(totp_secret)})
    assert whoami(client)["user"] == "alice"
    assert not RememberToken.objects.exists()
    assert client.session.get_expiry_age() == 3600


def test_abandoned_mfa_stage_leaves_nothing_behind(client: Client, user, totp_secret) -> None:
    allauth_login(client, remember=True)
    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == 200
    assert not RememberToken.objects.exists()
    assert token_cookie(client) is None
    assert whoami(client)["user"] is None


def test_allauth_logout_revokes_the_browsers_token(client: Client, user) -> None:
    allauth_login(client, remember=True)
    token = RememberToken.objects.get(user=user)

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoke_reason == "logout"
    assert token_cookie(client) is None
    close_browser(client)
    assert whoami(client)["user"] is None


@pytest.mark.parametrize("session_row", ["expired", "cookie dropped"])
def test_allauth_logout_after_the_session_ended_signs_out(user, session_row, settings) -> None:
    # A logout form left open while the session expired: the POST carries
    # only the token cookie (and perhaps the dead session's cookie). It must
    # not be restored (the restore would rotate the CSRF token: a 403 that
    # still signs the browser back in) but end signed out.
    settings.REMEMBERME_SESSION_AGE = HOUR
    client = Client(enforce_csrf_checks=True)
    start = timezone.now()
    page = client.get("/accounts/login/").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf is not None
    data = {"login": "alice", "password": PASSWORD, "remember": "on"}
    assert client.post("/accounts/login/", {**data, "csrfmiddlewaretoken": csrf.group(1)})
    token = RememberToken.objects.get(user=user)
    page = client.get("/accounts/logout/").content.decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf is not None
    if session_row == "cookie dropped":
        close_browser(client)

    with freeze_time(start + 2 * HOUR):
        response = client.post("/accounts/logout/", {"csrfmiddlewaretoken": csrf.group(1)})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoke_reason == "logout"
    assert response.cookies["rememberme"].value == ""
    session_cookie = response.cookies.get("sessionid")
    if session_row == "expired":
        assert session_cookie is not None
        assert session_cookie.value == ""
    else:
        assert session_cookie is None or session_cookie.value == ""
    assert whoami(client)["user"] is None


def test_a_later_unticked_login_forgets_the_browser(client: Client, user) -> None:
    allauth_login(client, remember=True)
    token = RememberToken.objects.get(user=user)
    client.post("/accounts/logout/")
    allauth_login(client, remember=False)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not RememberToken.objects.active().exists()


def test_an_abandoned_login_does_not_remember_the_next_user(
    client: Client, user, totp_secret
) -> None:
    # Alice ticks the box, then leaves at the MFA stage; someone else signs
    # up in the same browser (a login with no password stage).
    allauth_login(client, remember=True)
    response = client.post(
        "/accounts/signup/",
        {
            "username": "carol",
            "password1": "a long new passphrase",
            "password2": "a long new passphrase",
        },
    )
    assert response.status_code == 302
    assert whoami(client)["user"] == "carol"
    assert not RememberToken.objects.exists()
