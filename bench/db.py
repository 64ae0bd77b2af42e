"""
Database set-up for the benchmark: a fresh database, and millions of rows fast.

Rows are generated inside the database (``generate_series`` on PostgreSQL,
a recursive CTE on SQLite) from one template row built by the model's own
fields, so a million rows take seconds and always match the current schema.
"""

from __future__ import annotations

import datetime
import os
import struct
import time
from pathlib import Path
from typing import Any

from django.db import connection

PG_MAINTENANCE_DB = "postgres"


def reset_database() -> None:
    """Drop and recreate the benchmark database named by the environment."""
    if os.environ.get("BENCH_DB", "sqlite") == "postgres":
        import psycopg

        name = os.environ.get("BENCH_PG_NAME", "rm_bench")
        with psycopg.connect(
            host=os.environ.get("BENCH_PG_HOST", "127.0.0.1"),
            port=os.environ.get("BENCH_PG_PORT", "5432"),
            user=os.environ.get("BENCH_PG_USER", "postgres"),
            password=os.environ.get("BENCH_PG_PASSWORD", ""),
            dbname=PG_MAINTENANCE_DB,
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        path = Path(os.environ.get("BENCH_SQLITE_PATH", "bench.sqlite3"))
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # What most production SQLite set-ups use (and Django 5.1+ can set).
            cursor.execute("PRAGMA journal_mode=WAL")


def _time_ordered_selector_digest() -> str:
    """
    Return a SQL expression for a selector digest as the package stores
    them: the creation time as 4 bytes (here one second apart per row, in
    key order, as a site's tokens are), then as many random bytes as the
    digest keeps of SHA-256 (``crypto.SELECTOR_HASH_LENGTH``). SQLite has no
    function that turns a number into bytes (unhex() came in 3.41), so
    there a Python function registered on the connection makes them.
    """
    from rememberme.internal.crypto import SELECTOR_HASH_LENGTH

    start = int(time.time()) - 40 * 24 * 3600
    if connection.vendor == "postgresql":
        prefix = f"lpad(to_hex({start} + i), 8, '0')"
        return f"decode({prefix} || {_random_text(2 * SELECTOR_HASH_LENGTH)}, 'hex')"
    connection.ensure_connection()
    connection.connection.create_function(
        "rememberme_bench_digest",
        1,
        lambda i: struct.pack(">I", (start + i) & 0xFFFFFFFF) + os.urandom(SELECTOR_HASH_LENGTH),
    )
    return "rememberme_bench_digest(i)"


def _random_text(length: int) -> str:
    """Return a SQL expression for ``length`` random hex characters, per row."""
    if connection.vendor == "postgresql":
        return f"substr(md5(random()::text || i::text) || md5(i::text), 1, {length})"
    return f"substr(lower(hex(randomblob({(length + 1) // 2}))), 1, {length})"


def _insert_generated(model: Any, template: Any, random_columns: dict[str, int], n: int) -> None:
    """Insert ``n`` copies of ``template``, with random values in ``random_columns``."""
    fields = [
        f for f in model._meta.concrete_fields if not f.primary_key or f.name in random_columns
    ]
    columns, expressions, params = [], [], []
    for f in fields:
        columns.append(connection.ops.quote_name(f.column))
        if f.name in random_columns:
            length = random_columns[f.name]
            expressions.append(
                _time_ordered_selector_digest() if length < 0 else _random_text(length)
            )
        else:
            expressions.append("%s")
            params.append(f.get_db_prep_save(getattr(template, f.attname), connection))
    table = connection.ops.quote_name(model._meta.db_table)
    column_list = ", ".join(columns)
    select = ", ".join(expressions)
    if connection.vendor == "postgresql":
        sql = (
            f"INSERT INTO {table} ({column_list}) "  # noqa: S608 (names from the model)
            f"SELECT {select} FROM generate_series(1, %s) AS i"
        )
    else:
        sql = (
            f"INSERT INTO {table} ({column_list}) "  # noqa: S608 (names from the model)
            "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %s) "
            f"SELECT {select} FROM c"
        )
        params = [n, *params]
    if connection.vendor == "postgresql":
        params = [*params, n]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def analyze(table: str) -> None:
    """Refresh planner statistics, as autovacuum would after a bulk load."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
        else:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def empty(table: str) -> None:
    """
    Make a purged table as it would be after autovacuum, before it is filled
    again: on PostgreSQL (whose autovacuum is off in some set-ups) the dead
    rows are removed and the empty pages given back, so that a second
    ``DELETE`` does not scan the first one's leftovers. SQLite reuses freed
    pages by itself.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {connection.ops.quote_name(table)}")


def checkpoint() -> None:
    """
    Write every change to the database files, as happens long before rows
    that expired weeks ago are purged: each purge command then starts from
    the same state (on PostgreSQL the first change to each page after a
    checkpoint writes the whole page to the WAL).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CHECKPOINT")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def insert_expired_tokens(user: Any, n: int, verifier_hash: bytes) -> None:
    """
    Insert ``n`` expired (not revoked) tokens of ``user``, as the package
    leaves them: a time-ordered selector digest, Argon2id hashes of the current and the
    previous verifier, the password fingerprint, a browser's user agent.
    """
    from rememberme.internal.crypto import password_fingerprint
    from rememberme.models import RememberToken

    now = datetime.datetime.now(datetime.timezone.utc)
    created = now - datetime.timedelta(days=20)
    template = RememberToken(
        user=user,
        selector_digest=b"",
        verifier_hash=verifier_hash,
        previous_verifier_hash=verifier_hash,
        password_fingerprint=password_fingerprint(user.password),
        backend="django.contrib.auth.backends.ModelBackend",
        created_at=created,
        last_used_at=created + datetime.timedelta(days=1),
        rotated_at=created + datetime.timedelta(days=1),
        expires_at=created + datetime.timedelta(days=15),
        absolute_expires_at=created + datetime.timedelta(days=30),
        user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        ip_address="203.0.113.7",
        session_data={},
    )
    _insert_generated(RememberToken, template, {"selector_digest": -1}, n)
    analyze(RememberToken._meta.db_table)


def insert_expired_sessions(n: int, session_data: str) -> None:
    """Insert ``n`` expired Django database sessions, each with ``session_data``."""
    from django.contrib.sessions.models import Session

    expired = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
    template = Session(session_key="", session_data=session_data, expire_date=expired)
    _insert_generated(Session, template, {"session_key": 32}, n)
    analyze(Session._meta.db_table)


def count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return int(cursor.fetchone()[0])
