"""Restoring a session from a token: every rule of the restore (docs/security.rst)."""

from __future__ import annotations

import datetime
from importlib import import_module
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import DatabaseError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from rememberme import signals
from rememberme.internal import crypto
from rememberme.internal.cookie import CookieValue, new_cookie_value
from rememberme.models import RememberToken
from tests.helpers import (
    PASSWORD,
    close_browser,
    counting_argon2,
    login,
    parsed,
    receiving,
    token_cookie,
    whoami,
)

pytestmark = pytest.mark.django_db

ANON = {"user": None, "restored": False}
RESTORED = {"user": "alice", "restored": True}


@pytest.fixture
def argon2_calls():
    """Count every Argon2 hash and verify."""
    with counting_argon2() as (verify, hash_):
        yield lambda: verify.call_count + hash_.call_count


def test_restore_signs_in_rotates_and_sends_signals(remembered):
    client, token = remembered
    old_cookie = token_cookie(client)
    old_session = client.session.session_key
    with (
        receiving(signals.session_restored) as restored,
        receiving(user_logged_in) as logged_in,
    ):
        close_browser(client)
        assert whoami(client) == RESTORED
    new_cookie = token_cookie(client)
    assert new_cookie
    assert new_cookie != old_cookie
    assert client.session.session_key != old_session
    token.refresh_from_db()
    assert crypto.verify_verifier(token.verifier_hash, parsed(new_cookie).verifier)
    assert len(restored) == 1
    assert restored[0]["token"].pk == token.pk
    assert restored[0]["rotated"] is True
    assert len(logged_in) == 1
    # Later requests ride the new session: no second restore.
    assert whoami(client) == {"user": "alice", "restored": False}


def test_restored_session_keeps_the_original_backend(remembered, settings):
    client, _token = remembered
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.AllowAllUsersModelBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    close_browser(client)
    assert whoami(client) == RESTORED
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"


def test_restored_session_gets_the_remembered_session_age(remembered, settings):
    client, _ = remembered
    settings.REMEMBERME_SESSION_AGE = 0
    close_browser(client)
    whoami(client)
    assert client.session.get_expire_at_browser_close()


def test_expired_session_is_restored(client, user, settings):
    settings.SESSION_COOKIE_AGE = 3600
    with freeze_time("2026-01-01 00:00"):
        login(client)
    # The session cookie is still sent, but its session has expired.
    with freeze_time("2026-01-01 01:01"):
        assert whoami(client) == RESTORED


def test_flushed_session_is_restored(remembered):
    client, _ = remembered
    session = client.session
    session.flush()
    assert whoami(client) == RESTORED


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (datetime.timedelta(days=14) - datetime.timedelta(seconds=1), RESTORED),
        (datetime.timedelta(days=14), ANON),
    ],
)
def test_idle_expiry(client, user, offset, expected):
    with freeze_time("2026-01-01"):
        login(client)
    close_browser(client)
    with freeze_time(datetime.datetime(2026, 1, 1) + offset):
        assert whoami(client) == expected


def test_each_use_renews_the_idle_lifetime(client, user):
    with freeze_time("2026-01-01"):
        login(client)
    for day in (10, 20, 30 - 1):
        close_browser(client)
        with freeze_time(datetime.datetime(2026, 1, day)):
            assert whoami(client) == RESTORED


def test_absolute_expiry_counts_from_the_password_login(client, user):
    with freeze_time("2026-01-01"):
        login(client)
    for day in (10, 20, 30):
        close_browser(client)
        with freeze_time(datetime.datetime(2026, 1, day)):
            assert whoami(client) == RESTORED
    close_browser(client)
    with freeze_time(datetime.datetime(2026, 1, 31, 0, 0, 1)):
        assert whoami(client) == ANON
    token = RememberToken.objects.get(user=user)
    assert token.revoke_reason == "expired"


def test_no_absolute_cap(client, user, settings):
    settings.REMEMBERME_TOKEN_MAX_AGE = None
    with freeze_time("2026-01-01"):
        login(client)
    for days in range(10, 200, 10):
        close_browser(client)
        with freeze_time(datetime.datetime(2026, 1, 1) + datetime.timedelta(days=days)):
            assert whoami(client) == RESTORED


def test_shortened_lifetime_applies_from_the_next_use(remembered, settings):
    # A token's end is fixed at each use by the rules then in force, so the
    # purge, the devices page and the restore never disagree about it.
    client, _ = remembered
    close_browser(client)
    settings.REMEMBERME_TOKEN_AGE = datetime.timedelta(hours=1)
    later = datetime.datetime.now() + datetime.timedelta(hours=2)
    with freeze_time(later):
        assert whoami(client)["restored"] is True  # given 14 days at sign-in
    close_browser(client)
    with freeze_time(later + datetime.timedelta(hours=2)):
        assert whoami(client) == ANON  # given 1 hour at that restore


def test_revoked_token_does_nothing(remembered):
    client, token = remembered
    token.revoke("admin")
    close_browser(client)
    response = client.get("/whoami/")
    assert response.json() == ANON
    assert response.cookies["rememberme"].value == ""


def test_inactive_user_is_not_restored(remembered, user):
    client, token = remembered
    user.is_active = False
    user.save()
    close_browser(client)
    assert whoami(client) == ANON
    token.refresh_from_db()
    assert token.revoke_reason == "inactive"


def test_password_changed_elsewhere_invalidates(remembered, user, django_user_model):
    client, token = remembered
    # Even a change that bypasses set_password() (a raw UPDATE from another
    # system, say) is caught by the fingerprint.
    django_user_model.objects.filter(pk=user.pk).update(password="md5$x$0123")
    close_browser(client)
    assert whoami(client) == ANON
    token.refresh_from_db()
    assert token.revoke_reason == "password_change"


def test_removed_backend_is_not_restored(remembered, settings):
    client, _token = remembered
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    close_browser(client)
    response = client.get("/whoami/")
    assert response.json() == ANON
    assert response.cookies["rememberme"].value == ""


def test_deleted_user_takes_its_tokens(remembered, user):
    client, _ = remembered
    user.delete()
    assert not RememberToken.objects.exists()
    close_browser(client)
    assert whoami(client) == ANON


def test_live_session_costs_no_query(remembered, django_assert_num_queries):
    client, _ = remembered
    plain = Client()
    plain.login(username="alice", password=PASSWORD)
    # The same request, with and without a token cookie: the middleware adds
    # nothing to what loading the session and the user costs anyway.
    with django_assert_num_queries(2):
        plain.get("/whoami/")
    with django_assert_num_queries(2):
        client.get("/whoami/")


def test_malformed_cookie_costs_no_query_and_no_argon2(
    client, django_assert_num_queries, argon2_calls
):
    client.cookies["rememberme"] = "garbage"
    with django_assert_num_queries(0):
        response = client.get("/whoami/")
    assert response.json() == ANON
    assert response.cookies["rememberme"].value == ""
    assert argon2_calls() == 0


def test_unknown_selector_costs_one_query_and_no_argon2(
    client, user, django_assert_num_queries, argon2_calls
):
    client.cookies["rememberme"] = new_cookie_value().encode()
    with django_assert_num_queries(1) as captured:
        response = client.get("/whoami/")
    assert response.json() == ANON
    assert response.cookies["rememberme"].value == ""
    assert argon2_calls() == 0
    assert "selector" in captured.captured_queries[0]["sql"]


def test_expired_token_costs_no_argon2(client, user, argon2_calls):
    with freeze_time("2026-01-01"):
        login(client)
    close_browser(client)
    calls = argon2_calls()
    with freeze_time("2026-03-01"):
        assert whoami(client) == ANON
    assert argon2_calls() == calls


def test_restore_costs_one_verify_and_one_hash(remembered, argon2_calls):
    client, _ = remembered
    close_browser(client)
    before = argon2_calls()
    whoami(client)
    assert argon2_calls() - before == 2


def test_restore_uses_djangos_login(remembered):
    client, token = remembered
    close_browser(client)
    whoami(client)
    assert client.session[SESSION_KEY] == str(token.user_id)


_S = "0" * 8 + "A" * 22  # a selector's shape
_V = "B" * 43  # a verifier's shape
BAD_COOKIES = [
    "",
    " ",
    "null",
    "undefined",
    "a" * 74,
    _S + ":" + _V + ";",
    _S + ":" + _V + "\x00",
    '"' + _S + ":" + _V + '"',
    "%41" * 30 + ":" + _V,
    "' OR 1=1 --" + "A" * 19 + ":" + _V,
    "../../etc/passwd",
    _S + "::" + _V[1:],
    "\uff21" * 30 + ":" + _V,  # fullwidth A
    "A" * 4096,
    "e30=:e30=",
    "\u202e" * 74,
]


@pytest.mark.parametrize("value", BAD_COOKIES)
def test_bad_cookies_end_anonymous_and_are_deleted(client, user, value, argon2_calls):
    # A WSGI server hands the header over as latin-1-decoded bytes, so
    # non-ASCII arrives as mojibake; send it the same way.
    header = f"rememberme={value}".encode().decode("latin-1")
    response = client.get("/whoami/", HTTP_COOKIE=header)
    assert response.status_code == 200
    assert response.json() == ANON
    if value.strip():
        assert response.cookies["rememberme"].value == ""
    assert argon2_calls() == 0


def test_a_cookie_of_another_users_selector_and_own_verifier_is_refused(
    client, user, other_user, argon2_calls
):
    alice, bob = Client(), Client()
    login(alice)
    login(bob, "bob")
    alices = parsed(token_cookie(alice))
    bobs = parsed(token_cookie(bob))
    mixed = CookieValue(alices.selector, bobs.verifier)
    client.cookies["rememberme"] = mixed.encode()
    assert whoami(client) == ANON


def _session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE")) and "django_session" in q["sql"]
    ]


def test_restore_writes_the_new_session_once(remembered):
    # login() would reserve a key with an empty row that the response then
    # overwrites; a browser without a session needs one INSERT, no more.
    client, _ = remembered
    close_browser(client)
    with CaptureQueriesContext(connection) as queries:
        assert whoami(client) == RESTORED
    writes = _session_writes(queries)
    assert len(writes) == 1
    assert writes[0].startswith("INSERT")
    assert whoami(client)["user"] == "alice"


def test_restore_asks_the_session_store_nothing_before_writing(remembered):
    # The key of the new session is not looked up first: the INSERT with
    # must_create fails on a taken key, and the engine draws again.
    client, _ = remembered
    close_browser(client)
    with CaptureQueriesContext(connection) as queries:
        assert whoami(client) == RESTORED
    session_sql = [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]
    assert len(session_sql) == 1
    assert session_sql[0].startswith("INSERT")


@pytest.mark.parametrize("engine", ["db", "cache", "file"])
def test_a_session_key_already_taken_is_drawn_again(user, settings, tmp_path, engine):
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    settings.SESSION_FILE_PATH = str(tmp_path)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    client = Client()  # its handler loads the engine
    login(client)
    close_browser(client)
    other = store()
    other["cart"] = "someone else's"
    other.create()
    taken = other.session_key
    fresh = "f" * 32
    with mock.patch(
        "rememberme.internal.session_keys.get_random_string", side_effect=[taken, fresh]
    ) as draw:
        assert whoami(client) == RESTORED
    assert draw.call_count == 2
    assert client.cookies["sessionid"].value == fresh
    assert store(taken).load() == {"cart": "someone else's"}
    assert whoami(client) == {"user": "alice", "restored": False}


def test_an_engine_that_draws_its_own_keys_keeps_its_generator(user, settings):
    settings.SESSION_ENGINE = "tests.support.own_key_engine"
    client = Client()
    login(client)
    close_browser(client)
    assert whoami(client) == RESTORED
    assert client.cookies["sessionid"].value.startswith("own")


def test_a_sign_in_that_fails_leaves_the_token_as_it_was(remembered):
    # The rotation and login()'s writes commit together: when a
    # user_logged_in receiver fails on the database, the token is not
    # rotated, no restore is announced, and the cookie still works.
    client, token = remembered
    close_browser(client)
    issued = token.verifier_hash
    cookie = token_cookie(client)

    def fail(**kwargs):
        RememberToken.objects.filter(pk=token.pk).update(user_agent="written by the receiver")
        raise DatabaseError("the database went away")

    user_logged_in.connect(fail, dispatch_uid="test-fail-sign-in")
    try:
        with receiving(signals.session_restored) as restored:
            assert whoami(client) == ANON
    finally:
        user_logged_in.disconnect(dispatch_uid="test-fail-sign-in")
    assert restored == []
    token.refresh_from_db()
    assert token.verifier_hash == issued
    assert token.user_agent != "written by the receiver"
    assert token_cookie(client) == cookie
    assert whoami(client) == RESTORED


def test_restore_never_keeps_a_session_key_the_browser_sent(client, user, settings):
    settings.SESSION_COOKIE_AGE = 3600
    with freeze_time("2026-01-01 00:00"):
        login(client)
    stale = client.cookies["sessionid"].value
    with freeze_time("2026-01-01 01:01"):
        assert whoami(client) == RESTORED
        fresh = client.cookies["sessionid"].value
        assert fresh
        assert fresh != stale
        assert whoami(client)["user"] == "alice"


def test_restore_over_an_anonymous_session_cycles_its_key(remembered):
    # A live anonymous session (one a fixation attack could plant) keeps
    # its data but never its key, and its row goes.
    client, _ = remembered
    close_browser(client)
    session = SessionStore()
    session["cart"] = "2 apples"
    session.save()
    planted = session.session_key
    assert planted
    client.cookies["sessionid"] = planted
    assert whoami(client) == RESTORED
    assert client.cookies["sessionid"].value != planted
    assert client.session["cart"] == "2 apples"
    assert not Session.objects.filter(session_key=planted).exists()
