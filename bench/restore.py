"""
Timing restores, and where their time goes.

Each timed restore uses a series of its own, so every one of them rotates
(a series used twice within ``REMEMBERME_ROTATION_GRACE`` is accepted
without rotating, which would hide the hash and the write).
"""

from __future__ import annotations

import contextlib
import datetime
import secrets
import statistics
import time
from collections.abc import Iterator
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.utils import timezone

from bench.harness import (
    Argon2Counter,
    QueryCounter,
    Split,
    call,
    cookie_header,
    summary,
    timed_call,
    watching_argon2,
)
from rememberme.internal import restore as rememberme_restore
from rememberme.internal.conf import app_settings
from rememberme.internal.cookie import parse_cookie_value
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
    where the package calls it, ``login()`` as a restore calls it,
    session writes through the session store (so their commits count
    too), and the token's queries through an ``execute_wrapper``. Sections
    are exclusive: the session write inside ``login()`` (its new session
    key) is counted as a session write, not as ``login()``.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore

    def timed_argon2(kind: str, compute: Any) -> bytes:
        with split.section(f"Argon2 {kind}"):
            return compute()  # type: ignore[no-any-return]

    def timed_sql(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        name = _classify(sql)
        if name is None:
            return execute(sql, params, many, context)
        with split.section(name):
            return execute(sql, params, many, context)

    with contextlib.ExitStack() as stack:
        stack.enter_context(watching_argon2(timed_argon2))
        stack.enter_context(_patched(rememberme_restore, "login", "login()", split))
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


# The floor, and restores against it -------------------------------------------


def _floor_statements(token: RememberToken, session_data: str) -> list[tuple[str, list[Any]]]:
    """
    Return the least a restore must do in the database, as raw SQL: find the
    token by its unique index, write the rotated row, insert the new
    session. Values are the token's own, prepared by its fields, so the
    statements match whatever the columns' types are.
    """
    ops = connection.ops
    quote = ops.quote_name
    table = quote(RememberToken._meta.db_table)
    meta = RememberToken._meta

    def prep(name: str) -> Any:
        return meta.get_field(name).get_db_prep_save(getattr(token, name), connection)

    written = [
        "verifier_hash",
        "previous_verifier_hash",
        "rotated_at",
        "last_used_at",
        "expires_at",
    ]
    assignments = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in written)
    key = secrets.token_hex(16)
    expire = timezone.now() + datetime.timedelta(hours=2)
    session_table = quote(Session._meta.db_table)
    return [
        (
            f"SELECT * FROM {table} "  # noqa: S608
            f"WHERE {quote(meta.get_field('selector_digest').column)} = %s",
            [prep("selector_digest")],
        ),
        (
            f"UPDATE {table} SET {assignments} WHERE {quote('id')} = %s "  # noqa: S608
            f"AND {quote(meta.get_field('verifier_hash').column)} = %s",
            [*(prep(name) for name in written), token.pk, prep("verifier_hash")],
        ),
        (
            f"INSERT INTO {session_table} "  # noqa: S608
            "(session_key, session_data, expire_date) VALUES (%s, %s, %s)",
            [key, session_data, ops.adapt_datetimefield_value(expire)],
        ),
    ]


def _floor_once(statements: list[tuple[str, list[Any]]]) -> int:
    """Run the floor's three statements, each committing on its own; return ns."""
    started = time.perf_counter_ns()
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            if sql.startswith("SELECT"):
                cursor.fetchall()
    return time.perf_counter_ns() - started


def restore_ratios(handler: WSGIHandler, live_cookies: dict[str, str], n: int) -> dict[str, Any]:
    """
    Time a restore, the physical floor and a live signed-in request, one of
    each per round, the order rotating from round to round so that whatever
    else the machine does falls on all three alike; return their medians
    and the restore's ratio to the other two.

    The floor is what no implementation of a restore can skip, run raw
    through the same connection: one indexed SELECT of the token, one
    UPDATE of its row, one INSERT of the new session, each committing on
    its own (as the restore's writes do). The live request is the same page
    with a signed-in session and the token cookie, i.e. what the restore
    would have cost had the session still been there.
    """
    name = app_settings.COOKIE_NAME
    cookies = issue_cookies(2 * n + 1)
    first = call(handler, {name: cookies.pop()})
    assert_restored(first)
    session_key = first.cookies[settings.SESSION_COOKIE_NAME].value
    session_data = Session.objects.get(session_key=session_key).session_data
    floor_tokens = [
        RememberToken.objects.find(parse_cookie_value(value).selector)  # type: ignore[union-attr]
        for value in cookies[n:]
    ]
    restores = cookies[:n]
    live = cookie_header(live_cookies)
    times: dict[str, list[float]] = {"restore": [], "floor": [], "live": []}

    def run(kind: str, index: int) -> None:
        if kind == "restore":
            started = time.perf_counter_ns()
            response = call(handler, {name: restores[index]})
            times[kind].append(time.perf_counter_ns() - started)
            assert_restored(response)
        elif kind == "floor":
            times[kind].append(_floor_once(_floor_statements(floor_tokens[index], session_data)))
        else:
            times[kind].append(timed_call(handler, live))

    kinds = ["restore", "floor", "live"]
    for index in range(n):
        shift = index % 3
        for kind in kinds[shift:] + kinds[:shift]:
            run(kind, index)
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    return {
        **{f"{kind}_ms": summary(values, 1e-6, 3) for kind, values in times.items()},
        "restore_over_floor": round(medians["restore"] / medians["floor"], 3),
        "restore_over_live": round(medians["restore"] / medians["live"], 3),
        "floor_statements": [sql for sql, _ in _floor_statements(floor_tokens[0], "")],
    }
