"""
A revocation ends the sessions of the revoked tokens at once on server-side
session engines (database, cache, ``cached_db``, file), whichever way the
tokens are revoked; signed-cookie sessions wait for their revalidation.

Each test runs the revocation inside ``django_capture_on_commit_callbacks``:
the sessions are ended once the revocation commits, which in a test's
enclosing transaction only happens when asked.
"""

from __future__ import annotations

import logging
from typing import Any
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils.module_loading import import_string
from freezegun import freeze_time

from rememberme import revoke_user_tokens
from rememberme.internal import session_keys
from rememberme.models import RememberToken, RevokeReason
from tests.helpers import PASSWORD, change_password, close_browser, login, token_cookie, whoami
from tests.support import engines
from tests.support import urls as base_urls

urlpatterns = [
    *base_urls.urlpatterns,
    path("password/", auth_views.PasswordChangeView.as_view(success_url="/whoami/")),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

SERVER_SIDE = ["db", "cached_db", "cache", "file"] + (["cache-redis"] if engines.REDIS_URL else [])
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0"


@pytest.fixture(params=SERVER_SIDE)
def engine(request: Any, settings: Any, tmp_path: Any) -> Any:
    engines.configure(request.param, settings, tmp_path)
    # A long interval: what ends the sessions here is the revocation itself.
    settings.REMEMBERME_REVALIDATE_INTERVAL = 3600
    yield request.param
    cache.clear()


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Any) -> Any:
    """Run ``action()`` and what it left for after its commit; return its result."""

    def run(action: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def remembered(**extra: Any) -> tuple[Client, RememberToken]:
    client = Client(**extra)
    assert login(client).status_code == 302
    return client, RememberToken.objects.latest("pk")


def restored(**extra: Any) -> tuple[Client, RememberToken]:
    """A remembered browser that closed and came back: its session came from a restore."""
    client, token = remembered(**extra)
    close_browser(client)
    assert whoami(client) == {"user": "alice", "restored": True}
    return client, token


def session_exists(client: Client) -> bool:
    store = import_string(django_settings.SESSION_ENGINE + ".SessionStore")
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return bool(key) and store().exists(key)


def signed_out_at_once(client: Client) -> bool:
    # Gone from the store (not merely refused at the next check), and the
    # browser is anonymous on its very next request.
    gone = not session_exists(client)
    return gone and whoami(client)["user"] is None


@pytest.mark.parametrize("make", [remembered, restored], ids=["login", "restore"])
def test_devices_page_signs_another_browser_out_at_once(engine, user, commit, ended, make):
    other, token = make()
    me, _ = remembered()
    ended.clear()
    response = commit(
        lambda: me.post("/accounts/devices/", {"action": "revoke", "token": token.pk})
    )
    assert response.status_code == 302
    assert not session_exists(other)
    assert whoami(me)["user"] == "alice"
    # The browser signed out hears why on its next page, as at a revalidation.
    page = other.get("/accounts/devices/", follow=True)
    assert page.context["user"].is_authenticated is False
    assert "it was signed out from another browser" in page.content.decode()
    assert [(kw["reason"], kw["token"].pk, kw["user"].pk) for kw in ended] == [
        ("revoked", token.pk, user.pk)
    ]
    assert ended[0]["request"] is not None


def test_sign_out_all_other_browsers(engine, user, commit):
    first, _ = remembered()
    second, _ = restored()
    me, _ = remembered()
    commit(lambda: me.post("/accounts/devices/", {"action": "others"}))
    assert signed_out_at_once(first)
    assert signed_out_at_once(second)
    assert whoami(me)["user"] == "alice"


def test_sign_out_everywhere(engine, user, commit):
    other, _ = restored()
    me, _ = remembered()
    commit(lambda: me.post("/accounts/logout/", {"everywhere": "1"}))
    assert signed_out_at_once(other)
    assert whoami(me)["user"] is None


def test_forgetting_this_browser_keeps_its_session_until_signed_out_everywhere(
    engine, user, commit
):
    me, token = restored()
    commit(lambda: me.post("/accounts/devices/", {"action": "revoke", "token": token.pk}))
    # Forgotten, still signed in: its session is its own.
    assert token_cookie(me) is None
    assert whoami(me)["user"] == "alice"
    other, _ = remembered()
    commit(lambda: other.post("/accounts/logout/", {"everywhere": "1"}))
    assert signed_out_at_once(me)


@pytest.mark.parametrize("action", ["revoke_selected", "revoke_users"])
def test_admin_actions(engine, user, commit, admin_client, action):
    other, token = restored()
    response = commit(
        lambda: admin_client.post(
            "/admin/rememberme/remembertoken/",
            {"action": action, "_selected_action": [token.pk], "index": 0},
        )
    )
    assert response.status_code == 302
    assert signed_out_at_once(other)


def test_revoke_user_tokens(engine, user, commit):
    first, _ = remembered()
    second, _ = restored()
    assert commit(lambda: revoke_user_tokens(user, reason=RevokeReason.USER)) == 2
    assert signed_out_at_once(first)
    assert signed_out_at_once(second)


def test_theft_signs_every_browser_out_at_once(engine, user, commit, settings):
    settings.REMEMBERME_ROTATION_GRACE = 0
    victim, _ = remembered()
    stolen = token_cookie(victim)
    close_browser(victim)
    assert whoami(victim)["restored"] is True  # rotated: the stolen value is replaced
    whoami(victim)  # the rotation's response arrived: the old value is now theft
    bystander, _ = restored()
    thief = Client()
    assert stolen is not None
    thief.cookies["rememberme"] = stolen
    assert commit(lambda: whoami(thief))["user"] is None
    assert RememberToken.objects.filter(revoke_reason="theft").count() == 2
    assert signed_out_at_once(victim)
    assert signed_out_at_once(bystander)


def test_password_change_keeps_the_browser_that_made_it(engine, user, commit):
    other, _ = restored()
    me, _ = remembered()
    response = commit(lambda: change_password(me))
    assert response.status_code == 302
    # Django ends the other session at its next request (its auth hash no
    # longer matches); the browser that changed the password stays.
    assert whoami(other)["user"] is None
    assert whoami(me)["user"] == "alice"


def test_a_new_session_key_is_followed(engine, user, commit):
    # A re-authentication cycles the session key: the token follows it.
    other, _ = restored()
    response = other.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302
    me, _ = remembered()
    commit(lambda: me.post("/accounts/logout/", {"everywhere": "1"}))
    assert signed_out_at_once(other)


def test_a_failing_session_store_does_not_fail_the_revocation(engine, user, commit, caplog):
    other, token = restored()
    store = import_string(django_settings.SESSION_ENGINE + ".SessionStore")
    with (
        mock.patch.object(store, "delete", side_effect=OSError("store down")),
        caplog.at_level(logging.ERROR, logger="rememberme"),
    ):
        assert commit(lambda: token.revoke(RevokeReason.ADMIN)) is True
    assert RememberToken.objects.get(pk=token.pk).revoke_reason == "admin"
    assert "Could not end the session" in caplog.text
    # Revalidation remains: the session ends at its next check.
    with freeze_time() as clock:
        clock.tick(3601)
        if engine == "file" or engine.endswith("-redis"):
            return  # their clocks do not follow freezegun
        assert whoami(other)["user"] is None


def test_a_rolled_back_revocation_ends_nothing(engine, user, django_capture_on_commit_callbacks):
    other, token = restored()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        token.revoke(RevokeReason.ADMIN)
    # Nothing is deleted before the commit (here: never).
    assert len(callbacks) == 1
    assert session_exists(other)


def test_the_stored_key_is_no_session_cookie_without_the_secret(engine, user):
    other, token = restored()
    key = other.cookies[django_settings.SESSION_COOKIE_NAME].value
    sealed = bytes(RememberToken.objects.get(pk=token.pk).session_key_sealed)
    assert sealed
    assert key.encode() not in sealed
    assert session_keys.unseal(sealed, user.pk) == key
    with override_settings(SECRET_KEY="another site's secret"):
        assert session_keys.unseal(sealed, user.pk) != key
    # Bound to the user: moved to another user's row, it names nothing.
    assert session_keys.unseal(sealed, user.pk + 1) != key


def test_signed_cookie_sessions_end_at_their_next_check(user, settings, commit, ended):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    settings.REMEMBERME_REVALIDATE_INTERVAL = 300
    with freeze_time() as clock:
        other, token = restored()
        assert bytes(token.session_key_sealed) == b""
        me, _ = remembered()
        response = commit(
            lambda: me.post(
                "/accounts/devices/", {"action": "revoke", "token": token.pk}, follow=True
            )
        )
        assert "will be signed out within 5 minutes" in response.content.decode()
        clock.tick(299)
        assert whoami(other)["user"] == "alice"
        clock.tick(1)
        assert whoami(other)["user"] is None
        assert [kw["reason"] for kw in ended] == ["expired", "revoked"]


def test_server_side_pages_say_signed_out(engine, user, commit):
    _other, token = restored()
    me, _ = remembered()
    response = commit(
        lambda: me.post("/accounts/devices/", {"action": "revoke", "token": token.pk}, follow=True)
    )
    page = response.content.decode()
    assert "That browser is signed out." in page
    assert "within" not in page
    assert LogEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("engine_name", "says"),
    [
        (
            "signed_cookies",
            "1 remember-me token was revoked. Their browsers will be signed out within 2 minutes.",
        ),
        ("db", "1 remember-me token was revoked.</"),
    ],
)
def test_admin_message_says_when_browsers_are_signed_out(
    user, settings, admin_user, engine_name, says
):
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine_name}"
    settings.REMEMBERME_REVALIDATE_INTERVAL = 120
    admin = Client()
    admin.force_login(admin_user)
    _other, token = remembered()
    response = admin.post(
        "/admin/rememberme/remembertoken/",
        {"action": "revoke_selected", "_selected_action": [token.pk], "index": 0},
        follow=True,
    )
    assert says in response.content.decode()


def test_a_restore_records_its_session_in_the_rotations_update(engine, user):
    client, token = remembered()
    close_browser(client)
    with CaptureQueriesContext(connection) as captured:
        assert whoami(client) == {"user": "alice", "restored": True}
    table = RememberToken._meta.db_table
    writes = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
    # One UPDATE of the token (the rotation, which carries the key) and
    # login()'s last_login: no write of its own for the key.
    assert len([sql for sql in writes if table in sql]) == 1
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    stored = RememberToken.objects.get(pk=token.pk).session_key_sealed
    assert session_keys.unseal(stored, user.pk) == key


def test_a_remembered_login_over_another_users_session_records_its_key(
    engine, user, commit, django_user_model
):
    # Django's login() flushes a session signed in as someone else: the new
    # session has no key until the response saves it.
    django_user_model.objects.create_user("bob", "bob@example.com", PASSWORD)
    client = Client()
    assert login(client, "alice", remember=False).status_code == 302
    with CaptureQueriesContext(connection) as queries:
        assert login(client, "bob").status_code == 302
    token = RememberToken.objects.get(user__username="bob")
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert session_keys.unseal(token.session_key_sealed, token.user_id) == key
    # Recorded by the INSERT that issues the token, not by a write of its own.
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert not [sql for sql in updates if "remembertoken" in sql]
    assert commit(lambda: revoke_user_tokens(token.user, reason=RevokeReason.ADMIN)) == 1
    assert signed_out_at_once(client)
