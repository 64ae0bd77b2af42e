"""
The rotation protocol, proved on a model and checked against the code.

1. ``tests/support/protocol_model.py`` is an executable model of the protocol (see
   its docstring). Every interleaving of its actions within the stated
   bound is explored, and the invariants hold on every transition; the
   same search with the repair rule as it was before finds the hole that
   rule left (a replay in the grace window became a lasting cookie).
2. A Hypothesis state machine drives the real middleware with the model's
   actions (Django test clients for the owner's tabs and the thief,
   freezegun for the clock, a lost response being a Set-Cookie not kept)
   and checks after every step that the implementation does what the
   model does: signed in or not, which cookies are set or deleted, whether
   theft is detected, and the token row's state.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import replace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from freezegun import freeze_time
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from rememberme import signals
from rememberme.internal.conf import app_settings
from rememberme.models import RememberToken
from tests.helpers import EPOCH, PASSWORD, login, token_cookie
from tests.support import protocol_model as model

pytestmark = pytest.mark.django_db

# The bound of the search, and the fewest states it must visit: a change
# that shrinks the space (an action that no longer applies) fails here.
BOUND = model.Config()
MIN_STATES = 100_000


def test_every_interleaving_keeps_the_invariants(capsys):
    result = model.explore(BOUND)
    with capsys.disabled():
        print(f"\n[protocol model] {model.describe(result, BOUND)}", flush=True)
    assert result.violations == {}
    assert result.states >= MIN_STATES
    assert result.transitions > result.states


def test_the_old_repair_rule_lets_a_replay_keep_a_cookie():
    # The repair as it was: any grace session, once the window is over.
    result = model.explore(replace(BOUND, max_time=4, repair_rule="old"))
    assert "lasting-cookie-for-thief" in result.violations
    assert "copy-not-detected" in result.violations
    assert "owner-taken-for-thief" not in result.violations


def test_a_browser_closed_before_its_repair_is_never_taken_for_a_thief():
    # Without the assumption that the browser stays open until an ordinary
    # request repaired it: the restore makes the repair.
    result = model.explore(replace(BOUND, close_anytime=True, max_time=4))
    assert result.violations == {}


def test_the_search_sees_the_owner_taken_for_a_thief_when_the_restore_never_repairs():
    # A check that can fail, and the limit the restore's repair lifts: a
    # browser that lost a restore's response and is closed before a repair
    # (its page only polling status, say) keeps only the replaced cookie,
    # which its next start presents as a thief would.
    result = model.explore(
        replace(BOUND, close_anytime=True, restore_repair=False, pings=False, max_time=4)
    )
    assert "owner-taken-for-thief" in result.violations


def test_status_pings_that_record_nothing_let_a_replay_keep_a_cookie():
    # The status endpoint as it was: the owner's page polls with the
    # rotation's cookie and session, and a copy of the replaced cookie is
    # repaired into a cookie of its own after the window.
    result = model.explore(replace(BOUND, ping_records=False, max_time=5))
    assert "lasting-cookie-for-thief" in result.violations
    assert "owner-taken-for-thief" not in result.violations


# -- The real implementation, driven with the model's actions -----------------


def tick_length() -> datetime.timedelta:
    """One tick of the model: the grace window the site runs with, in the model's ticks."""
    return app_settings.ROTATION_GRACE / BOUND.grace


# The machine's runs are bounded by their step count, not by the clock.
MACHINE = replace(BOUND, max_time=10**6)
COUNTS = {"machines": 0, "steps": 0, "requests": 0, "pings": 0, "thefts": 0, "repairs": 0}


class Protocol(RuleBasedStateMachine):
    """The owner's browser (tabs in flight, lost responses), a thief, the clock."""

    def __init__(self) -> None:
        super().__init__()
        RememberToken.objects.all().delete()
        Session.objects.all().delete()
        user, _created = get_user_model().objects.get_or_create(username="alice")
        user.set_password(PASSWORD)
        user.save()
        self.frozen = freeze_time(EPOCH)
        self.clock = self.frozen.start()
        self.thefts: list[dict[str, Any]] = []
        signals.theft_detected.connect(self._theft, weak=False, dispatch_uid="protocol-machine")
        browser = Client()
        assert login(browser).status_code == 302
        self.state = model.initial_state()
        # The real cookie of each verifier and session the model names.
        self.cookies: dict[int, str] = {0: str(token_cookie(browser))}
        self.sessions: dict[int, str] = {0: browser.cookies["sessionid"].value}
        COUNTS["machines"] += 1

    def _theft(self, **kwargs: Any) -> None:
        self.thefts.append(kwargs)

    def teardown(self) -> None:
        signals.theft_detected.disconnect(dispatch_uid="protocol-machine")
        self.frozen.stop()

    def serve(self, tok: int | None, sid: int | None, step: model.Step) -> None:
        """Send the request the model served; check the code answers the same."""
        browser = Client()
        if tok is not None:
            browser.cookies["rememberme"] = self.cookies[tok]
        if sid is not None:
            browser.cookies["sessionid"] = self.sessions[sid]
        thefts = len(self.thefts)
        response = browser.get("/whoami/")
        expected = step.response
        assert expected is not None
        assert response.status_code == 200
        assert (response.json()["user"] == "alice") is expected.signed_in, step.label

        token = response.cookies.get("rememberme")
        if expected.cookie == "new":
            assert token is not None, step.label
            assert token.value, step.label
            assert token.value not in self.cookies.values()
            assert expected.new_tok is not None
            self.cookies[expected.new_tok] = token.value
            if expected.session is None:
                COUNTS["repairs"] += 1
        elif expected.cookie == "delete":
            assert token is not None, step.label
            assert token.value == "", step.label
        else:
            assert token is None, step.label

        session = response.cookies.get("sessionid")
        if expected.session == "new":
            assert session is not None, step.label
            assert session.value, step.label
            assert session.value not in self.sessions.values()
            assert expected.sid is not None
            self.sessions[expected.sid] = session.value
        elif expected.session == "delete":
            assert session is not None, step.label
            assert session.value == "", step.label
        else:
            # Untouched, or the same session saved again.
            sent = self.sessions[sid] if sid is not None else None
            assert session is None or session.value == sent, step.label

        assert len(self.thefts) - thefts == int(expected.theft), step.label
        COUNTS["thefts"] += int(expected.theft)
        COUNTS["requests"] += 1
        self.agree(step.state)

    def agree(self, state: model.State) -> None:
        row = RememberToken.objects.get()
        assert (row.revoked_at is not None) is state.token.revoked
        if not state.token.revoked:
            assert row.rotated_at == EPOCH + tick_length() * state.token.rot
            assert row.rotation_arrived is state.token.arrived

    # Rules: the model's actions ------------------------------------------

    @precondition(lambda self: model.can_send(self.state, MACHINE))
    @rule()
    def owner_sends(self) -> None:
        self.state = model.send(self.state)

    @initialize(closed=st.booleans(), copied=st.booleans())
    def start(self, closed: bool, copied: bool) -> None:
        # Many runs start where the protocol starts, a browser coming back;
        # many with a thief already holding its cookie.
        if closed:
            self.state = model.close(self.state)
        if copied:
            self.state = model.copy(self.state)

    @precondition(lambda self: model.can_send(self.state, MACHINE))
    @rule(lost=st.booleans())
    def owner_browses(self, lost: bool) -> None:
        """A request sent and served at once (the model's send, then deliver)."""
        self.state = model.send(self.state)
        index = len(self.state.inflight) - 1
        request = self.state.inflight[index]
        step = model.deliver(self.state, index, lost, MACHINE)
        self.serve(request.tok, request.sid, step)
        self.state = step.state

    @precondition(lambda self: bool(self.state.inflight))
    @rule(data=st.data(), lost=st.booleans())
    def owner_request_served(self, data: st.DataObject, lost: bool) -> None:
        index = data.draw(st.integers(0, len(self.state.inflight) - 1), label="request")
        request = self.state.inflight[index]
        step = model.deliver(self.state, index, lost, MACHINE)
        self.serve(request.tok, request.sid, step)
        self.state = step.state

    @precondition(lambda self: model.can_ping(self.state, MACHINE))
    @rule()
    def owner_polls_status(self) -> None:
        """The owner's page polls the status endpoint: passive, but it shows the jar."""
        step = model.ping(self.state, MACHINE)
        browser = Client()
        if self.state.owner_tok is not None:
            browser.cookies["rememberme"] = self.cookies[self.state.owner_tok]
        assert self.state.owner_sid is not None
        browser.cookies["sessionid"] = self.sessions[self.state.owner_sid]
        thefts = len(self.thefts)
        response = browser.get("/accounts/status/")
        assert response.status_code == 200
        # Nothing set, nothing deleted, nothing rotated, nobody taken for a thief.
        assert "rememberme" not in response.cookies, step.label
        assert "sessionid" not in response.cookies, step.label
        assert len(self.thefts) == thefts
        COUNTS["pings"] += 1
        self.state = step.state
        self.agree(self.state)

    @precondition(lambda self: model.can_close(self.state, MACHINE))
    @rule()
    def owner_closes_the_browser(self) -> None:
        self.state = model.close(self.state)

    @precondition(lambda self: model.can_tick(self.state, MACHINE))
    @rule(ticks=st.integers(1, 4))
    def time_passes(self, ticks: int) -> None:
        """Up to ``ticks`` ticks, as far as the model's assumptions let the clock go."""
        for _ in range(ticks):
            if not model.can_tick(self.state, MACHINE):
                break
            self.state = model.tick(self.state)
        self.clock.move_to(EPOCH + tick_length() * self.state.t)

    @precondition(lambda self: model.can_copy(self.state, MACHINE))
    @rule()
    def thief_copies_the_cookie(self) -> None:
        self.state = model.copy(self.state)

    @precondition(lambda self: model.can_steal_use(self.state, True))
    @rule(with_session=st.booleans())
    def thief_request(self, with_session: bool) -> None:
        if not model.can_steal_use(self.state, with_session):
            with_session = True
        sid = self.state.thief_sid if with_session else None
        step = model.thief_request(self.state, with_session, MACHINE)
        self.serve(self.state.thief_tok, sid, step)
        self.state = step.state

    @invariant()
    def counted(self) -> None:
        COUNTS["steps"] += 1


def test_the_implementation_agrees_with_the_model(settings_, capsys):
    run_state_machine_as_test(
        Protocol,
        settings=settings(
            max_examples=int(os.environ.get("REMEMBERME_FUZZ_MACHINES", "60")),
            stateful_step_count=50,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    with capsys.disabled():
        print(
            f"\n[protocol machine] {COUNTS['machines']} runs, {COUNTS['steps']} steps, "
            f"{COUNTS['requests']} requests and {COUNTS['pings']} status pings checked, "
            f"{COUNTS['repairs']} repairs, "
            f"{COUNTS['thefts']} thefts detected",
            flush=True,
        )
    assert COUNTS["requests"] > 0


@pytest.fixture
def settings_(settings):
    # The grace window is the site's own (tests.support.settings), read through
    # tick_length(); every request re-checks its token, as in the model.
    settings.REMEMBERME_REVALIDATE_INTERVAL = 0
    return settings


def test_the_machine_replays_the_grace_window_replay(settings_):
    # Item by item, the scenario of the replay that became a lasting cookie:
    # the model and the code must agree that its end is theft.
    machine = Protocol()
    try:
        machine.start(closed=True, copied=True)
        machine.owner_browses(lost=False)  # restores, rotates
        machine.thief_request(with_session=False)  # in the window: a session
        machine.owner_browses(lost=False)  # the rotation's session used
        machine.time_passes(ticks=3)
        machine.thief_request(with_session=True)  # after the window
        assert machine.state.token.theft
        assert machine.thefts
    finally:
        machine.teardown()


def test_the_machine_replays_a_lost_response_repair(settings_):
    machine = Protocol()
    try:
        machine.start(closed=True, copied=False)
        machine.owner_browses(lost=True)  # restores, rotates, response lost
        machine.owner_browses(lost=False)  # retry in the window: a session
        machine.time_passes(ticks=3)
        machine.owner_browses(lost=False)  # repaired: a cookie of its own
        assert machine.state.owner_tok == machine.state.token.cur == 2
        machine.owner_closes_the_browser()
        machine.time_passes(ticks=4)
        machine.owner_browses(lost=False)  # restores with it
        assert not machine.state.token.theft
        assert not machine.thefts
    finally:
        machine.teardown()


def test_the_machine_replays_a_polling_owner_and_a_replayed_copy(settings_):
    machine = Protocol()
    try:
        machine.start(closed=True, copied=True)
        machine.owner_browses(lost=False)  # restores, rotates
        machine.owner_polls_status()  # the page only polls: the arrival
        assert machine.state.token.arrived
        machine.thief_request(with_session=False)  # in the window: a session
        machine.time_passes(ticks=3)
        machine.owner_polls_status()
        machine.thief_request(with_session=True)  # after the window: theft
        assert machine.state.token.theft
        assert machine.thefts
    finally:
        machine.teardown()


def test_the_machine_replays_a_lost_response_then_only_polling(settings_):
    machine = Protocol()
    try:
        machine.start(closed=True, copied=False)
        machine.owner_browses(lost=True)  # restores, rotates, response lost
        machine.owner_browses(lost=False)  # retry in the window: a session
        for _ in range(3):
            machine.time_passes(ticks=2)
            machine.owner_polls_status()
        machine.owner_closes_the_browser()
        machine.owner_browses(lost=False)  # the restore repairs
        assert machine.state.owner_tok == machine.state.token.cur
        assert not machine.state.token.theft
        assert not machine.thefts
    finally:
        machine.teardown()
