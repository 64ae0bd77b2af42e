"""
Injected database faults: every query of a restore fails in turn.

A restore looks the token up, rotates it (one conditional UPDATE), signs the
user in (``last_login``), may write the persistent session keys with the
token, and saves the new session on the way out. Each of
those queries is made to raise ``DatabaseError``, one at a time (and, in a
second sweep, from that query on, as when the database goes away
mid-request). Whatever fails:

* the request ends anonymous or with a clean 500, never signed in as
  someone else (and signed in as the owner only when nothing that matters
  was lost);
* the token is never half-rotated: it is as issued, or fully rotated to
  the value the response carried;
* nothing is revoked, and the cookie the browser still holds keeps working
  afterwards (within the grace window when the rotation had committed,
  exactly like a lost response); a new cookie the response did deliver
  works too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.test import Client
from django.urls import include, path

from rememberme.internal.cookie import parse_cookie_value
from rememberme.internal.crypto import verify_verifier
from rememberme.internal.state import find_state
from rememberme.models import RememberToken
from tests.helpers import BACKEND, browser_with

pytestmark = pytest.mark.django_db(transaction=True)


def cart(request: HttpRequest) -> JsonResponse:
    """Put something in a persistent session key; report who is signed in."""
    if request.method == "POST":
        request.session["cart"] = request.POST["cart"]
    state = find_state(request)
    return JsonResponse(
        {
            "user": request.user.get_username() if request.user.is_authenticated else None,
            "restored": bool(state and state.restored),
        }
    )


urlpatterns = [path("cart/", cart), path("accounts/", include("rememberme.urls"))]


@pytest.fixture(autouse=True)
def _site(settings):
    settings.ROOT_URLCONF = __name__
    settings.REMEMBERME_PERSISTENT_SESSION_KEYS = ("cart",)


class Faults:
    """An execute wrapper that makes chosen queries raise ``DatabaseError``."""

    def __init__(self, fails: Callable[[int, str], bool]) -> None:
        self.fails = fails
        self.count = 0
        self.fired: list[str] = []
        self.seen: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        self.seen.append(sql)
        if self.fails(self.count, sql):
            self.fired.append(sql)
            raise DatabaseError(f"injected fault at query {self.count}")
        return execute(sql, params, many, context)


def browser(cookie: str) -> Client:
    """A browser holding only this token cookie; errors become 500 responses."""
    return browser_with(cookie, raise_request_exception=False)


def restore(cookie: str, faults: Faults | None = None, client: Client | None = None) -> Any:
    client = client or browser(cookie)
    if faults is None:
        return client.post("/cart/", {"cart": "3 apples"})
    with connection.execute_wrapper(faults):
        return client.post("/cart/", {"cart": "3 apples"})


def new_cookie(response: Any) -> str | None:
    morsel = response.cookies.get("rememberme")
    return morsel.value if morsel is not None and morsel.value else None


def check_outcome(owner: Any, token: RememberToken, cookie: str, response: Any) -> str:
    """Assert the promises of a faulty restore; return what became of the token."""
    original = token.issued_hash  # type: ignore[attr-defined]
    # 400: Django turns a failed session update into SessionInterrupted.
    assert response.status_code in (200, 400, 500), response.status_code
    if response.status_code == 200:
        assert response.json()["user"] in (None, owner.username)
    delivered = new_cookie(response) if response.status_code == 200 else None
    # The cookie is never deleted because the database failed.
    morsel = response.cookies.get("rememberme")
    assert morsel is None or morsel.value, "a database fault deleted the cookie"

    token.refresh_from_db()
    assert token.revoked_at is None, "a database fault revoked the token"
    if token.verifier_hash == original:
        outcome = "untouched"
        assert delivered is None
    else:
        # Fully rotated: the old verifier is the predecessor, in grace.
        outcome = "rotated"
        assert token.previous_verifier_hash == original
        assert verify_verifier(token.previous_verifier_hash, parse_cookie_value(cookie).verifier)  # type: ignore[union-attr]
        if delivered is not None:
            assert verify_verifier(token.verifier_hash, parse_cookie_value(delivered).verifier)  # type: ignore[union-attr]

    # Afterwards, with the database back: the cookie the browser holds works.
    after = restore(cookie)
    assert after.status_code == 200
    assert after.json() == {"user": owner.username, "restored": True}
    if outcome == "rotated":
        # Inside the grace window: a session, and no second rotation.
        assert new_cookie(after) is None
    if delivered is not None:
        assert browser(delivered).get("/cart/").json()["user"] == owner.username
    return outcome


@pytest.fixture
def make_token(django_user_model):
    counter = iter(range(10_000))

    def make() -> tuple[Any, RememberToken, str]:
        owner = django_user_model.objects.create_user(f"user{next(counter)}", password="x")
        token, value = RememberToken.objects.issue(owner, backend=BACKEND)
        token.issued_hash = token.verifier_hash  # type: ignore[attr-defined]
        return owner, token, value.encode()

    return make


def test_a_restore_without_faults_makes_the_queries_the_sweep_covers(make_token):
    _, _, cookie = make_token()
    probe = Faults(lambda n, sql: False)
    response = restore(cookie, probe)
    assert response.json()["restored"] is True
    sql = "\n".join(probe.seen)
    for table in ("rememberme_remembertoken", "django_session", "auth_user"):
        assert table in sql
    assert 'UPDATE "rememberme_remembertoken" SET "session_data"' in sql


def hits(mode: str, nth: int, n: int, sql: str) -> bool:
    """Fail query ``nth`` only, or every query from ``nth`` on."""
    return n == nth if mode == "only" else n >= nth


@pytest.mark.parametrize("mode", ["only", "from"])
def test_each_query_of_a_restore_fails_in_turn(make_token, mode, capsys):
    _, _, cookie = make_token()
    probe = Faults(lambda n, sql: False)
    restore(cookie, probe)
    total = probe.count
    outcomes: dict[str, int] = {}
    for nth in range(1, total + 1):
        owner, token, cookie = make_token()
        faults = Faults(functools.partial(hits, mode, nth))
        response = restore(cookie, faults)
        assert faults.fired, f"query {nth} never ran"
        outcome = check_outcome(owner, token, cookie, response)
        key = f"{response.status_code}/{outcome}"
        outcomes[key] = outcomes.get(key, 0) + 1
    with capsys.disabled():
        print(f"\n[faults] {total} fault points ({mode}): {outcomes}", flush=True)


# Each step of a restore by name, with what must become of the request.
NAMED = {
    "token lookup": (r'^SELECT .* FROM "rememberme_remembertoken"', "anonymous", "untouched"),
    "rotation update": (
        r'^UPDATE "rememberme_remembertoken" SET "verifier_hash"',
        "anonymous",
        "untouched",
    ),
    # The rotation and login()'s writes are one transaction: no rotation
    # outlives a sign-in that failed.
    "last_login update": (r'^UPDATE "auth_user" SET "last_login"', "anonymous", "untouched"),
    "persistent-key write": (
        r'^UPDATE "rememberme_remembertoken" SET "session_data"',
        "signed in",
        "rotated",
    ),
    # The new session gets its key and its one row when the response saves
    # it (no empty row reserved at login(), no query to check the key).
    "session save at the response": (r'^INSERT INTO "django_session"', "error", "rotated"),
}


@pytest.mark.parametrize("point", list(NAMED))
def test_named_fault_point(make_token, point):
    pattern, request_ends, token_ends = NAMED[point]
    owner, token, cookie = make_token()
    regex = re.compile(pattern)
    faults = Faults(lambda n, sql: bool(regex.search(sql)) and not faults.fired)
    client = browser(cookie)
    response = restore(cookie, faults, client)
    assert faults.fired, f"no query matched {pattern}"
    if point == "persistent-key write":
        # Not saved; the same session tries again at its next change.
        token.refresh_from_db()
        assert token.session_data == {}
        client.post("/cart/", {"cart": "4 pears"})
        token.refresh_from_db()
        assert token.session_data == {"cart": "4 pears"}
    if request_ends == "error":
        assert response.status_code in (400, 500)
    else:
        assert response.status_code == 200
        expected = owner.username if request_ends == "signed in" else None
        assert response.json()["user"] == expected
    assert check_outcome(owner, token, cookie, response) == token_ends
