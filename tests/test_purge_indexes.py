"""The token table's indexes: only those a query needs, and used by those queries."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.db.models.sql import DeleteQuery
from django.utils import timezone

from rememberme import purge
from rememberme.internal.cookie import new_cookie_value
from rememberme.internal.crypto import selector_digest
from rememberme.models import RememberToken

pytestmark = pytest.mark.django_db

TABLE = RememberToken._meta.db_table


def index_columns() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return {
        name: info["columns"]
        for name, info in constraints.items()
        if info["index"] or info["unique"] or info["primary_key"]
    }


def plan(sql: str, params: tuple[object, ...] | list[object]) -> str:
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(" ".join(str(cell) for cell in row) for row in cursor.fetchall())


def delete_plan(queryset: object) -> str:
    query = queryset.query.clone()  # type: ignore[attr-defined]
    query.__class__ = DeleteQuery
    return plan(*query.get_compiler(connection.alias).as_sql())


def test_only_the_needed_indexes():
    # Primary key, unique selector digest, the foreign key to the user, and
    # the partial index of revoked tokens: nothing on expires_at or
    # revoked_at, and no pattern_ops copy of the digest index.
    columns = sorted(sorted(c) for c in index_columns().values())
    assert columns == [["id"], ["id"], ["selector_digest"], ["user_id"]]
    assert not [name for name in index_columns() if name.endswith("_like")]


def test_restore_lookup_uses_the_unique_index():
    selector = new_cookie_value().selector
    lookup = (
        RememberToken.objects.select_related("user")
        .filter(selector_digest=selector_digest(selector))
        .order_by()
    )
    sql, params = lookup.query.get_compiler(connection.alias).as_sql()
    explained = plan(sql, params)
    unique = [
        name
        for name, info in _constraints().items()
        if info["unique"] and info["columns"] == ["selector_digest"]
    ]
    assert len(unique) == 1
    if connection.vendor == "postgresql":
        assert f"Index Scan using {unique[0]} on {TABLE}" in explained
    else:
        # SQLite names the index that enforces a UNIQUE constraint itself.
        assert "USING INDEX" in explained
        assert "(selector_digest=?)" in explained


def _constraints() -> dict[str, Any]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, TABLE)


def test_old_revocations_are_found_through_the_partial_index():
    now = timezone.now()
    old = purge.revoked_tokens(now, datetime.timedelta(days=30)).filter(pk__gt=10, pk__lte=20)
    assert "rememberme_revoked_idx" in delete_plan(old)


def test_expired_tokens_are_found_by_key_range():
    expired = purge.expired_tokens(timezone.now()).filter(pk__gt=10, pk__lte=20)
    explained = delete_plan(expired)
    if connection.vendor == "postgresql":
        assert f"Index Scan using {TABLE}_pkey" in explained
    else:
        assert "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)" in explained
