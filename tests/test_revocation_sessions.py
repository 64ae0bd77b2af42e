"""
Revocation reaches live sessions, whatever ``SESSION_ENGINE`` keeps them.

A session created with or restored from a token re-checks it every
``REMEMBERME_REVALIDATE_INTERVAL``: a revoked token ends the session at the
first check after the revocation, and between checks the token table is
not queried at all.
"""

from __future__ import annotations

import os

import pytest
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.module_loading import import_string
from freezegun import freeze_time

from rememberme import forget
from rememberme.middleware import RememberMeMiddleware
from rememberme.models import RememberToken, RevokeReason
from tests.helpers import close_browser, login, whoami

pytestmark = pytest.mark.django_db

# The same variable as tests/support/engines.py; without it, a local server's db 1
# is used when one answers (the run says so when none does).
REDIS_URL = os.environ.get("REMEMBERME_TEST_REDIS") or "redis://127.0.0.1:6379/1"
ENGINES = ["db", "cache", "cache-redis", "cached_db", "file", "signed_cookies"]
INTERVAL = 300
TABLE = RememberToken._meta.db_table


def _redis_available() -> str | None:
    """Return why Redis cannot be used, or ``None`` if it can."""
    try:
        import redis
    except ImportError:
        return "the redis package is not installed"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError as exc:
        return f"Redis is not reachable at {REDIS_URL} ({exc})"
    return None


@pytest.fixture(params=ENGINES)
def engine(request, settings, tmp_path):
    name = request.param
    settings.SESSION_ENGINE = f"django.contrib.sessions.backends.{name.split('-')[0]}"
    settings.SESSION_FILE_PATH = str(tmp_path)
    settings.REMEMBERME_REVALIDATE_INTERVAL = INTERVAL
    if name == "cache-redis":
        reason = _redis_available()
        if reason is not None:
            pytest.skip(f"cache engine on Redis skipped: {reason}; the local-memory run covers it")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": f"rm-devices-{os.getpid()}",
            }
        }
    else:
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield name
    cache.clear()


def token_queries(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if TABLE in q["sql"]]


def remembered_client() -> tuple[Client, RememberToken]:
    client = Client()
    assert login(client).status_code == 302
    return client, RememberToken.objects.latest("pk")


def session_store(client: Client) -> SessionBase:
    from django.conf import settings

    store_class = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    store: SessionBase = store_class(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return store


def test_revocation_ends_the_session_at_the_next_check(engine, user, ended):
    with freeze_time() as frozen:
        client, token = remembered_client()
        assert whoami(client)["user"] == "alice"
        token.revoke(RevokeReason.ADMIN)

        frozen.tick(INTERVAL - 1)
        with CaptureQueriesContext(connection) as captured:
            assert whoami(client)["user"] == "alice"  # not checked yet
        assert token_queries(captured) == []
        assert ended == []

        frozen.tick(1)
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/whoami/")
        assert response.json()["user"] is None
        assert len(token_queries(captured)) == 1
        assert response.cookies["rememberme"].value == ""
        assert [(kw["reason"], kw["token"].pk, kw["user"].pk) for kw in ended] == [
            ("revoked", token.pk, user.pk)
        ]
        # Gone for good: the session is over and the revoked token restores nothing.
        assert whoami(client) == {"user": None, "restored": False}
        close_browser(client)
        assert whoami(client) == {"user": None, "restored": False}


def test_restored_session_is_revalidated_too(engine, user, ended, settings):
    settings.REMEMBERME_SESSION_AGE = 0
    with freeze_time() as frozen:
        client, _ = remembered_client()
        close_browser(client)
        assert whoami(client) == {"user": "alice", "restored": True}
        token = RememberToken.objects.get()
        token.revoke(RevokeReason.USER)
        frozen.tick(INTERVAL)
        assert whoami(client)["user"] is None
        # "expired" when the browser came back without its session, then the revocation.
        assert [kw["reason"] for kw in ended] == ["expired", "revoked"]


def test_no_token_query_between_checks(engine, user, django_assert_num_queries):
    with freeze_time() as frozen:
        plain = Client()
        login(plain, remember=False)
        client, _ = remembered_client()
        whoami(plain)
        whoami(client)
        frozen.tick(INTERVAL - 1)
        # The same request costs the same with and without a linked token.
        with CaptureQueriesContext(connection) as baseline:
            assert whoami(plain)["user"] == "alice"
        with django_assert_num_queries(len(baseline.captured_queries)) as captured:
            assert whoami(client)["user"] == "alice"
        assert token_queries(captured) == []


def test_a_passing_check_costs_one_query_and_restarts_the_interval(engine, user):
    with freeze_time() as frozen:
        client, _ = remembered_client()
        frozen.tick(INTERVAL)
        with CaptureQueriesContext(connection) as captured:
            assert whoami(client)["user"] == "alice"
        assert len(token_queries(captured)) == 1
        frozen.tick(INTERVAL - 1)
        with CaptureQueriesContext(connection) as captured:
            assert whoami(client)["user"] == "alice"
        assert token_queries(captured) == []


def test_ending_the_session_does_not_revoke_the_token(engine, user, ended):
    client, token = remembered_client()
    if engine != "signed_cookies":
        store = session_store(client)
        assert store.session_key
        assert store.exists(store.session_key)
        store.delete()
    close_browser(client)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert whoami(client) == {"user": "alice", "restored": True}
    assert [kw["reason"] for kw in ended] == ["expired"] if engine != "signed_cookies" else True


@pytest.mark.parametrize(
    "reason",
    [r for r in RevokeReason.values if r != RevokeReason.PASSWORD_CHANGE],
)
def test_every_reason_ends_the_session(reason, user, ended, settings):
    settings.REMEMBERME_REVALIDATE_INTERVAL = 0
    client, token = remembered_client()
    token.revoke(reason)
    assert whoami(client)["user"] is None
    assert [kw["reason"] for kw in ended] == ["revoked"]


def test_deleted_token_ends_the_session(user, ended, settings):
    settings.REMEMBERME_REVALIDATE_INTERVAL = 0
    client, token = remembered_client()
    RememberToken.objects.filter(pk=token.pk).delete()
    assert whoami(client)["user"] is None
    assert [(kw["reason"], kw["token"]) for kw in ended] == [("revoked", None)]


def _restored_and_forgotten(how: str) -> tuple[Client, Client, RememberToken]:
    """Restore a browser, keep a copy of its session, then forget the browser."""
    browser, token = remembered_client()
    close_browser(browser)
    assert whoami(browser) == {"user": "alice", "restored": True}
    copy = Client()
    copy.cookies["sessionid"] = browser.cookies["sessionid"].value
    _forget(browser, token, how)
    token.refresh_from_db()
    assert token.revoked_at is not None
    return browser, copy, token


def _forget(browser: Client, token: RememberToken, how: str) -> None:
    """
    Forget ``browser``: on the devices page, or with ``rememberme.forget()``
    from a view of the site's own.
    """
    if how == "devices":
        response = browser.post("/accounts/devices/", {"action": "revoke", "token": token.pk})
        assert response.status_code == 302
    else:
        request = browser.get("/whoami/").wsgi_request
        RememberMeMiddleware(lambda r: HttpResponse()).process_request(request)
        forget(request)
        request.session.save()


# Every way all of a user's tokens are revoked at once.
_REVOKE_ALL = [
    pytest.param(
        lambda other, user: other.post("/accounts/logout/", {"everywhere": "1"}),
        id="sign-out-everywhere",
    ),
    pytest.param(
        lambda other, user: RememberToken.objects.filter(user=user).revoke(RevokeReason.ADMIN),
        id="admin-revokes-all",
    ),
]


@pytest.mark.parametrize("how", ["devices", "forget"])
@pytest.mark.parametrize("revoke_all", _REVOKE_ALL)
def test_a_forgotten_browser_is_still_signed_out_everywhere(user, settings, how, revoke_all):
    settings.REMEMBERME_REVALIDATE_INTERVAL = INTERVAL
    with freeze_time("2026-05-01 08:00:00") as clock:
        browser, copy, _token = _restored_and_forgotten(how)
        # "Forget this browser" leaves the session signed in, checks and all.
        clock.tick(INTERVAL + 1)
        assert whoami(browser)["user"] == "alice"
        assert whoami(copy)["user"] == "alice"
        other, _other_token = remembered_client()
        revoke_all(other, user)
        clock.tick(INTERVAL + 1)
        assert whoami(copy)["user"] is None
        assert whoami(browser)["user"] is None


def test_a_password_login_without_remember_me_is_not_a_forgotten_token_session(user, settings):
    settings.REMEMBERME_REVALIDATE_INTERVAL = INTERVAL
    with freeze_time("2026-05-01 08:00:00") as clock:
        browser, _token = remembered_client()
        close_browser(browser)
        assert whoami(browser) == {"user": "alice", "restored": True}
        # The restored user signs in again with the password, box unticked.
        assert login(browser, remember=False).status_code == 302
        RememberToken.objects.filter(user=user).revoke(RevokeReason.ADMIN)
        clock.tick(INTERVAL + 1)
        assert whoami(browser)["user"] == "alice"


@pytest.mark.parametrize("how", ["devices", "forget"])
@pytest.mark.parametrize(
    "revoke_all",
    [
        *_REVOKE_ALL,
        pytest.param(
            lambda other, user: RememberToken.objects.filter(user=user).revoke(RevokeReason.THEFT),
            id="theft",
        ),
    ],
)
def test_forgetting_a_browser_after_its_token_was_revoked_keeps_no_session(
    user, settings, how, revoke_all
):
    # A session restored from a token, whose token is then revoked by someone
    # else: "forget this browser" from that session, before its next check,
    # must not turn the revocation into a lasting pass.
    settings.REMEMBERME_REVALIDATE_INTERVAL = INTERVAL
    with freeze_time("2026-05-01 08:00:00") as clock:
        browser, token = remembered_client()
        close_browser(browser)
        assert whoami(browser) == {"user": "alice", "restored": True}
        other, _other_token = remembered_client()
        revoke_all(other, user)
        _forget(browser, token, how)
        clock.tick(INTERVAL + 1)
        assert whoami(browser)["user"] is None
        clock.tick(INTERVAL + 1)
        assert whoami(browser)["user"] is None
