"""REMEMBERME_PERSISTENT_SESSION_KEYS: kept with the token, one write per change."""

from __future__ import annotations

import logging
import math
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rememberme.internal import persistent
from rememberme.models import RememberToken
from tests.helpers import close_browser, login, whoami

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keys(settings: Any) -> None:
    settings.REMEMBERME_PERSISTENT_SESSION_KEYS = ("theme", "lang")


def token_writes(client: Client, data: dict[str, str]) -> int:
    """POST ``data`` into the session; return the UPDATEs of token rows it made."""
    with CaptureQueriesContext(connection) as queries:
        assert client.post("/session/", data).status_code == 200
    return sum(
        1
        for query in queries.captured_queries
        if query["sql"].startswith("UPDATE") and "rememberme_remembertoken" in query["sql"]
    )


def saved(user: Any) -> dict[str, Any]:
    data: dict[str, Any] = RememberToken.objects.get(user=user).session_data
    return data


def test_one_write_per_change_and_none_otherwise(client: Client, user: Any) -> None:
    login(client)
    assert token_writes(client, {"theme": "dark"}) == 1
    assert saved(user) == {"theme": "dark"}
    assert token_writes(client, {"theme": "dark"}) == 0
    assert token_writes(client, {"cart": "3 apples"}) == 0
    assert token_writes(client, {"lang": "fr", "cart": "4 apples"}) == 1
    assert saved(user) == {"theme": "dark", "lang": "fr"}
    with CaptureQueriesContext(connection) as queries:
        whoami(client)
    assert not any("rememberme_remembertoken" in q["sql"] for q in queries.captured_queries)


def test_values_present_at_login_are_kept(client: Client, user: Any) -> None:
    client.post("/session/", {"theme": "dark"})
    login(client)
    assert saved(user) == {"theme": "dark"}
    assert token_writes(client, {"other": "x"}) == 0


def test_restored_session_gets_them_back_and_nothing_else(client: Client, user: Any) -> None:
    login(client)
    client.post("/session/", {"theme": "dark", "cart": "3 apples"})
    close_browser(client)
    with CaptureQueriesContext(connection) as queries:
        assert whoami(client)["restored"] is True
    # The restore rotates the token (one UPDATE) and does not write the
    # values it has just put back.
    updates = [
        q
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and "rememberme_remembertoken" in q["sql"]
    ]
    assert len(updates) == 1
    session = client.session
    assert session["theme"] == "dark"
    assert "cart" not in session
    # The restored session's first request records that the rotation's
    # response arrived (one UPDATE, once); then nothing is written again.
    whoami(client)
    assert token_writes(client, {"theme": "dark"}) == 0


def test_keys_no_longer_listed_are_not_restored(client: Client, user: Any, settings: Any) -> None:
    login(client)
    client.post("/session/", {"theme": "dark", "lang": "fr"})
    settings.REMEMBERME_PERSISTENT_SESSION_KEYS = ("lang",)
    close_browser(client)
    whoami(client)
    assert "theme" not in client.session
    assert client.session["lang"] == "fr"


def test_revoking_drops_them(client: Client, user: Any) -> None:
    login(client)
    client.post("/session/", {"theme": "dark"})
    RememberToken.objects.get(user=user).revoke("admin")
    assert saved(user) == {}


def test_logout_drops_them(client: Client, user: Any) -> None:
    login(client)
    client.post("/session/", {"theme": "dark"})
    client.post("/accounts/logout/")
    assert saved(user) == {}


def test_too_big_is_refused_with_a_clear_error(client: Client, user: Any, caplog: Any) -> None:
    login(client)
    client.post("/session/", {"theme": "dark"})
    big = "x" * persistent.MAX_BYTES
    with caplog.at_level(logging.ERROR, logger="rememberme"):
        assert token_writes(client, {"lang": big}) == 0
    assert saved(user) == {"theme": "dark"}
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    message = record.getMessage()
    assert "REMEMBERME_PERSISTENT_SESSION_KEYS" in message
    assert str(persistent.MAX_BYTES) in message
    # Logged once per change, not on every request.
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="rememberme"):
        client.post("/session/", {"other": "y"})
    assert not caplog.records
    # A value that fits again is saved again.
    assert token_writes(client, {"lang": "fr"}) == 1
    assert saved(user) == {"theme": "dark", "lang": "fr"}


def test_exactly_at_the_limit_is_kept() -> None:
    overhead = len('{"theme":""}')
    value = "x" * (persistent.MAX_BYTES - overhead)
    assert persistent.storable({"theme": value}) == {"theme": value}
    assert persistent.storable({"theme": value + "x"}) is None


@pytest.mark.parametrize("value", [{1, 2}, object(), b"bytes", math.nan, math.inf])
def test_not_json_is_refused(value: Any, caplog: Any) -> None:
    with caplog.at_level(logging.ERROR, logger="rememberme"):
        assert persistent.storable({"theme": "dark", "lang": value}) is None
    message = caplog.records[0].getMessage()
    assert "REMEMBERME_PERSISTENT_SESSION_KEYS" in message
    assert "'lang'" in message
    assert "'theme'" not in message


def test_remember_with_unstorable_values_still_signs_in(
    client: Client, user: Any, caplog: Any
) -> None:
    client.post("/session/", {"theme": "x" * (persistent.MAX_BYTES + 1)})
    with caplog.at_level(logging.ERROR, logger="rememberme"):
        response = login(client)
    assert response.status_code == 302
    assert saved(user) == {}
    assert whoami(client)["user"] == "alice"
    assert "REMEMBERME_PERSISTENT_SESSION_KEYS" in caplog.text
