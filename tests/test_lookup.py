"""The restore's lookup: one query, the ORM's own instances, no query building per request."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rememberme.internal.cookie import new_cookie_value
from rememberme.internal.lookup import find_with_user
from rememberme.models import RememberToken
from tests.helpers import parsed, token_cookie

pytestmark = pytest.mark.django_db


def test_returns_the_token_and_its_whole_user_in_one_query(remembered):
    client, _token = remembered
    selector = parsed(token_cookie(client)).selector
    expected = RememberToken.objects.select_related("user").find(selector)
    assert expected is not None
    with CaptureQueriesContext(connection) as queries:
        found = find_with_user(selector)
        assert found is not None
        user = found.user
        user_values = {f.attname: getattr(user, f.attname) for f in user._meta.concrete_fields}
    assert len(queries) == 1
    assert found == expected
    for f in RememberToken._meta.concrete_fields:
        assert getattr(found, f.attname) == getattr(expected, f.attname), f.name
    assert user_values == {
        f.attname: getattr(expected.user, f.attname) for f in user._meta.concrete_fields
    }
    assert found.selector == selector
    assert found.last_used_at.tzinfo is not None  # converted as the ORM converts
    assert found._state.adding is False
    assert found._state.db == "default"


def test_unknown_selector_is_none():
    assert find_with_user(new_cookie_value().selector) is None


def test_a_junk_selector_compiles_no_query(remembered):
    # Every anonymous request with a well-formed cookie runs the lookup: it
    # must not pay for building the ORM query each time (about ten times
    # the cost of the query itself).
    browser = Client()
    browser.cookies["rememberme"] = new_cookie_value().encode()
    browser.get("/whoami/")  # compiled once per connection at most
    browser.cookies["rememberme"] = new_cookie_value().encode()
    as_sql = SQLCompiler.as_sql
    with (
        mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=as_sql) as built,
        CaptureQueriesContext(connection) as queries,
    ):
        response = browser.get("/whoami/")
    assert response.json()["user"] is None
    assert [q["sql"] for q in queries if "remembertoken" in q["sql"]]
    assert built.call_count == 0
