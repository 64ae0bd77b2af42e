"""allauth's own login form, with and without an MFA stage, decides remember-me."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from rememberme.models import RememberToken
from tests.helpers import close_browser, token_cookie, whoami
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
