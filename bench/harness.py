"""
What every figure shares: two handler stacks, raw WSGI calls, counters, statistics.

Requests go straight to ``WSGIHandler`` (what gunicorn or uwsgi call), not
through ``django.test.Client``, whose own bookkeeping would dilute the
difference being measured.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import override_settings

from rememberme.internal import crypto
from rememberme.internal.conf import app_settings

REMEMBERME_MIDDLEWARE = "rememberme.middleware.RememberMeMiddleware"
PAGE = "/page/"
PASSWORD = "bench password, not a secret"


def login_cookies(*, remember: bool, username: str = "alice") -> dict[str, str]:
    """Sign in through the bundled login view; return the browser's cookies."""
    client = Client()
    data = {"username": username, "password": PASSWORD}
    if remember:
        data["remember_me"] = "on"
    response = client.post("/accounts/login/", data)
    assert response.status_code == 302, response.status_code
    cookies = {name: morsel.value for name, morsel in client.cookies.items() if morsel.value}
    assert settings.SESSION_COOKIE_NAME in cookies
    assert (app_settings.COOKIE_NAME in cookies) is remember
    return cookies


def build_handlers() -> tuple[WSGIHandler, WSGIHandler]:
    """Return (plain Django, Django + RememberMeMiddleware), identical otherwise."""
    full = list(settings.MIDDLEWARE)
    plain = [name for name in full if name != REMEMBERME_MIDDLEWARE]
    assert len(plain) == len(full) - 1, "the bench settings must list RememberMeMiddleware"
    with override_settings(MIDDLEWARE=plain):
        plain_handler = WSGIHandler()
    with override_settings(MIDDLEWARE=full):
        full_handler = WSGIHandler()
    return plain_handler, full_handler


def environ(cookies: dict[str, str] | None = None, path: str = PAGE) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) bench",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if cookies:
        env["HTTP_COOKIE"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return env


def _start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[..., None]:
    if not status.startswith(("200", "302")):
        raise RuntimeError(f"benchmark request failed: {status}")
    return lambda data: None


def call(handler: WSGIHandler, cookies: dict[str, str] | None = None) -> HttpResponse:
    """Send one GET to ``handler`` the way a WSGI server does; return the response."""
    response = handler(environ(cookies), _start_response)
    b"".join(response)
    response.close()  # request_finished, as a server would trigger it
    return response  # type: ignore[return-value]


def timed_call(handler: WSGIHandler, env_cookie: str) -> int:
    """Send one GET with the ``Cookie`` header ``env_cookie``; return nanoseconds."""
    env = environ()
    if env_cookie:
        env["HTTP_COOKIE"] = env_cookie
    started = time.perf_counter_ns()
    response = handler(env, _start_response)
    b"".join(response)
    response.close()
    return time.perf_counter_ns() - started


def cookie_header(cookies: dict[str, str] | None) -> str:
    return "; ".join(f"{name}={value}" for name, value in (cookies or {}).items())


# Counting ----------------------------------------------------------------


@contextlib.contextmanager
def watching_argon2(seen: Callable[[str, Callable[[], bytes]], bytes]) -> Iterator[None]:
    """
    Pass every Argon2 computation the package makes through ``seen(kind,
    compute)``, ``kind`` being "hash" or "verify". The package computes raw
    tags with argon2-cffi's ``hash_secret_raw``, looked up in its ``crypto``
    module at each call; which of its functions called tells the kind.
    """
    original = crypto.hash_secret_raw

    def watched(*args: Any, **kwargs: Any) -> bytes:
        frame = sys._getframe(1)
        while frame.f_code.co_name not in ("hash_verifier", "verify_verifier"):
            frame = frame.f_back  # type: ignore[assignment]
        kind = "hash" if frame.f_code.co_name == "hash_verifier" else "verify"
        return seen(kind, lambda: original(*args, **kwargs))

    crypto.hash_secret_raw = watched  # type: ignore[assignment]
    try:
        yield
    finally:
        crypto.hash_secret_raw = original  # type: ignore[assignment]


class Argon2Counter:
    """Count every Argon2 hash and verification, whoever calls them."""

    def __init__(self) -> None:
        self.hash = 0
        self.verify = 0

    @property
    def total(self) -> int:
        return self.hash + self.verify

    def _seen(self, kind: str, compute: Callable[[], bytes]) -> bytes:
        setattr(self, kind, getattr(self, kind) + 1)
        return compute()

    @contextlib.contextmanager
    def active(self) -> Iterator[Argon2Counter]:
        with watching_argon2(self._seen):
            yield self


class QueryCounter:
    """
    Record every SQL statement run on the default connection.

    An ``execute_wrapper`` rather than ``CaptureQueriesContext``: the latter
    reads ``connection.queries``, which ``request_started`` clears at the
    start of every request a handler serves.
    """

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __len__(self) -> int:
        return len(self.sql)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.sql.append(sql)
        return execute(sql, params, many, context)

    @contextlib.contextmanager
    def active(self) -> Iterator[QueryCounter]:
        with connection.execute_wrapper(self):
            yield self


@dataclass
class Cost:
    queries: int
    argon2: int
    sql: list[str] = field(default_factory=list)


def cost_of(handler: WSGIHandler, cookies: dict[str, str] | None) -> Cost:
    """Return the queries and Argon2 calls of one request."""
    with QueryCounter().active() as queries, Argon2Counter().active() as argon:
        call(handler, cookies)
    return Cost(queries=len(queries), argon2=argon.total, sql=queries.sql)


# Statistics --------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Return the ``p``-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: list[float], scale: float = 1.0, digits: int = 3) -> dict[str, Any]:
    """Return median, p5, p25, p75, p95 and n of ``values`` times ``scale``."""
    scaled = [v * scale for v in values]
    return {
        "median": round(statistics.median(scaled), digits),
        "p5": round(percentile(scaled, 5), digits),
        "p25": round(percentile(scaled, 25), digits),
        "p75": round(percentile(scaled, 75), digits),
        "p95": round(percentile(scaled, 95), digits),
        "n": len(scaled),
    }


def ab_pairs(
    handler_a: WSGIHandler,
    cookies_a: dict[str, str] | None,
    handler_b: WSGIHandler,
    cookies_b: dict[str, str] | None,
    pairs: int,
    blocks: int,
    warmup: int = 200,
) -> dict[str, Any]:
    """
    Time A and B one request at a time, interleaved and alternating which
    goes first, so that whatever else the machine does (other processes,
    frequency changes) falls on both alike; compare medians, which a burst
    of interference on a few requests does not move.

    The ratio is A's median time over B's, i.e. B's throughput relative to
    A's; its spread is that of the same ratio computed per block of pairs.
    """
    header_a, header_b = cookie_header(cookies_a), cookie_header(cookies_b)
    for _ in range(warmup):
        timed_call(handler_a, header_a)
        timed_call(handler_b, header_b)
    times_a: list[float] = []
    times_b: list[float] = []
    block_ratios: list[float] = []
    per_block = max(1, pairs // blocks)
    for _ in range(blocks):
        gc.collect()
        block_a: list[float] = []
        block_b: list[float] = []
        for index in range(per_block):
            if index % 2:
                b = timed_call(handler_b, header_b)
                a = timed_call(handler_a, header_a)
            else:
                a = timed_call(handler_a, header_a)
                b = timed_call(handler_b, header_b)
            block_a.append(a)
            block_b.append(b)
        block_ratios.append(statistics.median(block_a) / statistics.median(block_b))
        times_a.extend(block_a)
        times_b.extend(block_b)
    ratio = statistics.median(times_a) / statistics.median(times_b)
    return {
        "a_us": summary(times_a, 1e-3, 1),
        "b_us": summary(times_b, 1e-3, 1),
        "ratio": round(ratio, 4),
        "ratio_blocks": summary(block_ratios, 1.0, 4),
    }


class Split:
    """Exclusive wall time per named section, for nested sections."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self._stack: list[list[Any]] = []

    def reset(self) -> None:
        self.totals = {}

    @contextlib.contextmanager
    def section(self, name: str) -> Iterator[None]:
        frame: list[Any] = [name, time.perf_counter(), 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            self._stack.pop()
            elapsed = time.perf_counter() - frame[1]
            self.totals[name] = self.totals.get(name, 0.0) + elapsed - frame[2]
            if self._stack:
                self._stack[-1][2] += elapsed


@contextlib.contextmanager
def one_core() -> Iterator[None]:
    """Pin this process to one CPU (where the platform allows) for the block."""
    setter = getattr(os, "sched_setaffinity", None)
    if setter is None:
        yield
        return
    before = os.sched_getaffinity(0)
    setter(0, {min(before)})
    try:
        yield
    finally:
        setter(0, before)
