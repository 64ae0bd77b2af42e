"""
The restore's one transaction: the rotation and the sign-in's writes
commit together, and the transaction is opened so that it neither fails at
once on SQLite nor deadlocks on PostgreSQL.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.helpers import close_browser, whoami

pytestmark = pytest.mark.django_db(transaction=True)

WRITE = re.compile(r"^\s*(UPDATE|INSERT|DELETE)\b", re.IGNORECASE)


def restore_queries(remembered) -> list[str]:
    client, _ = remembered
    close_browser(client)
    with CaptureQueriesContext(connection) as queries:
        assert whoami(client) == {"user": "alice", "restored": True}
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite only: other databases lock rows, not files"
)
def test_on_sqlite_each_transaction_of_a_restore_starts_with_a_write(remembered):
    # A deferred SQLite transaction that reads first and writes later fails
    # at once with "database is locked" when another connection wrote in
    # between, instead of waiting for the lock: every transaction of a
    # restore must begin with its first write.
    sql = restore_queries(remembered)
    begins = [i for i, statement in enumerate(sql) if statement.strip().upper() == "BEGIN"]
    assert begins, sql
    for index in begins:
        assert WRITE.match(sql[index + 1]), sql[index : index + 2]
    # The rotation and last_login are in the first of them.
    first = sql[begins[0] + 1 :]
    assert first[0].startswith('UPDATE "rememberme_remembertoken"')
    assert first[1].startswith('UPDATE "auth_user" SET "last_login"')


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only: SQLite has no row locks"
)
def test_on_postgresql_a_restore_locks_the_user_before_the_token(remembered):
    # A password change and issue() under a token cap lock the user's row,
    # then the tokens'. A restore that locked the token (its rotation) and
    # then the user (last_login) could deadlock with them.
    sql = restore_queries(remembered)
    lock = next(i for i, s in enumerate(sql) if "FOR NO KEY UPDATE" in s)
    assert 'FROM "auth_user"' in sql[lock]
    rotation = next(
        i for i, s in enumerate(sql) if s.startswith('UPDATE "rememberme_remembertoken"')
    )
    last_login = next(i for i, s in enumerate(sql) if 'SET "last_login"' in s)
    assert lock < rotation < last_login
