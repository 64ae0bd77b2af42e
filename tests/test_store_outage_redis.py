"""
A session-store outage against a real Redis, stopped and started by the test.

The site keeps its sessions in Django's cache engine on Redis. A
redis-server of the test's own, on ``REMEMBERME_TEST_OUTAGE_REDIS_PORT``
(e.g. 6390; never the Redis of the rest of the suite), is stopped while
twenty remembered browsers keep making requests, then started again, with
its data (append-only file) or without. Afterwards every browser is signed
in again, on its old session or through its token, and nobody is taken for
a thief. Skipped, with the reason, when the variable is not set.
"""

from __future__ import annotations

import datetime
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client
from freezegun import freeze_time

from rememberme.models import RememberToken
from tests.helpers import EPOCH, login

PORT = os.environ.get("REMEMBERME_TEST_OUTAGE_REDIS_PORT")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not PORT,
        reason="set REMEMBERME_TEST_OUTAGE_REDIS_PORT (e.g. 6390) to run a redis-server of "
        "the test's own there, which the test stops and starts",
    ),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed"),
]

BROWSERS = 20


class RedisServer:
    """A redis-server on 127.0.0.1:``port``, with an append-only file in ``folder``."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port, self.folder = port, folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, keep_data: bool) -> None:
        if not keep_data:
            for path in self.folder.iterdir():
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "yes",
                "--appendfsync", "always",
                "--dir", str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    assert PORT is not None
    server = RedisServer(int(PORT), tmp_path)
    server.start(keep_data=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def site(settings: Any, redis_server: RedisServer) -> RedisServer:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "sessions": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{redis_server.port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.SESSION_CACHE_ALIAS = "sessions"
    return redis_server


def at(seconds: float):
    # Redis keeps its own clock for expiry; the sessions here live for hours.
    return freeze_time(EPOCH + datetime.timedelta(seconds=seconds))


def whoami(browser: Client) -> tuple[int, str | None]:
    response = browser.get("/whoami/")
    return response.status_code, response.json()["user"] if response.status_code == 200 else None


@pytest.mark.parametrize("seconds", [3, 45])
@pytest.mark.parametrize("keep_data", [True, False], ids=["with-data", "without-data"])
def test_a_redis_outage_signs_nobody_out(site, user, thefts, settings, seconds, keep_data):
    settings.REMEMBERME_SESSION_AGE = datetime.timedelta(hours=12)
    settings.REMEMBERME_MAX_TOKENS_PER_USER = None  # twenty browsers of one user
    browsers = []
    with at(0):
        for _ in range(BROWSERS):
            browser = Client(raise_request_exception=False)
            login(browser)
            assert whoami(browser) == (200, "alice")
            browsers.append(browser)

    site.stop()
    # The browsers keep going through the outage, past the grace window.
    for moment in range(1, seconds + 1, max(1, seconds // 5)):
        with at(moment):
            for browser in browsers:
                status, who = whoami(browser)
                assert who is None
                assert status in (200, 500)
    site.start(keep_data=keep_data)
    caches["sessions"].close()

    with at(seconds + 1):
        assert [whoami(b) for b in browsers] == [(200, "alice")] * BROWSERS
    assert thefts == []
    # Browser restarts, an hour later: through the token.
    for browser in browsers:
        browser.cookies.pop("sessionid", None)
    with at(seconds + 3600):
        assert [whoami(b) for b in browsers] == [(200, "alice")] * BROWSERS
    assert thefts == []
    assert RememberToken.objects.filter(revoked_at__isnull=True).count() == BROWSERS
