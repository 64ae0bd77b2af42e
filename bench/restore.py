"""
Timing restores, and where their time goes.

Each timed restore uses a series of its own, so every one of them rotates
(a series used twice within ``REMEMBERME_ROTATION_GRACE`` is accepted
without rotating, which would hide the hash and the write).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from importlib import import_module
from typing import Any

import argon2
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from bench.harness import Argon2Counter, QueryCounter, Split, call, summary
from rememberme import middleware as rememberme_middleware
from rememberme.conf import app_settings
from rememberme.models import RememberToken

BACKEND = "django.contrib.auth.backends.ModelBackend"

SECTIONS = [
    "token lookup",
    "Argon2 verify",
    "Argon2 hash",
    "rotation write",
    "session write",
    "login()",
]
REST = "rest of the request"


def _classify(sql: str) -> str | None:
    text = sql.lstrip().upper()
    if "REMEMBERME_REMEMBERTOKEN" in text:
        return "token lookup" if text.startswith("SELECT") else "rotation write"
    if "DJANGO_SESSION" in text:
        return "session write"
    return None


@contextlib.contextmanager
def _patched(owner: Any, name: str, section: str, split: Split) -> Iterator[None]:
    own = name in vars(owner)
    original = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        with split.section(section):
            return original(*args, **kwargs)

    setattr(owner, name, timed)
    try:
        yield
    finally:
        if own:
            setattr(owner, name, original)
        else:
            delattr(owner, name)


@contextlib.contextmanager
def instrumented(split: Split) -> Iterator[None]:
    """
    Time the parts of a restore from outside the code under test: Argon2
    through its ``PasswordHasher``, ``login()`` as the middleware calls it,
    session writes through the session store (so their commits count
    too), and the token's queries through an ``execute_wrapper``. Sections
    are exclusive: the session write inside ``login()`` (its new session
    key) is counted as a session write, not as ``login()``.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore

    def timed_sql(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        name = _classify(sql)
        if name is None:
            return execute(sql, params, many, context)
        with split.section(name):
            return execute(sql, params, many, context)

    with contextlib.ExitStack() as stack:
        stack.enter_context(_patched(argon2.PasswordHasher, "hash", "Argon2 hash", split))
        stack.enter_context(_patched(argon2.PasswordHasher, "verify", "Argon2 verify", split))
        stack.enter_context(_patched(rememberme_middleware, "login", "login()", split))
        for method in ("save", "create", "delete", "exists"):
            stack.enter_context(_patched(store, method, "session write", split))
        stack.enter_context(connection.execute_wrapper(timed_sql))
        yield


def issue_cookies(n: int) -> list[str]:
    """
    Return the cookie values of ``n`` new series, each of a user of its own
    (as many browsers of one user would meet ``REMEMBERME_MAX_TOKENS_PER_USER``).
    """
    users = get_user_model()._default_manager
    first = users.count()
    cookies = []
    for index in range(first, first + n):
        user = users.create_user(f"restore-{index}", password="bench")  # type: ignore[attr-defined]
        cookies.append(RememberToken.objects.issue(user, backend=BACKEND)[1].encode())
    return cookies


def assert_restored(response: Any) -> None:
    session = response.cookies.get(settings.SESSION_COOKIE_NAME)
    token = response.cookies.get(app_settings.COOKIE_NAME)
    if not (session and session.value and token and token.value):
        raise RuntimeError(f"a benchmark restore did not sign in and rotate: {response.cookies}")


def restore_figures(handler: WSGIHandler, n: int) -> dict[str, Any]:
    """Time ``n`` restores with their split; count one restore's queries and hashes."""
    name = app_settings.COOKIE_NAME
    cookies = issue_cookies(n + 1)
    with QueryCounter().active() as queries, Argon2Counter().active() as argon:
        assert_restored(call(handler, {name: cookies.pop()}))
    split = Split()
    totals: list[float] = []
    parts: dict[str, list[float]] = {section: [] for section in [*SECTIONS, REST]}
    with instrumented(split):
        for value in cookies:
            split.reset()
            started = time.perf_counter()
            response = call(handler, {name: value})
            total = time.perf_counter() - started
            assert_restored(response)
            totals.append(total)
            for section in SECTIONS:
                parts[section].append(split.totals.get(section, 0.0))
            parts[REST].append(total - sum(split.totals.values()))
    return {
        "queries": len(queries),
        "sql": queries.sql,
        "argon2_hash_calls": argon.hash,
        "argon2_verify_calls": argon.verify,
        "total_ms": summary(totals, 1e3, 3),
        "split_ms": {section: summary(values, 1e3, 3) for section, values in parts.items()},
    }
