"""
Fuzzing: any cookie value at all, and any sequence of user actions.

1. Cookie values (``REMEMBERME_FUZZ_EXAMPLES``): raw
   ``Cookie`` headers and values put straight into ``request.COOKIES``,
   from any text to near misses of a real cookie. None may cause a 5xx or
   sign anyone in, and none that is malformed or has an unknown selector
   may cost an Argon2 computation.
2. A state machine over what users do (sign in with or without "Remember
   me", close the browser, come back, sign out, sign out everywhere, revoke,
   change the password, copy a cookie to another browser, let time pass),
   checked against a model after every step: no 5xx, never signed in as
   anyone but the token's owner (or the session's user), a revoked token
   stays revoked and never signs in, every revocation has a cause that
   happened, theft is only ever detected for a cookie that was copied, and a
   remembered browser that nobody copied is restored while its token lives.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie
from django.test import Client, RequestFactory
from freezegun import freeze_time
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from rememberme import revoke_user_tokens
from rememberme.internal.conf import app_settings
from rememberme.internal.cookie import SELECTOR_LENGTH, VERIFIER_LENGTH, parse_cookie_value
from rememberme.internal.crypto import selector_digest
from rememberme.middleware import RememberMeMiddleware
from rememberme.models import RememberToken, RevokeReason
from tests.helpers import BACKEND, EPOCH, PASSWORD, counting_argon2

pytestmark = pytest.mark.django_db

# Local runs fuzz lightly; the CI legs (noxfile.py, .ci/run) set the full
# counts: 10,000 cookie values and 60 action sequences on SQLite, a fifth of
# the cookie values on PostgreSQL (cookie parsing does not depend on the
# database).
EXAMPLES = int(os.environ.get("REMEMBERME_FUZZ_EXAMPLES") or 1000)
MACHINES = int(os.environ.get("REMEMBERME_FUZZ_MACHINES") or 15)
URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


# -- 1. Cookie values ---------------------------------------------------------

URLSAFE_CHAR = st.sampled_from(URLSAFE)
VERIFIERS = st.text(URLSAFE, min_size=VERIFIER_LENGTH, max_size=VERIFIER_LENGTH)

# Variants of the real cookie. Not the double-quoted value, nor one with
# spaces around it: RFC 6265 lets a value be quoted and Django strips both,
# so on the wire those are the real cookie (and are skipped if they occur).
VARIANTS = [
    str.upper,
    str.lower,
    lambda real: f"{real}\x00",
    lambda real: f"{real}\r",
    lambda real: real.replace(":", "%3A"),
    lambda real: real.replace(":", "::"),
    lambda real: real.replace(":", ";"),
    lambda real: real.replace("-", "+").replace("_", "/"),
    lambda real: f"{real}=",
    lambda real: f"{real}=="[1:],
    lambda real: f"{real},{real}",
    lambda real: f"{real};rememberme=x",
    lambda real: real[::-1],
    lambda real: real.split(":")[1] + ":" + real.split(":")[0],
]

# A recipe for a value, applied to whatever the real cookie is at the time
# (it changes after each theft detection), so strategies are built once.
RECIPES = st.one_of(
    # Unrelated to the real cookie: anything at all.
    st.tuples(st.just("raw"), st.text(max_size=200)),
    st.tuples(st.just("raw"), st.text(st.characters(max_codepoint=255), max_size=120)),
    st.tuples(st.just("raw"), st.binary(max_size=90).map(lambda b: b.decode("latin-1"))),
    st.tuples(
        st.just("raw"),
        st.builds(
            lambda s, v: f"{s}:{v}",
            st.text(URLSAFE, min_size=SELECTOR_LENGTH, max_size=SELECTOR_LENGTH),
            VERIFIERS,
        ),
    ),
    # The real selector with a wrong secret, or one edit away from the real cookie.
    st.one_of(
        st.tuples(st.just("verifier"), VERIFIERS),
        st.tuples(st.just("verifier"), st.text(max_size=60)),
        st.tuples(st.just("replace"), st.integers(0, 65), URLSAFE_CHAR),
        st.tuples(st.just("delete"), st.integers(0, 65)),
        # Any character a browser can send (UTF-8 has no surrogates).
        st.tuples(st.just("insert"), st.integers(0, 66), st.characters(codec="utf-8")),
        st.tuples(st.just("variant"), st.integers(0, len(VARIANTS) - 1)),
    ),
)


def cook(recipe: tuple[Any, ...], real: str) -> str:
    """Return the cookie value ``recipe`` makes from the real cookie ``real``."""
    kind, *args = recipe
    if kind == "raw":
        return str(args[0])
    if kind == "verifier":
        return f"{real.split(':')[0]}:{args[0]}"
    if kind == "replace":
        return real[: args[0]] + str(args[1]) + real[args[0] + 1 :]
    if kind == "delete":
        return real[: args[0]] + real[args[0] + 1 :]
    if kind == "insert":
        return real[: args[0]] + str(args[1]) + real[args[0] :]
    return str(VARIANTS[args[0]](real))


def _whoami(request: HttpRequest) -> HttpResponse:
    return HttpResponse(request.user.get_username() if request.user.is_authenticated else "")


def test_any_cookie_value_gives_no_5xx_and_no_sign_in(user, capsys):
    token, value = RememberToken.objects.issue(user, backend=BACKEND)
    real: dict[str, Any] = {"token": token, "cookie": value.encode()}
    seen = {"examples": 0, "known_selector": 0, "thefts": 0}
    factory = RequestFactory()
    stack = SessionMiddleware(AuthenticationMiddleware(RememberMeMiddleware(_whoami)))

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(recipe=RECIPES, channel=st.sampled_from(["header", "cookies"]))
    def check(recipe: tuple[Any, ...], channel: str) -> None:
        cookie = cook(recipe, real["cookie"])
        # What a browser (or anything else) can put on the wire is bytes,
        # which a WSGI server hands over decoded as latin-1.
        header = f"rememberme={cookie}".encode().decode("latin-1")
        seen_value = parse_cookie(header).get("rememberme") if channel == "header" else cookie
        assume(seen_value != real["cookie"])
        selector = real["cookie"].split(":")[0]
        seen["examples"] += 1
        parsed = parse_cookie_value(seen_value)
        verify.reset_mock()
        hash_.reset_mock()
        if channel == "header":
            response = Client().get("/whoami/", HTTP_COOKIE=header)
            assert response.status_code == 200, (cookie, response.status_code)
            assert response.json()["user"] is None, cookie
        else:
            # Whatever a server in front might hand Django.
            request = factory.get("/whoami/")
            request.COOKIES = {"rememberme": cookie}
            direct: Any = stack(request)
            assert direct.status_code == 200, cookie
            assert direct.content == b"", cookie
        # Nothing rotated.
        assert hash_.call_count == 0
        if parsed is None or parsed.selector != selector:
            # Junk and unknown selectors never cost an Argon2 computation.
            assert verify.call_count == 0, cookie
            return
        seen["known_selector"] += 1
        current = RememberToken.objects.get(pk=real["token"].pk)
        if current.revoked_at is not None:
            # A wrong verifier with the right selector is theft; start afresh.
            assert current.revoke_reason == RevokeReason.THEFT
            seen["thefts"] += 1
            new_token, new_value = RememberToken.objects.issue(user, backend=BACKEND)
            real["token"], real["cookie"] = new_token, new_value.encode()
        else:
            assert current.verifier_hash == real["token"].verifier_hash, cookie

    with counting_argon2() as (verify, hash_):
        check()
    assert seen["examples"] >= EXAMPLES
    assert seen["known_selector"] > 0
    assert seen["thefts"] > 0
    with capsys.disabled():
        print(
            f"\n[fuzz] {seen['examples']} cookie values, {seen['known_selector']} with the real "
            f"selector ({seen['thefts']} taken for theft), 0 sign-ins, 0 5xx",
            flush=True,
        )


# -- 2. Sequences of user actions ---------------------------------------------

DAY = datetime.timedelta(days=1)
IDLE = 14 * DAY
ABSOLUTE = 30 * DAY
USERS = ("alice", "bob")
STEPS = {"machines": 0, "steps": 0, "restores": 0, "thefts": 0, "revoked": 0}


class Model:
    """What the tests know about one token."""

    def __init__(self, owner: str, created: datetime.datetime, cookie: str) -> None:
        self.owner = owner
        self.created = created
        self.last_used = created
        self.revoked = False
        # The cookie values the token accepts; None once a request that
        # the tests cannot see into (a sign-in form, a sign-out) used it.
        self.current: str | None = cookie
        self.previous: str | None = None
        self.rotated_at: datetime.datetime | None = None
        # Whether something showed that the last rotation's response arrived.
        self.arrived = False

    def expired(self, now: datetime.datetime) -> bool:
        return now >= min(self.last_used + IDLE, self.created + ABSOLUTE)

    def in_grace(self, now: datetime.datetime) -> bool:
        return self.rotated_at is not None and now < self.rotated_at + grace()

    def accepts(self, cookie: str, now: datetime.datetime) -> bool | None:
        """
        Return whether ``cookie`` is the current value, or its predecessor in
        grace or while nothing showed the rotation's response arrived.
        """
        if self.current is None:
            return None
        replaced = cookie == self.previous and self.previous is not None
        return cookie == self.current or (replaced and (self.in_grace(now) or not self.arrived))

    def rotated(self, old: str, new: str, now: datetime.datetime) -> None:
        self.current, self.previous, self.rotated_at = new, old, now
        self.arrived = False


def grace() -> datetime.timedelta:
    """The grace window the site runs with."""
    return app_settings.ROTATION_GRACE


class UserActions(RuleBasedStateMachine):
    """Two users, three browsers (the third is where copied cookies go)."""

    def __init__(self) -> None:
        super().__init__()
        RememberToken.objects.all().delete()
        user_model = get_user_model()
        for name in USERS:
            user_model.objects.update_or_create(
                username=name, defaults={"password": make_password(PASSWORD), "is_active": True}
            )
        self.now = EPOCH
        self.frozen = freeze_time(self.now)
        self.clock = self.frozen.start()
        self.clients = {name: Client() for name in ("b1", "b2", "b3")}
        self.tokens: dict[str, Model] = {}  # by selector
        self.copied: set[str] = set()  # owners whose cookie was copied
        # Revocation reasons the current step may cause.
        self.may_revoke: set[str] = set()
        STEPS["machines"] += 1

    def teardown(self) -> None:
        self.frozen.stop()

    # Helpers ------------------------------------------------------------

    def cookie(self, name: str) -> str | None:
        morsel = self.clients[name].cookies.get("rememberme")
        return morsel.value if morsel is not None and morsel.value else None

    def selector(self, name: str) -> str | None:
        cookie = self.cookie(name)
        return cookie.split(":")[0] if cookie else None

    def has_session(self, name: str) -> bool:
        morsel = self.clients[name].cookies.get("sessionid")
        return bool(morsel is not None and morsel.value)

    def learn_new_token(self, name: str, owner: str) -> None:
        selector, cookie = self.selector(name), self.cookie(name)
        assert selector is not None
        assert cookie is not None
        assert selector not in self.tokens, "a selector was reused"
        self.tokens[selector] = Model(owner, self.now, cookie)

    def blur(self, name: str) -> None:
        """Forget what the browser's cookie is worth: a form post may restore and rotate."""
        selector = self.selector(name)
        if selector in self.tokens:
            self.tokens[selector].current = None

    def reconcile(self) -> None:
        """Check every revocation the database shows against its cause."""
        by_digest = {selector_digest(selector): m for selector, m in self.tokens.items()}
        for row in RememberToken.objects.select_related("user"):
            model = by_digest.get(bytes(row.selector_digest))
            assert model is not None, "a token nobody issued"
            assert model.owner == row.user.username
            if model.revoked:
                # Revoked stays revoked, and keeps nothing of its secret.
                assert row.revoked_at is not None
                assert not row.verifier_hash
                assert not row.previous_verifier_hash
            elif row.revoked_at is not None:
                reason = row.revoke_reason
                if reason == RevokeReason.EXPIRED:
                    assert model.expired(self.now)
                elif reason == RevokeReason.THEFT:
                    assert model.owner in self.copied, "theft detected for a cookie nobody copied"
                    STEPS["thefts"] += 1
                else:
                    assert reason in self.may_revoke, reason
                model.revoked = True
                STEPS["revoked"] += 1
            if not model.revoked:
                model.last_used = row.last_used_at
        self.may_revoke = set()

    def request(self, name: str, method: str, path: str, data: Any = None) -> Any:
        client = self.clients[name]
        response = client.post(path, data or {}) if method == "post" else client.get(path)
        assert response.status_code < 500, response.status_code
        return response

    # Rules ----------------------------------------------------------------

    @initialize(who=st.sampled_from(USERS))
    def two_remembered_browsers(self, who: str) -> None:
        self.sign_in("b1", "alice", remember=True)
        self.sign_in("b2", who, remember=True)

    @rule(name=st.sampled_from(["b1", "b2"]), who=st.sampled_from(USERS), remember=st.booleans())
    def sign_in(self, name: str, who: str, remember: bool) -> None:
        self.may_revoke = {RevokeReason.LOGOUT}
        data = {"username": who, "password": PASSWORD}
        if remember:
            data["remember_me"] = "on"
        self.blur(name)
        response = self.request(name, "post", "/accounts/login/", data)
        assert response.status_code == 302
        if remember:
            self.learn_new_token(name, who)
            assert self.tokens[self.selector(name)].owner == who  # type: ignore[index]
        else:
            assert self.cookie(name) is None
        self.reconcile()

    @rule(name=st.sampled_from(["b1", "b2", "b3"]))
    def close_browser(self, name: str) -> None:
        self.clients[name].cookies.pop("sessionid", None)

    @rule(name=st.sampled_from(["b1", "b2", "b3"]))
    def visit(self, name: str) -> None:
        had_session = self.has_session(name)
        before = self.cookie(name)
        selector = self.selector(name)
        model = self.tokens.get(selector) if selector else None
        was_revoked = model.revoked if model else None
        expired = model.expired(self.now) if model else None
        accepts = model.accepts(before, self.now) if model and before else None
        response = self.request(name, "get", "/whoami/")
        seen = response.json()
        # Revocations a visit may cause: revalidation finds nothing to
        # revoke, and a restore revokes only for expiry and theft.
        self.reconcile()
        after = self.cookie(name)
        if seen["restored"]:
            # Only the owner of a live token, by a cookie that was not
            # copied from elsewhere (or is the newest copy).
            assert model is not None
            assert seen["user"] == model.owner
            assert not was_revoked, "a revoked token signed someone in"
            assert not expired, "an expired token signed someone in"
            assert accepts is not False, "a replaced cookie signed someone in"
            STEPS["restores"] += 1
            if after != before and after is not None:
                assert before is not None
                model.rotated(before, after, self.now)
            elif before == model.current:
                # The rotation's cookie, in its window: it arrived.
                model.arrived = True
        elif seen["user"] is not None and model is not None and before is not None:
            if after != before and after is not None:
                # A lost response repaired by the grace session.
                model.rotated(before, after, self.now)
            elif before == model.current:
                # The browser goes on with the rotation's cookie and a session.
                model.arrived = True
        if seen["user"] is not None and not seen["restored"]:
            assert had_session, "signed in without a session or a restore"
        usable = not had_session and model is not None and not (was_revoked or expired)
        if usable and accepts is False:
            # A replaced cookie outside the grace window: theft, and every
            # remembered browser of the owner is signed out.
            assert model is not None
            assert seen["user"] is None
            assert after is None
            assert all(m.revoked for m in self.tokens.values() if m.owner == model.owner)
            assert RememberToken.objects.find(selector).revoke_reason == "theft"
        if usable and accepts:
            assert model is not None
            assert seen == {"user": model.owner, "restored": True}, (
                "a remembered browser was not restored"
            )

    @rule(name=st.sampled_from(["b1", "b2", "b3"]))
    def poll_status(self, name: str) -> None:
        """The page polls the status endpoint: passive, but it shows the jar."""
        before_token, before_session = self.cookie(name), self.has_session(name)
        selector = self.selector(name)
        model = self.tokens.get(selector) if selector else None
        response = self.request(name, "get", "/accounts/status/")
        assert response.status_code == 200
        assert "rememberme" not in response.cookies
        assert "sessionid" not in response.cookies
        assert (self.cookie(name), self.has_session(name)) == (before_token, before_session)
        status = response.json()
        if (
            model is not None
            and status["authenticated"]
            and status["remembered"]
            and before_token == model.current
        ):
            model.arrived = True
        self.reconcile()

    @rule(name=st.sampled_from(["b1", "b2", "b3"]))
    def restore_after_browser_close(self, name: str) -> None:
        self.close_browser(name)
        self.visit(name)

    @rule(name=st.sampled_from(["b1", "b2", "b3"]))
    def come_back_after_the_grace_window(self, name: str) -> None:
        self.time_passes(None)
        self.restore_after_browser_close(name)

    @rule(
        kind=st.sampled_from(["sign out", "everywhere", "revoke", "password"]),
        name=st.sampled_from(["b1", "b2"]),
        who=st.sampled_from(USERS),
    )
    def end_things(self, kind: str, name: str, who: str) -> None:
        """Sign out (here or everywhere), revoke a user's tokens, change a password."""
        if kind in ("sign out", "everywhere"):
            self.may_revoke = {RevokeReason.LOGOUT, RevokeReason.LOGOUT_ALL}
            data = {"everywhere": "1"} if kind == "everywhere" else {}
            self.blur(name)
            self.request(name, "post", "/accounts/logout/", data)
            assert self.cookie(name) is None
        elif kind == "revoke":
            self.may_revoke = {RevokeReason.USER}
            revoke_user_tokens(get_user_model().objects.get(username=who), reason="user")
        else:
            self.may_revoke = {RevokeReason.PASSWORD_CHANGE}
            account = get_user_model().objects.get(username=who)
            account.set_password(PASSWORD)  # a new hash (new salt) of the same password
            account.save()
        if kind in ("revoke", "password"):
            for model in self.tokens.values():
                if model.owner == who:
                    model.revoked = True
        self.reconcile()

    @rule(source=st.sampled_from(["b1", "b2"]))
    def copy_cookie(self, source: str) -> None:
        """Someone copies the browser's token cookie into browser b3."""
        cookie = self.cookie(source)
        selector = self.selector(source)
        if cookie is None or selector is None:
            return
        self.copied.add(self.tokens[selector].owner)
        self.clients["b3"].cookies["rememberme"] = cookie
        self.clients["b3"].cookies.pop("sessionid", None)

    @rule(
        source=st.sampled_from(["b1", "b2"]),
        thief_first=st.booleans(),
        goes_on=st.sampled_from(["visit", "poll_status", None]),
    )
    def stolen_cookie_used(self, source: str, thief_first: bool, goes_on: str | None) -> None:
        """
        A copy of the cookie is used, then the original (or the other way
        round); the first browser goes on (a page, a status ping) or not.
        """
        self.copy_cookie(source)
        first, second = ("b3", source) if thief_first else (source, "b3")
        self.restore_after_browser_close(first)
        if goes_on is not None:
            getattr(self, goes_on)(first)
        self.come_back_after_the_grace_window(second)

    @rule(
        delta=st.sampled_from(
            [
                datetime.timedelta(seconds=5),
                datetime.timedelta(seconds=20),
                None,  # just past the grace window
                datetime.timedelta(minutes=10),
                datetime.timedelta(hours=5),
                DAY,
                8 * DAY,
                IDLE + DAY,
            ]
        )
    )
    def time_passes(self, delta: datetime.timedelta | None) -> None:
        self.now += grace() + datetime.timedelta(seconds=1) if delta is None else delta
        self.clock.move_to(self.now)

    @invariant()
    def counted(self) -> None:
        STEPS["steps"] += 1


def test_user_actions_against_the_model(capsys):
    run_state_machine_as_test(
        UserActions,
        settings=settings(
            max_examples=MACHINES,
            stateful_step_count=40,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    assert STEPS["machines"] > 0
    with capsys.disabled():
        print(
            f"\n[fuzz] {STEPS['machines']} action sequences, {STEPS['steps']} checked states, "
            f"{STEPS['restores']} restores, {STEPS['revoked']} revocations explained, "
            f"{STEPS['thefts']} tokens revoked for copied cookies",
            flush=True,
        )
