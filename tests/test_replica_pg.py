"""
Against a real PostgreSQL streaming standby that replays with a delay
(.ci/replica.sh), through the primary/replica router of Django's docs.

Every read Django would send to the replica goes there (sessions, users,
the admin), and the replica is seconds behind: each restore below happens
while it still holds the row from before the previous rotation, the case
where reading the token from the replica took the owner's newest cookie for
theft. What must hold: no false theft, no owner signed out, a revocation
reaches live sessions at once, and a replayed cookie is still theft.

The race bursts (gunicorn, several processes) run in test_races_pg.py,
whose server takes the same router when REMEMBERME_TEST_PG_REPLICA_PORT is
set (tests/support/race_settings.py). Data must be committed for the standby to
see it: these tests are transactional.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError, ProgrammingError, connections
from django.test import Client

from rememberme import revoke_user_tokens, signals
from rememberme.models import RememberToken, RevokeReason
from tests.helpers import (
    BACKEND,
    PASSWORD,
    browser_with,
    close_browser,
    login,
    receiving,
    token_cookie,
    whoami,
)

REPLICA_PORT = os.environ.get("REMEMBERME_TEST_PG_REPLICA_PORT", "")
DOCS_ROUTER = "tests.support.replica_router.PrimaryReplicaRouter"
GRACE = 1  # seconds: shorter than the lag, so every restore below rotates
USERS = 8
ROUNDS = 6

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
    pytest.mark.skipif(
        not REPLICA_PORT, reason="needs the standby: .ci/replica.sh run ... (see docs)"
    ),
]


def replica_query(sql: str) -> Any:
    with connections["replica"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


@pytest.fixture(scope="module")
def replica(django_db_setup: None, django_db_blocker: Any) -> dict[str, Any]:
    """Wait until the standby has replayed the test database; measure its lag."""
    with django_db_blocker.unblock():
        deadline = time.monotonic() + 60
        while True:
            try:
                replica_query("SELECT count(*) FROM rememberme_remembertoken")
                break
            except (OperationalError, ProgrammingError):
                connections["replica"].close()
                if time.monotonic() > deadline:
                    pytest.fail("the standby never showed the test database")
                time.sleep(0.2)
        assert replica_query("SELECT inet_server_port()") == int(REPLICA_PORT)
        assert replica_query("SELECT pg_is_in_recovery()") is True
        assert (
            connections["default"].settings_dict["NAME"]
            == (connections["replica"].settings_dict["NAME"])
        )
        delay = replica_query("SHOW recovery_min_apply_delay")
        # Observed: from a commit on the primary until the standby shows it.
        probe = get_user_model().objects.create_user("lag-probe")
        started = time.monotonic()
        users = get_user_model()._base_manager.using("replica")
        while not users.filter(pk=probe.pk).exists():
            time.sleep(0.02)
        observed = time.monotonic() - started
        probe.delete()
        connections["default"].close()
        connections["replica"].close()
    assert observed >= 1, f"the standby is only {observed:.2f} s behind: no real lag"
    return {"delay": delay, "observed": observed}


@pytest.fixture
def routed(settings, replica):
    settings.DATABASE_ROUTERS = [DOCS_ROUTER]
    settings.REMEMBERME_ROTATION_GRACE = GRACE
    settings.REMEMBERME_MAX_TOKENS_PER_USER = None
    return settings


def primary_tokens() -> Any:
    """Tokens as the primary has them: the tests' own reads must not lag either."""
    return RememberToken.objects.using("default")


def make_users(prefix: str, count: int) -> list[Any]:
    users = get_user_model()._default_manager
    return [users.create_user(f"{prefix}{i}", password=PASSWORD) for i in range(count)]


def wait_until_replicated(*objects: Any) -> None:
    """Wait until the replica has every row of ``objects``."""
    deadline = time.monotonic() + 30
    for obj in objects:
        rows = type(obj)._base_manager.using("replica")
        while not rows.filter(pk=obj.pk).exists():
            assert time.monotonic() < deadline, "the standby stopped replaying"
            time.sleep(0.05)


def behind(token: RememberToken) -> bool:
    """Whether the replica's copy of ``token`` is not the primary's (or missing)."""
    primary = RememberToken.objects.using("default").get(pk=token.pk)
    copy = RememberToken.objects.using("replica").filter(pk=token.pk).first()
    return copy is None or copy.verifier_hash != primary.verifier_hash


def report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    with capsys.disabled():
        print(f"\n[replica] {line}", flush=True)


def test_sequences_of_restores_and_rotations_while_the_replica_lags(
    routed, replica, capsys, thefts
):
    owners = make_users("owner", USERS)
    browsers, first_cookies, tokens = [], [], []
    for owner in owners:
        token, value = RememberToken.objects.issue(owner, backend=BACKEND)
        tokens.append(token)
        first_cookies.append(value.encode())
        browsers.append(browser_with(value.encode()))
    # The replica has the tokens as issued: from the first rotation on, it
    # is one rotation behind (the issue's case), not missing the rows.
    wait_until_replicated(*owners, *tokens)

    restores = rotations = lagging = signed_out = 0
    last_restore = [0.0] * USERS
    for _round in range(ROUNDS):
        for i, (owner, browser, token) in enumerate(zip(owners, browsers, tokens, strict=True)):
            # Each restore comes just after the series' grace window, so it
            # rotates, and well inside the replica's lag.
            time.sleep(max(0.0, last_restore[i] + GRACE + 0.1 - time.monotonic()))
            lagging += behind(token)
            close_browser(browser)
            before = token_cookie(browser)
            last_restore[i] = time.monotonic()
            answer = whoami(browser)
            restores += 1
            if answer != {"user": owner.username, "restored": True}:
                signed_out += 1
            rotations += token_cookie(browser) != before

    assert thefts == []
    assert signed_out == 0
    assert rotations == restores == USERS * ROUNDS
    assert not primary_tokens().filter(revoked_at__isnull=False).exists()
    # The restores after the first of each series meet a replica that has
    # not replayed the rotation before them (most of them, on a busy machine).
    assert lagging >= USERS * (ROUNDS - 1) // 2

    # A replayed cookie (the first of each series) is still theft.
    real = 0
    for owner, cookie in zip(owners, first_cookies, strict=True):
        assert whoami(browser_with(cookie))["user"] is None
        real += 1
        assert not primary_tokens().filter(user=owner, revoked_at__isnull=True).exists()
    assert len(thefts) == real == USERS
    assert set(primary_tokens().values_list("revoke_reason", flat=True)) == {RevokeReason.THEFT}
    report(
        capsys,
        f"lag: recovery_min_apply_delay={replica['delay']}, observed "
        f"{replica['observed']:.2f} s; grace {GRACE} s; {restores} restores, {rotations} "
        f"rotations, {lagging} of them with the replica a rotation behind, 0 false thefts, "
        f"0 owners signed out; {real} replayed cookies detected as theft",
    )


def test_revocation_reaches_live_sessions_before_the_replica_sees_it(routed, replica, capsys):
    routed.REMEMBERME_REVALIDATE_INTERVAL = 0
    owners = make_users("live", 4)
    browsers = []
    for owner in owners:
        _token, value = RememberToken.objects.issue(owner, backend=BACKEND)
        browser = browser_with(value.encode())
        assert whoami(browser)["restored"]
        browsers.append(browser)
    # Until the sessions are on the replica, which is where they are read.
    time.sleep(replica["observed"] + 1)
    for owner, browser in zip(owners, browsers, strict=True):
        assert whoami(browser) == {"user": owner.username, "restored": False}

    with receiving(signals.session_ended) as ended:
        for owner in owners:
            revoke_user_tokens(owner, reason="logout_all")
        # At once: the replica still shows every token active.
        still_active = RememberToken.objects.using("replica").filter(revoked_at__isnull=True)
        assert still_active.count() == len(owners)
        for browser in browsers:
            assert whoami(browser)["user"] is None
    assert [kwargs["reason"] for kwargs in ended] == ["revoked"] * len(owners)
    report(capsys, f"{len(owners)} live sessions ended by a revocation the replica had not seen")


def test_login_then_logout_at_once(routed, replica):
    user = make_users("quick", 1)[0]
    # The login form reads the user from the replica.
    wait_until_replicated(user)
    client = Client()
    # The token is issued in a transaction on the primary (the cap's lock
    # and count too), not on the read-only standby.
    assert login(client, user.username).status_code == 302
    token = primary_tokens().get(user=user)
    # Logging out before the replica has the token still revokes it.
    assert not RememberToken.objects.using("replica").filter(pk=token.pk).exists()
    client.post("/accounts/logout/")
    token.refresh_from_db(using="default")
    assert token.revoke_reason == RevokeReason.LOGOUT


def test_race_server_reads_through_the_router(replica):
    # The gunicorn of test_races_pg.py: its settings route reads to the standby.
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings; from django.db import router\n"
        "from rememberme.models import RememberToken as T\n"
        "print(router.db_for_read(T), router.db_for_write(T),"
        " settings.DATABASES['replica']['PORT'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.support.race_settings",
        "REMEMBERME_RACE_DB_NAME": connections["default"].settings_dict["NAME"],
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["replica", "default", REPLICA_PORT]
