"""
A copy of the database grants no sign-in, and no sign-out either: the table
keeps only a digest of each selector, so nothing read from a backup, a
replica or an admin page can be presented to trigger the theft rule.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from rememberme.internal import crypto
from rememberme.internal.conf import app_settings
from rememberme.internal.cookie import (
    SELECTOR_LENGTH,
    SELECTOR_TIME_LENGTH,
    new_cookie_value,
    parse_cookie_value,
)
from rememberme.models import RememberToken
from tests.helpers import close_browser, login, parsed, token_cookie, whoami

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(user: Any) -> tuple[Client, str]:
    browser = Client()
    login(browser)
    return browser, parsed(token_cookie(browser)).selector


def stored_values() -> list[str]:
    """Every stored value of the token table, as text in every shape a byte string can take."""
    values = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {RememberToken._meta.db_table}")  # noqa: S608
        for row in cursor.fetchall():
            for value in row:
                if isinstance(value, (bytes, memoryview)):
                    raw = bytes(value)
                    values += [raw.hex(), base64.urlsafe_b64encode(raw).decode().rstrip("=")]
                    values.append(raw.decode("latin-1"))
                elif value is not None:
                    values.append(str(value))
    return values


def test_the_selector_is_not_stored(owner: tuple[Client, str]) -> None:
    _browser, selector = owner
    assert not any(selector in value for value in stored_values())
    token = RememberToken.objects.get()
    assert bytes(token.selector_digest) == crypto.selector_digest(selector)
    assert len(bytes(token.selector_digest)) == crypto.SELECTOR_DIGEST_LENGTH


def test_nothing_read_from_the_table_triggers_the_theft_rule(
    owner: tuple[Client, str], thefts: list[Any]
) -> None:
    browser, _selector = owner
    verifier = new_cookie_value().verifier
    candidates = set()
    for value in stored_values():
        for start in range(0, max(1, len(value) - SELECTOR_LENGTH + 1)):
            candidates.add(value[start : start + SELECTOR_LENGTH])
    tried = 0
    for candidate in sorted(candidates):
        if parse_cookie_value(f"{candidate}:{verifier}") is None:
            continue
        tried += 1
        attacker = Client()
        attacker.cookies[app_settings.COOKIE_NAME] = f"{candidate}:{verifier}"
        assert attacker.get("/whoami/").json()["user"] is None
    assert tried > 0
    assert thefts == []
    close_browser(browser)
    assert whoami(browser)["user"] == "alice"  # nobody was signed out


def test_the_lookup_is_one_query_by_digest(owner: tuple[Client, str]) -> None:
    browser, selector = owner
    close_browser(browser)
    with CaptureQueriesContext(connection) as captured:
        assert whoami(browser)["restored"] is True
    lookups = [q["sql"] for q in captured.captured_queries if "selector_digest" in q["sql"]]
    assert len(lookups) == 1
    assert not any(selector in q["sql"] for q in captured.captured_queries)


def test_the_digest_is_the_time_then_128_bits_of_sha256() -> None:
    # 128 bits of SHA-256, as many as the selector has random bits: a
    # preimage still costs 2**128 tries, and the other 16 bytes would only
    # widen every row and every entry of the unique index.
    selector = new_cookie_value().selector
    digest = crypto.selector_digest(selector)
    assert len(digest) == crypto.SELECTOR_DIGEST_LENGTH == 4 + 16
    assert digest[:4] == bytes.fromhex(selector[:SELECTOR_TIME_LENGTH])
    assert digest[4:] == hashlib.sha256(selector.encode()).digest()[:16]


def test_digests_keep_the_index_ordered_by_age() -> None:
    with freeze_time("2026-01-01 00:00:00") as frozen:
        older = crypto.selector_digest(new_cookie_value().selector)
        frozen.tick(1)
        newer = crypto.selector_digest(new_cookie_value().selector)
    assert older < newer


def test_rotation_keeps_the_row_found_by_the_same_selector(owner: tuple[Client, str]) -> None:
    browser, selector = owner
    close_browser(browser)
    assert whoami(browser)["restored"] is True
    rotated = parsed(token_cookie(browser))
    assert rotated.selector == selector
    found = RememberToken.objects.find(selector)
    assert found is not None
    assert found.selector == selector
    assert RememberToken.objects.find(new_cookie_value().selector) is None
