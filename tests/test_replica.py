"""
Read replicas: with the primary/replica router of Django's documentation,
every token read that decides something goes to the database that writes
tokens, so a replica that lags never makes the owner's cookie look stolen.

Here the replica is a second database that holds a stale copy of the
primary's rows, exactly what a replica some transactions behind holds:
``replicate()`` plays the replay, and whatever happens after it is missing
from the replica. tests/test_replica_pg.py runs the same flows against a
real streaming standby.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections
from django.test import Client
from freezegun import freeze_time

from rememberme import revoke_user_tokens
from rememberme.internal.conf import app_settings
from rememberme.models import RememberToken
from tests.helpers import BACKEND, EPOCH, browser_with, close_browser, login, token_cookie, whoami

DOCS_ROUTER = "tests.support.replica_router.PrimaryReplicaRouter"

pytestmark = [
    pytest.mark.django_db(databases=["default", "replica"]),
    pytest.mark.skipif(
        # With the real standby the replica alias is read-only: its tests
        # are in test_replica_pg.py.
        bool(connections["replica"].settings_dict["TEST"]["MIRROR"]),
        reason="the replica alias is a real standby (see test_replica_pg.py)",
    ),
]


def replicate() -> None:
    """Make the replica an exact copy of the primary, as replay does."""
    for model in (RememberToken, get_user_model()):
        model._base_manager.using("replica").all().delete()
    for model in (get_user_model(), RememberToken):
        rows = list(model._base_manager.using("default").all())
        model._base_manager.using("replica").bulk_create(rows)


@pytest.fixture
def routed(settings, user):
    """The docs' router, the user on both databases, sessions in signed cookies."""
    settings.DATABASE_ROUTERS = [DOCS_ROUTER]
    # The session rows are not what these tests are about: keep them out
    # of the databases so that only the token reads matter.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    replicate()
    return settings


def test_newest_cookie_is_not_theft_when_the_replica_is_one_rotation_behind(routed, user, thefts):
    with freeze_time(EPOCH) as clock:
        token, value = RememberToken.objects.issue(user, backend=BACKEND)
        replicate()
        browser = browser_with(value.encode())
        assert whoami(browser) == {"user": "alice", "restored": True}
        newest = token_cookie(browser)
        assert newest is not None
        assert newest != value.encode()
        # The replica has not replayed that rotation: it still holds the
        # verifier the browser no longer has. The browser restarts later.
        clock.tick(app_settings.ROTATION_GRACE + datetime.timedelta(seconds=1))
        close_browser(browser)
        assert whoami(browser) == {"user": "alice", "restored": True}
    assert thefts == []
    token.refresh_from_db(using="default")
    assert token.revoked_at is None


def test_replayed_old_cookie_is_still_theft(routed, user, thefts):
    with freeze_time(EPOCH) as clock:
        token, value = RememberToken.objects.issue(user, backend=BACKEND)
        replicate()
        owner = browser_with(value.encode())
        assert whoami(owner)["user"] == "alice"
        # The owner goes on: the rotation's response arrived.
        assert whoami(owner)["user"] == "alice"
        # Replicated this time: the replica agrees with the primary.
        replicate()
        clock.tick(app_settings.ROTATION_GRACE + datetime.timedelta(seconds=1))
        assert whoami(browser_with(value.encode()))["user"] is None
    assert len(thefts) == 1
    token.refresh_from_db(using="default")
    assert token.revoke_reason == "theft"


def test_logout_right_after_login_revokes_the_token_the_replica_has_not_seen(routed, user):
    client = Client()
    login(client)
    token = RememberToken.objects.using("default").get(user=user)
    assert not RememberToken.objects.using("replica").exists()
    client.post("/accounts/logout/")
    token.refresh_from_db(using="default")
    assert token.revoke_reason == "logout"


def test_revoke_user_tokens_revokes_tokens_the_replica_has_not_seen(routed, user):
    RememberToken.objects.issue(user, backend=BACKEND)
    assert revoke_user_tokens(user, reason="logout_all") == 1
    assert not RememberToken.objects.using("default").filter(revoked_at__isnull=True).exists()


def test_revoked_token_reads_back_its_revocation(routed, user):
    token, _value = RememberToken.objects.issue(user, backend=BACKEND)
    replicate()
    assert token.revoke("admin")
    # Not the replica's stale copy.
    assert token.revoked_at is not None
    assert token.revoke_reason == "admin"


def _restored_then_revoked_past_the_replica(user: Any, clock: Any) -> Client:
    """
    Return a browser whose session a token restored, after the user was
    signed out everywhere on the primary (the replica still shows the token
    active) and the session's next check came due.
    """
    _token, value = RememberToken.objects.issue(user, backend=BACKEND)
    replicate()
    browser = browser_with(value.encode())
    assert whoami(browser)["restored"]
    replicate()
    revoke_user_tokens(user, reason="logout_all")
    clock.tick(datetime.timedelta(seconds=61))
    return browser


def test_revocation_reaches_a_live_session_while_the_replica_lags(routed, user, ended):
    routed.REMEMBERME_REVALIDATE_INTERVAL = 60
    with freeze_time(EPOCH) as clock:
        browser = _restored_then_revoked_past_the_replica(user, clock)
        assert whoami(browser)["user"] is None
    assert ended[-1]["reason"] == "revoked"


def test_status_reports_the_revocation_the_replica_has_not_seen(routed, user):
    # The status endpoint applies the revalidation's rule, so it reads the
    # token where the revalidation does: it must not promise a session that
    # the next ordinary request ends.
    routed.REMEMBERME_REVALIDATE_INTERVAL = 60
    with freeze_time(EPOCH) as clock:
        browser = _restored_then_revoked_past_the_replica(user, clock)
        assert browser.get("/accounts/status/").json()["authenticated"] is False
        assert whoami(browser)["user"] is None


def test_token_cap_counts_the_tokens_the_replica_has_not_seen(routed, user):
    routed.REMEMBERME_MAX_TOKENS_PER_USER = 2
    for _ in range(3):
        RememberToken.objects.issue(user, backend=BACKEND)
    assert RememberToken.objects.using("default").active().count() == 2


def test_purge_defaults_to_the_database_that_writes_tokens(settings, user):
    # Tokens live on the alias the router writes them to, not on "default".
    settings.DATABASE_ROUTERS = ["tests.support.replica_router.WritesToReplicaRouter"]
    replicate()
    owner = get_user_model()._base_manager.using("replica").get(pk=user.pk)
    with freeze_time(EPOCH - datetime.timedelta(days=365)):
        RememberToken.objects.issue(owner, backend=BACKEND)
    assert RememberToken.objects.using("replica").count() == 1
    call_command("purge_remember_tokens", verbosity=0)
    assert RememberToken.objects.using("replica").count() == 0


def test_purge_database_option(settings, user):
    for alias in ("default", "replica"):
        with freeze_time(EPOCH - datetime.timedelta(days=365)):
            RememberToken.objects.db_manager(alias).issue(
                get_user_model()
                ._base_manager.using(alias)
                .get_or_create(pk=user.pk, defaults={"username": user.username})[0],
                backend=BACKEND,
            )
    call_command("purge_remember_tokens", database="replica", verbosity=0)
    assert RememberToken.objects.using("replica").count() == 0
    assert RememberToken.objects.using("default").count() == 1
