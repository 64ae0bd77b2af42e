"""
django-hijack's real acquire and release views: impersonation never makes a
session fresh, never issues a token for the impersonated user, and never
revokes the impersonating administrator's own token.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client

import rememberme
from rememberme.internal import session_keys
from rememberme.models import RememberToken
from tests.helpers import PASSWORD, close_browser, login, token_cookie, whoami

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)


def acquire(client: Client, user) -> None:
    response = client.post("/hijack/acquire/", {"user_pk": user.pk, "next": "/whoami/"})
    assert response.status_code == 302, response
    assert whoami(client)["user"] == user.get_username()


def release(client: Client) -> None:
    response = client.post("/hijack/release/", {"next": "/whoami/"})
    assert response.status_code == 302, response


def fresh(client: Client) -> bool:
    response = client.get("/sensitive/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    return False


def test_a_restored_admin_stays_unfresh_through_acquire_and_release(
    client: Client, admin, user
) -> None:
    login(client, "root", remember=True)
    close_browser(client)
    assert whoami(client) == {"user": "root", "restored": True}
    assert not fresh(client)

    acquire(client, user)
    assert not fresh(client)

    release(client)
    assert whoami(client)["user"] == "root"
    assert not fresh(client)


def test_release_gives_a_fresh_admin_their_freshness_back(client: Client, admin, user) -> None:
    login(client, "root", remember=False)
    assert fresh(client)

    acquire(client, user)
    # The administrator proved their password, not alice's.
    assert not fresh(client)

    release(client)
    assert whoami(client)["user"] == "root"
    assert fresh(client)


def test_acquire_keeps_the_admins_token_and_issues_none(client: Client, admin, user) -> None:
    login(client, "root", remember=True)
    token = RememberToken.objects.get(user=admin)
    cookie = token_cookie(client)

    acquire(client, user)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token_cookie(client) == cookie
    assert not RememberToken.objects.filter(user=user).exists()

    release(client)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert token_cookie(client) == cookie
    assert not RememberToken.objects.filter(user=user).exists()


def test_a_browser_restart_while_impersonating_brings_the_admin_back(
    client: Client, admin, user
) -> None:
    login(client, "root", remember=True)
    acquire(client, user)
    close_browser(client)
    assert whoami(client) == {"user": "root", "restored": True}
    assert not fresh(client)


def test_after_release_revoking_the_admins_token_ends_their_session(
    client: Client, admin, user, settings
) -> None:
    # The session is tied to its token again, as before the impersonation:
    # checked on every request here.
    settings.REMEMBERME_REVALIDATE_INTERVAL = 0
    login(client, "root", remember=True)
    acquire(client, user)
    release(client)
    assert whoami(client)["user"] == "root"

    assert rememberme.revoke_user_tokens(admin, reason="admin") == 1
    assert whoami(client)["user"] is None


def test_nested_impersonation_unwinds_to_each_users_freshness(
    client: Client, admin, user, django_user_model
) -> None:
    user.is_superuser = user.is_staff = True
    user.save()
    carol = django_user_model.objects.create_user("carol", "carol@example.com", PASSWORD)
    login(client, "root", remember=True)

    acquire(client, user)
    acquire(client, carol)
    assert not fresh(client)
    release(client)
    assert whoami(client)["user"] == "alice"
    assert not fresh(client)
    release(client)
    assert whoami(client)["user"] == "root"
    assert fresh(client)
    assert not RememberToken.objects.exclude(user=admin).exists()


def test_a_logout_while_impersonating_signs_the_browser_out_for_good(
    client: Client, admin, user
) -> None:
    login(client, "root", remember=True)
    token = RememberToken.objects.get(user=admin)
    acquire(client, user)

    response = client.post("/accounts/logout/")
    assert response.status_code == 200
    # The browser's cookie is gone: the token it named is revoked with it,
    # rather than left valid with no browser holding it.
    assert token_cookie(client) is None
    token.refresh_from_db()
    assert token.revoke_reason == "logout"
    assert whoami(client)["user"] is None


def session_cookie_alone(client: Client) -> Client:
    """Return a client holding only a copy of ``client``'s session cookie."""
    copy = Client()
    name = django_settings.SESSION_COOKIE_NAME
    copy.cookies[name] = client.cookies[name].value
    return copy


def test_release_keeps_the_admins_session_bound_to_the_device(admin, user, settings) -> None:
    pytest.importorskip("cryptography", reason="device binding needs the dbsc extra")
    from tests.support.dbsc_client import DbscBrowser

    settings.REMEMBERME_DEVICE_BINDING = True
    browser = DbscBrowser()
    assert browser.register(login(browser.client, "root", remember=True)).status_code == 200
    assert whoami(session_cookie_alone(browser.client))["user"] is None

    acquire(browser.client, user)
    assert whoami(session_cookie_alone(browser.client))["user"] is None
    release(browser.client)
    assert whoami(browser.client)["user"] == "root"
    # A copy of the session cookie is still worth nothing without the
    # device's bound cookie, as before the impersonation.
    assert whoami(session_cookie_alone(browser.client))["user"] is None


def test_after_release_revoking_the_admins_token_ends_their_session_at_once(
    client: Client, admin, user, django_capture_on_commit_callbacks
) -> None:
    # The release's login() flushed the session: the token must learn the
    # key of the session it is tied to again, not wait for a revalidation.
    login(client, "root", remember=True)
    acquire(client, user)
    release(client)
    assert whoami(client)["user"] == "root"
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    token = RememberToken.objects.get(user=admin)
    assert session_keys.unseal(token.session_key_sealed, admin.pk) == key

    with django_capture_on_commit_callbacks(execute=True):
        assert rememberme.revoke_user_tokens(admin, reason="admin") == 1
    assert not Session.objects.filter(session_key=key).exists()
    assert whoami(client)["user"] is None
