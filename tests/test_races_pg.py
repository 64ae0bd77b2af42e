"""
Races on PostgreSQL with several processes: one cookie, many requests at once.

A real gunicorn (4 sync workers, so 4 processes that share nothing but the
database) serves the test project on the test database. Bursts of requests
carrying one token cookie and no session are released together from a
barrier, as a browser does when it restores several tabs or loads assets in
parallel. What must hold, for every burst:

* every request is signed in, as the token's owner;
* exactly one response carries a new token cookie (one rotation per grace
  window) and none deletes it;
* nothing is ever taken for theft;
* the newest cookie a response set is the one the database knows, and it
  keeps working, in the grace window and after it.

Plus the two ways an old cookie comes back legitimately: a tab restored a
moment later with the cookie from before the rotation, and a request whose
response was lost, retried. A replay after the grace window is the control
that shows the theft detector is live in this very setup.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from rememberme.internal.cookie import parse_cookie_value
from rememberme.internal.crypto import verify_verifier
from rememberme.models import RememberToken, RevokeReason
from tests.helpers import BACKEND

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
COOKIE = "rememberme"
GRACE = 5  # seconds; tests/support/race_settings.py reads it from the environment
WORKERS = 4
# Burst size -> how many bursts. A burst of n has n * (n - 1) / 2 racing
# pairs: 100 + 150 + 280 + 480 = 1,010 pairs, 494 requests.
BURSTS = {2: 100, 3: 50, 8: 10, 16: 4}
DEADLINE = 150  # seconds for the whole module, server start included


@dataclass(frozen=True)
class Reply:
    status: int
    user: str | None
    restored: bool
    new_cookie: str | None  # the token cookie the response set, if any
    deleted: bool  # whether the response deleted the token cookie


class Server:
    """A gunicorn serving ``tests.support.race_wsgi`` on 127.0.0.1, on a port of its choosing."""

    def __init__(self, db_name: str, log: Path, mail_dir: Path) -> None:
        self.log = log
        self.mail_dir = mail_dir
        self.thefts_before = 0
        self.started = time.monotonic()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.support.race_settings",
            "REMEMBERME_TEST_POSTGRES": "1",
            "REMEMBERME_RACE_DB_NAME": db_name,
            "REMEMBERME_RACE_GRACE": str(GRACE),
            "REMEMBERME_RACE_MAIL_DIR": str(mail_dir),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(WORKERS),
                "--worker-class",
                "sync",
                "--bind",
                "127.0.0.1:0",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "--backlog",
                "64",
                "tests.support.race_wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
        )
        self.port = self._wait_until_listening()

    def _wait_until_listening(self) -> int:
        deadline = time.monotonic() + 30
        port = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited at start:\n{self.output()}")
            text = self.output()
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
            if match:
                port = int(match[1])
            if port and text.count("Booting worker") >= WORKERS:
                return port
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"gunicorn did not start in 30 s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def connect(self) -> http.client.HTTPConnection:
        remaining = DEADLINE - (time.monotonic() - self.started)
        if remaining <= 0:
            pytest.fail(f"the race tests ran past their {DEADLINE} s budget")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=min(30, remaining))
        conn.connect()
        return conn

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()


def read_reply(conn: http.client.HTTPConnection) -> Reply:
    response = conn.getresponse()
    body = response.read()
    conn.close()
    new_cookie, deleted = None, False
    for header in response.headers.get_all("Set-Cookie") or []:
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        morsel = jar.get(COOKIE)
        if morsel is None:
            continue
        if morsel.value and morsel["max-age"] != "0":
            new_cookie = morsel.value
        else:
            deleted = True
    user, restored = None, False
    if response.status == 200:
        data = json.loads(body)
        user, restored = data["user"], data["restored"]
    return Reply(response.status, user, restored, new_cookie, deleted)


def send(conn: http.client.HTTPConnection, cookie: str) -> None:
    # One cookie and no session, as after a browser restart.
    conn.request("GET", "/whoami/", headers={"Cookie": f"{COOKIE}={cookie}"})


@pytest.fixture(scope="module")
def server(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    with django_db_blocker.unblock():
        db_name = connection.settings_dict["NAME"]
    folder = tmp_path_factory.mktemp("gunicorn")
    (folder / "mail").mkdir()
    server = Server(db_name, folder / "gunicorn.log", folder / "mail")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=max(BURSTS)) as executor:
        yield executor


def fire(server: Server, pool: ThreadPoolExecutor, cookies: list[str]) -> list[Reply]:
    """Send one request per cookie, all released at the same instant."""
    barrier = threading.Barrier(len(cookies))

    def one(cookie: str) -> Reply:
        conn = server.connect()
        barrier.wait(timeout=30)
        send(conn, cookie)
        return read_reply(conn)

    return list(pool.map(one, cookies))


@pytest.fixture
def owners(django_user_model):
    """Several users, so that signing in as the wrong one would show."""
    return [
        django_user_model.objects.create_user(f"racer{i}", password="unused-password")
        for i in range(8)
    ]


def issue(user: Any) -> tuple[RememberToken, str]:
    token, value = RememberToken.objects.issue(user, backend=BACKEND)
    return token, value.encode()


def assert_current(token: RememberToken, cookie: str) -> None:
    """Assert that ``cookie`` holds the token's current verifier."""
    token.refresh_from_db()
    parsed = parse_cookie_value(cookie)
    assert parsed is not None
    assert parsed.selector == token.selector
    assert token.revoked_at is None
    assert verify_verifier(token.verifier_hash, parsed.verifier)


def no_theft(server: Server) -> None:
    assert not RememberToken.objects.filter(revoke_reason=RevokeReason.THEFT).exists()
    assert server.output().count("theft detected") == server.thefts_before


@pytest.fixture(autouse=True)
def _count_thefts(server):
    # The log spans the module: only this test's warnings count.
    server.thefts_before = server.output().count("theft detected")


def report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    with capsys.disabled():
        print(f"\n[races] {line}", flush=True)


def test_bursts_with_one_cookie(server, pool, owners, capsys, settings):
    # Each owner gets some twenty tokens here: no cap on them (it is
    # enforced where tokens are issued, in this process).
    settings.REMEMBERME_MAX_TOKENS_PER_USER = None
    started = time.monotonic()
    fired = pairs = bursts = grace_replies = 0
    newest: list[tuple[RememberToken, str, str]] = []
    control_user = owners.pop()
    control_token, control_cookie = issue(control_user)
    control_rotated = fire(server, pool, [control_cookie])[0].new_cookie
    assert control_rotated
    fired += 1

    for size, count in BURSTS.items():
        for n in range(count):
            owner = owners[n % len(owners)]
            token, cookie = issue(owner)
            replies = fire(server, pool, [cookie] * size)
            fired += size
            pairs += size * (size - 1) // 2
            bursts += 1

            assert all(r.status == 200 for r in replies), replies
            assert {r.user for r in replies} == {owner.username}, replies
            assert all(r.restored for r in replies)
            assert not any(r.deleted for r in replies)
            rotated = [r.new_cookie for r in replies if r.new_cookie]
            assert len(rotated) == 1, f"{len(rotated)} rotations in one burst of {size}"
            grace_replies += size - 1
            assert_current(token, rotated[0])
            newest.append((token, rotated[0], owner.username))

            # The newest cookie works at once, inside the grace window,
            # without a second rotation.
            reply = fire(server, pool, [rotated[0]])[0]
            fired += 1
            assert (reply.status, reply.user, reply.new_cookie, reply.deleted) == (
                200,
                owner.username,
                None,
                False,
            )

    burst_seconds = time.monotonic() - started
    no_theft(server)

    def replay(item: tuple[RememberToken, str, str]) -> Reply:
        conn = server.connect()
        send(conn, item[1])
        return read_reply(conn)

    # After the grace window the newest cookie is rotated again, once.
    time.sleep(GRACE + 0.5)
    later = list(pool.map(replay, newest))
    fired += len(later)
    for (token, _, username), reply in zip(newest, later, strict=True):
        assert (reply.status, reply.user, reply.deleted) == (200, username, False)
        assert reply.new_cookie is not None
        assert_current(token, reply.new_cookie)
    no_theft(server)

    # Control: the replaced cookie after the grace window is theft, here too
    # (once the rotation's cookie has been used: until then, the replaced
    # one may still be a browser that lost the rotation's response).
    assert fire(server, pool, [control_rotated])[0].user == control_user.username
    reply = fire(server, pool, [control_cookie])[0]
    fired += 2
    assert (reply.user, reply.deleted) == (None, True)
    control_token.refresh_from_db()
    assert control_token.revoke_reason == str(RevokeReason.THEFT)
    assert server.output().count("theft detected") == server.thefts_before + 1

    report(
        capsys,
        f"{bursts} bursts {dict(BURSTS)}, {pairs} racing pairs, {fired} requests, "
        f"{bursts} rotations, {grace_replies} grace sign-ins, 0 false theft detections, "
        f"bursts in {burst_seconds:.1f} s, {WORKERS} gunicorn workers",
    )
    assert pairs >= 1000


def test_tab_restored_later_with_the_older_cookie(server, pool, owners, capsys):
    pending = []
    for owner in owners:
        token, cookie = issue(owner)
        first = fire(server, pool, [cookie])[0]
        assert first.new_cookie is not None
        pending.append((owner, token, cookie, first.new_cookie))

    # A second later (inside the grace window), three tabs come back with
    # the cookie from before the rotation.
    time.sleep(1)
    fired = len(pending)
    for owner, token, old, new in pending:
        replies = fire(server, pool, [old, old, old])
        fired += 3
        assert {(r.status, r.user, r.new_cookie, r.deleted) for r in replies} == {
            (200, owner.username, None, False)
        }
        assert_current(token, new)
        reply = fire(server, pool, [new])[0]
        fired += 1
        assert (reply.user, reply.new_cookie, reply.deleted) == (owner.username, None, False)
    no_theft(server)
    report(capsys, f"older-cookie tabs: {fired} requests, 0 false theft detections")


def test_response_lost_then_retried(server, pool, owners, capsys):
    fired = 0
    for owner in owners:
        token, cookie = issue(owner)
        # The request reaches the server, which rotates; the client gives
        # up before reading the response, so the new cookie never arrives.
        conn = server.connect()
        send(conn, cookie)
        conn.close()
        fired += 1
        # The retries (a reload, a retrying client) carry the cookie the
        # browser still has; they may even overlap the lost request.
        replies = fire(server, pool, [cookie, cookie])
        replies += fire(server, pool, [cookie])
        fired += 3
        assert {(r.status, r.user, r.deleted) for r in replies} == {(200, owner.username, False)}
        rotations = [r.new_cookie for r in replies if r.new_cookie]
        # Whoever rotated first, the database rotated exactly once.
        assert len(rotations) <= 1
        token.refresh_from_db()
        assert token.previous_verifier_hash
        assert token.revoked_at is None
        if rotations:
            assert_current(token, rotations[0])
    no_theft(server)
    report(capsys, f"lost responses: {fired} requests, 0 false theft detections")


def test_one_theft_one_report_however_many_requests_race(server, pool, owners, capsys):
    """A stale cookie sent by 16 parallel requests is one theft: one warning, one mail."""
    rounds = 3
    mails_before = len(list(server.mail_dir.iterdir()))
    victims = owners[:rounds]
    stale = []
    for owner in victims:
        owner.email = f"{owner.username}@example.com"
        owner.save(update_fields=["email"])
        token, cookie = issue(owner)
        rotated = fire(server, pool, [cookie])[0].new_cookie
        assert rotated is not None
        # The rotation's cookie is used: its response arrived.
        assert fire(server, pool, [rotated])[0].user == owner.username
        stale.append((owner, token, cookie))
    time.sleep(GRACE + 0.5)
    for _owner, token, cookie in stale:
        replies = fire(server, pool, [cookie] * max(BURSTS))
        assert {(r.status, r.user) for r in replies} == {(200, None)}
        token.refresh_from_db()
        assert token.revoke_reason == str(RevokeReason.THEFT)
    warnings = server.output().count("theft detected") - server.thefts_before
    # The mail goes out after the response, from the worker: give it a moment.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        mails = len(list(server.mail_dir.iterdir())) - mails_before
        if mails >= rounds:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    mails = len(list(server.mail_dir.iterdir())) - mails_before
    report(
        capsys,
        f"one stale cookie x {max(BURSTS)} in parallel, {rounds} rounds: "
        f"{warnings} theft warnings, {mails} theft e-mails",
    )
    assert (warnings, mails) == (rounds, rounds)
