"""
What a token row holds, compactly: the purge moves every byte of it, so
digests are raw bytes and nothing grows with what a client sends.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.db import connection, models
from django.test import Client
from django.utils.crypto import salted_hmac

from rememberme.internal import crypto
from rememberme.models import RememberToken
from tests.helpers import BACKEND, close_browser, login, whoami

pytestmark = pytest.mark.django_db


def test_an_issued_row_holds_raw_digests(user: Any) -> None:
    token, value = RememberToken.objects.issue(user, backend=BACKEND)
    row = RememberToken.objects.get(pk=token.pk)
    # Each as narrow as its job allows (the arithmetic is in crypto.py and
    # docs/security.rst): the time and 128 bits of SHA-256; HMAC-SHA256
    # truncated to 128 bits; the Argon2id parameters, an 8-byte salt and a
    # 16-byte tag.
    assert len(bytes(row.selector_digest)) == crypto.SELECTOR_DIGEST_LENGTH == 20
    assert len(bytes(row.password_fingerprint)) == crypto.FINGERPRINT_LENGTH == 16
    assert len(bytes(row.backend_digest)) == crypto.BACKEND_DIGEST_LENGTH == 8
    assert len(bytes(row.verifier_hash)) == 36
    assert crypto.verify_verifier(row.verifier_hash, value.verifier)


def test_a_row_with_a_full_length_fingerprint_is_still_restored(user: Any) -> None:
    # Tokens issued before the fingerprint was truncated hold the whole
    # 32-byte HMAC-SHA256; they keep working, and still fail once the
    # password changes.
    browser = Client()
    login(browser)
    token = RememberToken.objects.get(user=user)
    assert len(bytes(token.password_fingerprint)) == 16
    full = salted_hmac(
        "rememberme.internal.crypto.password_fingerprint", user.password, algorithm="sha256"
    ).digest()
    RememberToken.objects.filter(pk=token.pk).update(password_fingerprint=full)
    close_browser(browser)
    assert whoami(browser)["restored"] is True
    close_browser(browser)
    type(user).objects.filter(pk=user.pk).update(password=user.password + "x")
    assert whoami(browser)["user"] is None


def test_the_backend_is_found_again_while_configured(user: Any, settings: Any) -> None:
    token, _value = RememberToken.objects.issue(user, backend=BACKEND)
    row = RememberToken.objects.get(pk=token.pk)
    assert row.backend == BACKEND
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    assert row.backend == ""


def test_backend_can_be_given_by_path(user: Any) -> None:
    token = RememberToken(user=user, backend=BACKEND)  # type: ignore[misc]
    assert bytes(token.backend_digest) == crypto.backend_digest(BACKEND)
    assert token.backend == BACKEND


def test_a_long_user_agent_is_bounded(user: Any) -> None:
    browser = Client(HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 5000)
    login(browser)
    token = RememberToken.objects.get(user=user)
    assert len(token.user_agent) == RememberToken.USER_AGENT_MAX_LENGTH == 256
    close_browser(browser)
    assert whoami(browser)["restored"] is True
    token.refresh_from_db()
    assert len(token.user_agent) == 256


# Width class of each kind of column on PostgreSQL: 8-byte aligned, 4-byte
# (the user key of the test project's integer id), 1 byte, then
# variable-length (-1), which needs no alignment when short.
WIDTHS = {
    models.BigAutoField: 8,
    models.DateTimeField: 8,
    models.ForeignKey: 4,
    models.BooleanField: 1,
}


def width(field: Any) -> int:
    return next((w for kind, w in WIDTHS.items() if isinstance(field, kind)), -1)


def test_columns_are_ordered_by_alignment_in_the_model_and_the_migration() -> None:
    # PostgreSQL pads a fixed-width value to its alignment, so widest first,
    # variable-length last, and the table is created in 0001_initial's order
    # (which makemigrations would end with the foreign key).
    migration = importlib.import_module("rememberme.migrations.0001_initial").Migration
    (create,) = migration.operations
    migration_order = [name for name, _field in create.fields]
    model_order = [f.name for f in RememberToken._meta.concrete_fields]
    assert migration_order == model_order
    widths = [width(f) for f in RememberToken._meta.concrete_fields]
    fixed = [w for w in widths if w > 0]
    assert widths == sorted(fixed, reverse=True) + [-1] * (len(widths) - len(fixed))
    assert fixed == [8] * 8 + [4, 1]


@pytest.mark.postgres
def test_no_token_row_is_padded_on_postgresql(user: Any) -> None:
    browser = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Firefox/128.0")
    login(browser)
    table = RememberToken._meta.db_table
    columns = [str(f.column) for f in RememberToken._meta.concrete_fields]
    sizes = " + ".join(
        f"coalesce(pg_column_size({connection.ops.quote_name(c)}), 0)" for c in columns
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pg_column_size(t.*), {sizes}, revoked_at IS NULL FROM {table} t"  # noqa: S608
        )
        ((row, data, has_null),) = cursor.fetchall()
    # The tuple header: 23 bytes, then a null bitmap (a bit per column) if
    # any value is null, rounded up to 8. The columns follow it with nothing
    # in between (the earlier order padded this row by 12 bytes).
    bitmap = (len(columns) + 7) // 8 if has_null else 0
    header = (23 + bitmap + 7) // 8 * 8
    assert row == header + data
