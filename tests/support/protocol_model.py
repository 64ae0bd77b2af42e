"""
An executable model of the token rotation protocol, and a search of it.

The model is the protocol as ``rememberme.internal.tokens`` and the middleware run
it, for one series (one remembered browser), reduced to what decides who
gets signed in and who gets a cookie:

* the server: the current and previous verifier of the token, when it was
  last rotated, whether that rotation's response is known to have arrived,
  whether it is revoked (and for theft), and the sessions it created, each
  with what it recorded (accepted in the grace window with the replaced
  verifier and the rotation that replaced it; created by a rotation, until
  its first use);
* the owner's browser: its cookie jar (a token cookie, a session cookie)
  and up to ``tabs`` requests in flight, each carrying the jar as it was
  when it left; a response is delivered, or lost, when its request is
  processed;
* the owner's page, which may poll the status endpoint at any moment with
  the jar as it is (served at once; it records a rotation's arrival and
  changes nothing else);
* a thief, who copies the owner's token cookie at any moment (``steals``
  times) and sends requests with it, with or without the session it got;
* the clock, in ticks; the grace window lasts ``grace`` ticks.

Assumptions (the ones the grace window rests on): every request is
processed at most ``latency`` ticks after it was sent (a round trip is short
next to the grace window: one tick of three), and its response is
delivered or lost at that moment; a browser that lost the response of a
restore gets the response of another request within that restore's grace
window (Chromium abandons requests at start-up, then loads the page), and
is not closed before the repair gave it a new cookie. The clock does not
tick past these, and the browser does not close. (``close_anytime=True``
drops the last one: the restore then makes the repair, and the search
finds no owner taken for a thief either.)

:func:`explore` visits every state reachable within ``max_time`` ticks
(breadth-first, each state once) and checks, on every transition:

* ``owner-taken-for-thief``: theft is detected only after the thief has
  sent a request carrying a copied cookie;
* ``copy-not-detected``: a request of the thief that decides on a copied
  verifier (a restore, or a due lost-response repair) is detected as theft
  if the owner has shown a newer cookie (presented it, or the session
  delivered with it) and the window of the rotation that replaced the copy
  is over, unless the token is already revoked;
* ``lasting-cookie-for-thief``: the thief never receives a new cookie for
  a copy whose replacement the owner has shown it holds; and once theft
  is detected, no request of the thief is signed in.

``repair_rule="old"`` is the repair as it was before the rule on arrival:
made for any grace session once the window is over. The search finds the
hole in it. ``ping_records=False`` is the status endpoint as it was, which
recorded nothing: a copy replayed while the owner's page only polls was
repaired into a cookie. ``restore_repair=False`` is the restore as it was,
taking any replaced verifier after the window for theft: a browser that
lost a restore's response and is closed before an ordinary request
repaired it (its page only polling status, say) was taken for a thief.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace
from typing import NamedTuple

__all__ = ["Config", "Response", "Result", "State", "explore", "initial_state", "serve"]


class Session(NamedTuple):
    alive: bool
    # (verifier accepted with, tick of the rotation that replaced it)
    grace: tuple[int, int] | None
    # tick of the rotation that created it, until its first use
    rotation: int | None
    # the verifier delivered with it (a rotation's session), else None
    born_with: int | None


class Token(NamedTuple):
    cur: int
    prev: int | None
    rot: int
    arrived: bool
    revoked: bool
    theft: bool


class Request(NamedTuple):
    tok: int | None
    sid: int | None
    sent: int


class State(NamedTuple):
    t: int
    token: Token
    # the tick each verifier was made at, by index
    made: tuple[int, ...]
    sessions: tuple[Session, ...]
    owner_tok: int | None
    owner_sid: int | None
    inflight: tuple[Request, ...]
    thief_tok: int | None
    thief_sid: int | None
    steals: int
    thief_acted: bool
    # the newest verifier the owner has shown the server it holds
    shown: int
    # the tick of a rotation whose response the owner lost, until the owner
    # gets a response again (within that rotation's window, by assumption)
    owed: int | None = None


class Response(NamedTuple):
    signed_in: bool
    # the token cookie: "new" (the verifier new_tok), "delete" or None (untouched)
    cookie: str | None
    new_tok: int | None
    # the session cookie: "new" (the session sid), "delete" or None (untouched)
    session: str | None
    sid: int | None
    theft: bool


@dataclass(frozen=True)
class Config:
    grace: int = 3
    # the most ticks between a request's sending and its processing
    latency: int = 1
    max_time: int = 6
    tabs: int = 2
    steals: int = 1
    repair_rule: str = "new"
    # a replaced verifier after the window, its rotation's arrival not
    # shown, is repaired at the restore too (False: theft, as it was)
    restore_repair: bool = True
    # the owner's page may poll the status endpoint
    pings: bool = True
    # a status ping records the arrival it shows (False: as it was)
    ping_records: bool = True
    # drop the assumption that the browser stays open until it is repaired
    close_anytime: bool = False


@dataclass
class Result:
    states: int = 0
    transitions: int = 0
    violations: dict[str, list[str]] = field(default_factory=dict)


def initial_state() -> State:
    """The owner has just signed in with "Remember me": verifier 0, session 0."""
    return State(
        t=0,
        token=Token(cur=0, prev=None, rot=0, arrived=False, revoked=False, theft=False),
        made=(0,),
        sessions=(Session(alive=True, grace=None, rotation=None, born_with=0),),
        owner_tok=0,
        owner_sid=0,
        inflight=(),
        thief_tok=None,
        thief_sid=None,
        steals=0,
        thief_acted=False,
        shown=0,
    )


def _in_grace(token: Token, t: int, grace: int) -> bool:
    return token.prev is not None and t < token.rot + grace


def _key(request: Request) -> tuple[int, int, int]:
    return (
        -1 if request.tok is None else request.tok,
        -1 if request.sid is None else request.sid,
        request.sent,
    )


def _new_session(
    sessions: list[Session],
    *,
    grace: tuple[int, int] | None = None,
    rotation: int | None = None,
    born_with: int | None = None,
) -> int:
    sessions.append(Session(True, grace, rotation, born_with))
    return len(sessions) - 1


def serve(
    state: State, tok: int | None, sid: int | None, config: Config
) -> tuple[State, Response]:
    """Process one request carrying ``tok`` and ``sid``: the server's side only."""
    t, grace = state.t, config.grace
    token = state.token
    made = list(state.made)
    sessions = list(state.sessions)

    def rotate(*, keep_prev: bool = False) -> int:
        nonlocal token
        new = len(made)
        made.append(t)
        prev = token.prev if keep_prev else token.cur
        token = token._replace(cur=new, prev=prev, rot=t, arrived=False)
        return new

    def theft() -> None:
        nonlocal token
        token = token._replace(revoked=True, theft=True)

    def done(response: Response) -> tuple[State, Response]:
        return (
            state._replace(token=token, made=tuple(made), sessions=tuple(sessions)),
            response,
        )

    def confirm(rotated: int) -> bool:
        # repair._confirm_arrival: True when it detects theft.
        nonlocal token
        if token.rot == rotated or token.revoked:
            if token.rot == rotated:
                token = token._replace(arrived=True)
            return False
        if tok is None:
            return False
        if tok == token.cur:
            # The browser holds the newest cookie: that rotation's arrived.
            token = token._replace(arrived=True)
            return False
        theft()
        return True

    # What the response does to the cookies when the request ends anonymous.
    drop_tok = "delete" if tok is not None else None
    drop_sid = "delete" if sid is not None else None
    anonymous = Response(False, drop_tok, None, drop_sid, None, False)
    caught = Response(False, drop_tok, None, drop_sid, None, True)

    if sid is not None and sid < len(sessions) and sessions[sid].alive:
        session = sessions[sid]
        if token.revoked:
            # The revalidation (every request, in this model) ends it.
            sessions[sid] = session._replace(alive=False)
            return done(anonymous)
        signed = Response(True, None, None, None, None, False)
        if session.rotation is not None:
            rotated = session.rotation
            session = session._replace(rotation=None)
            sessions[sid] = session
            if confirm(rotated):
                sessions[sid] = session._replace(alive=False)
                return done(caught)
        if session.grace is None:
            return done(signed)
        verifier, replaced_at = session.grace
        if tok != verifier:
            sessions[sid] = session._replace(grace=None)
            if tok is not None and confirm(replaced_at):
                sessions[sid] = sessions[sid]._replace(alive=False)
                return done(caught)
            return done(signed)
        if t < replaced_at + grace:
            return done(signed)
        # A due lost-response repair (repair._replace_lost_cookie).
        if config.repair_rule == "old":
            if _in_grace(token, t, grace):
                return done(signed)
            new = rotate()
        else:
            if _in_grace(token, t, grace) and tok == token.prev:
                # Rotated moments ago for this cookie: decided after that window.
                return done(signed)
            if tok != token.prev or token.arrived:
                theft()
                sessions[sid] = session._replace(alive=False, grace=None)
                return done(caught)
            # The repair replaces the lost cookie for whoever holds this one.
            new = rotate(keep_prev=True)
        sessions[sid] = session._replace(grace=(verifier, t))
        return done(Response(True, "new", new, None, None, False))

    # No live session: a restore with the token cookie, if any.
    if tok is None or token.revoked:
        return done(anonymous)
    if tok == token.cur:
        if _in_grace(token, t, grace):
            token = token._replace(arrived=True)
            new_sid = _new_session(sessions)
            return done(Response(True, None, None, "new", new_sid, False))
        new = rotate()
        new_sid = _new_session(sessions, rotation=t, born_with=new)
        return done(Response(True, "new", new, "new", new_sid, False))
    if tok == token.prev and _in_grace(token, t, grace):
        new_sid = _new_session(sessions, grace=(tok, token.rot))
        return done(Response(True, None, None, "new", new_sid, False))
    if tok == token.prev and config.restore_repair and not token.arrived:
        # After the window, nothing showing the rotation's response arrived:
        # a lost response, repaired at the restore (tokens.check_token).
        new = rotate(keep_prev=True)
        new_sid = _new_session(sessions, rotation=t, born_with=new)
        return done(Response(True, "new", new, "new", new_sid, False))
    theft()
    return done(caught)


def _apply(
    jar_tok: int | None, jar_sid: int | None, response: Response
) -> tuple[int | None, int | None]:
    """Return the cookie jar after ``response``."""
    if response.cookie == "new":
        jar_tok = response.new_tok
    elif response.cookie == "delete":
        jar_tok = None
    if response.session == "new":
        jar_sid = response.sid
    elif response.session == "delete":
        jar_sid = None
    return jar_tok, jar_sid


def _collect(state: State) -> State:
    """Forget sessions nobody can present any more, and number the rest canonically."""
    order: list[int] = []
    for sid in (state.owner_sid, *(request.sid for request in state.inflight), state.thief_sid):
        if sid is not None and sid not in order:
            order.append(sid)
    mapping = {old: new for new, old in enumerate(order)}

    def new(sid: int | None) -> int | None:
        return None if sid is None else mapping[sid]

    return state._replace(
        sessions=tuple(state.sessions[old] for old in order),
        owner_sid=new(state.owner_sid),
        inflight=tuple(
            sorted(
                (request._replace(sid=new(request.sid)) for request in state.inflight), key=_key
            )
        ),
        thief_sid=new(state.thief_sid),
    )


class Step(NamedTuple):
    label: str
    state: State
    # for the checks: who sent it, what it carried, what came back
    actor: str | None = None
    tok: int | None = None
    decides: bool = False
    response: Response | None = None


def _decides(state: State, tok: int | None, sid: int | None, grace: int) -> bool:
    """Return whether the request's token cookie is looked at (a restore or a due repair)."""
    if tok is None:
        return False
    if sid is None or sid >= len(state.sessions) or not state.sessions[sid].alive:
        return True
    marker = state.sessions[sid].grace
    return marker is not None and marker[0] == tok and state.t >= marker[1] + grace


def _may_wait(state: State, request: Request, grace: int, latency: int) -> bool:
    """Return whether ``request`` may still be in flight after the next tick."""
    later = state.t + 1
    if later - request.sent > latency:
        return False
    tok, sid = request.tok, request.sid
    live = sid is not None and sid < len(state.sessions) and state.sessions[sid].alive
    if tok is None or live or tok + 1 >= len(state.made) or state.token.revoked:
        return True
    # A replaced cookie without a session: the browser sent it before the
    # rotation's response arrived, or after losing it and before getting a
    # grace session. Either way it left within that rotation's window.
    return later < state.made[tok + 1] + grace


def _holds_replaced(state: State) -> bool:
    # Closing the browser drops its grace session, and with it the repair:
    # see the assumptions above.
    tok = state.owner_tok
    return tok is not None and tok != state.token.cur and not state.token.revoked


# The actions, one function each (the state machine in
# tests/test_protocol_model.py drives the real implementation with them).


def can_send(state: State, config: Config) -> bool:
    return len(state.inflight) < config.tabs


def send(state: State) -> State:
    """The owner's browser sends a request with its cookies as they are now."""
    request = Request(state.owner_tok, state.owner_sid, state.t)
    return state._replace(inflight=(*state.inflight, request))


def deliver(state: State, index: int, lost: bool, config: Config) -> Step:
    """The server processes in-flight request ``index``; its response arrives or is lost."""
    request = state.inflight[index]
    rest = state.inflight[:index] + state.inflight[index + 1 :]
    born = (
        state.sessions[request.sid].born_with
        if request.sid is not None and request.sid < len(state.sessions)
        else None
    )
    shown = max(
        state.shown,
        -1 if request.tok is None else request.tok,
        -1 if born is None else born,
    )
    decides = _decides(state, request.tok, request.sid, config.grace)
    served, response = serve(state._replace(inflight=rest), request.tok, request.sid, config)
    served = served._replace(shown=shown)
    if lost:
        after = served
        if response.session == "new" and response.cookie == "new" and state.owed is None:
            after = after._replace(owed=state.t)
    else:
        jar_tok, jar_sid = _apply(state.owner_tok, state.owner_sid, response)
        after = served._replace(owner_tok=jar_tok, owner_sid=jar_sid, owed=None)
    label = f"owner's request {tuple(request)} {'lost' if lost else 'delivered'}"
    return Step(label, after, "owner", request.tok, decides, response)


def can_ping(state: State, config: Config) -> bool:
    return config.pings and state.owner_sid is not None


def ping(state: State, config: Config) -> Step:
    """
    The owner's page polls the status endpoint with its cookies as they are
    now, served and answered at once: it records a rotation's arrival
    (repair.note_arrival) and changes nothing else, no session, no cookie.
    """
    tok, sid = state.owner_tok, state.owner_sid
    token = state.token
    assert sid is not None
    session = state.sessions[sid] if sid < len(state.sessions) else None
    born = session.born_with if session is not None else None
    shown = max(state.shown, -1 if tok is None else tok, -1 if born is None else born)
    live = session is not None and session.alive and not token.revoked
    if config.ping_records and live and session is not None and not token.arrived:
        marker = session.grace
        if marker is not None and marker[1] == token.rot:
            shows = tok is not None and tok != marker[0]
        else:
            shows = session.rotation == token.rot or tok == token.cur
        if shows:
            token = token._replace(arrived=True)
    after = state._replace(token=token, shown=shown)
    return Step("owner's page polls status", after, "owner", tok, False, None)


def can_close(state: State, config: Config) -> bool:
    return (
        not state.inflight
        and state.owner_sid is not None
        and (config.close_anytime or not _holds_replaced(state))
    )


def close(state: State) -> State:
    """The owner closes the browser: its session cookie goes."""
    return state._replace(owner_sid=None)


def can_tick(state: State, config: Config) -> bool:
    t = state.t
    return (
        t < config.max_time
        and all(_may_wait(state, r, config.grace, config.latency) for r in state.inflight)
        and (state.owed is None or t + 1 < state.owed + config.grace)
    )


def tick(state: State) -> State:
    return state._replace(t=state.t + 1)


def can_copy(state: State, config: Config) -> bool:
    return state.steals < config.steals and state.owner_tok is not None


def copy(state: State) -> State:
    """The thief copies the token cookie the owner's browser holds now."""
    return state._replace(thief_tok=state.owner_tok, steals=state.steals + 1)


def can_steal_use(state: State, with_session: bool) -> bool:
    return state.thief_tok is not None and (with_session or state.thief_sid is not None)


def thief_request(state: State, with_session: bool, config: Config) -> Step:
    """The thief sends its copy, with the session it got (if any) or without."""
    sid = state.thief_sid if with_session else None
    decides = _decides(state, state.thief_tok, sid, config.grace)
    served, response = serve(state, state.thief_tok, sid, config)
    jar_tok, jar_sid = _apply(state.thief_tok, state.thief_sid, response)
    after = served._replace(thief_tok=jar_tok, thief_sid=jar_sid, thief_acted=True)
    label = "thief's request" + ("" if with_session else " without its session")
    return Step(label, after, "thief", state.thief_tok, decides, response)


def successors(state: State, config: Config) -> list[Step]:
    steps: list[Step] = []
    if can_send(state, config):
        steps.append(Step("owner sends", send(state)))
    for index, request in enumerate(state.inflight):
        if request in state.inflight[:index]:
            continue
        for lost in (False, True):
            steps.append(deliver(state, index, lost, config))
    if can_ping(state, config):
        steps.append(ping(state, config))
    if can_close(state, config):
        steps.append(Step("owner closes the browser", close(state)))
    if can_tick(state, config):
        steps.append(Step("tick", tick(state)))
    if can_copy(state, config):
        steps.append(Step("thief copies the cookie", copy(state)))
    for with_session in (True, False):
        if can_steal_use(state, with_session):
            steps.append(thief_request(state, with_session, config))
    return [step._replace(state=_collect(step.state)) for step in steps]


def check(before: State, step: Step, config: Config) -> list[str]:
    """Return the invariants ``step`` breaks."""
    broken = []
    after = step.state
    if after.token.theft and not before.token.theft and not after.thief_acted:
        broken.append("owner-taken-for-thief")
    if step.actor == "thief" and step.response is not None and step.tok is not None:
        v = step.tok
        replaced = v + 1 < len(before.made)
        window_over = replaced and before.t >= before.made[v + 1] + config.grace
        shown_newer = before.shown > v
        # Within the window of a newer rotation made for holders of this
        # copy (a lost-response repair), the copy is accepted like a
        # parallel request: a session at most, no cookie; its next use
        # after that window is checked again.
        postponed = step.response.cookie is None and _in_grace(
            before.token, before.t, config.grace
        )
        if (
            step.decides
            and shown_newer
            and window_over
            and not before.token.revoked
            and not after.token.theft
            and not postponed
        ):
            broken.append("copy-not-detected")
        if step.response.cookie == "new" and shown_newer:
            broken.append("lasting-cookie-for-thief")
        if before.token.theft and step.response.signed_in:
            broken.append("lasting-cookie-for-thief")
    return broken


def explore(config: Config | None = None, *, keep: int = 1) -> Result:
    """
    Visit every state reachable from :func:`initial_state` within the
    bounds of ``config``; record up to ``keep`` traces per broken invariant.
    """
    config = config or Config()
    start = initial_state()
    parents: dict[State, tuple[State, str] | None] = {start: None}
    queue = deque([start])
    result = Result()
    while queue:
        state = queue.popleft()
        for step in successors(state, config):
            result.transitions += 1
            for name in check(state, step, config):
                traces = result.violations.setdefault(name, [])
                if len(traces) < keep:
                    traces.append(_trace(parents, state, step.label))
            if step.state not in parents:
                parents[step.state] = (state, step.label)
                queue.append(step.state)
    result.states = len(parents)
    return result


def _trace(parents: dict[State, tuple[State, str] | None], state: State, last: str) -> str:
    labels = [last]
    link = parents[state]
    while link is not None:
        state, label = link
        labels.append(f"{label} (t={state.t})")
        link = parents[state]
    return " -> ".join(reversed(labels))


def describe(result: Result, config: Config) -> str:
    return (
        f"{result.states} states, {result.transitions} transitions "
        f"(grace {config.grace} ticks, latency {config.latency}, {config.max_time} ticks, "
        f"{config.tabs} tabs in flight, "
        f"{config.steals} copy)"
    )


def _main() -> None:  # pragma: no cover
    for rule in ("new", "old"):
        config = replace(Config(), repair_rule=rule)
        result = explore(config)
        print(rule, describe(result, config))
        for name, traces in result.violations.items():
            print(" ", name, ":", traces[0])


if __name__ == "__main__":  # pragma: no cover
    _main()
