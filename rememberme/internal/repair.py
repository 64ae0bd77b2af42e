"""
A rotation's arrival and the lost-response repair.

A session created by a rotation, or accepted in the grace window with the
verifier a rotation replaced, carries marks (``sessions.mark_rotation``,
``sessions.mark_grace``). :func:`settle` acts on them on a later request of
that session: it records that the rotation's response arrived, or gives the
browser whose response was lost a cookie of its own, or takes the replaced
cookie for theft once the response is shown to have arrived.
"""

from __future__ import annotations

import datetime
import logging

from django.contrib.sessions.backends.base import SessionBase
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone

from ..models import RememberToken
from . import expiry, session_keys, sessions, theft, tokens
from .cookie import CookieValue
from .crypto import selector_digest
from .lifetime import grace_open
from .state import RequestState
from .tokens import Outcome, Verdict

__all__ = ["note_arrival", "settle", "settle_rotation"]

logger = logging.getLogger("rememberme")


def settle(request: HttpRequest, state: RequestState) -> None:
    """Act on the rotation marks of the signed-in session: see :func:`settle_rotation`."""
    session = request.session
    marks = sessions.rotation_marks(session)
    try:
        verdict = settle_rotation(request, session, state.cookie)
    except DatabaseError:
        logger.exception("Database error while settling a remember-me rotation.")
        # Settled again at the next request: a mark lost with the error
        # would lose the proof that a rotation's response arrived, and with
        # it the refusal of a repair for a copy of the replaced cookie.
        sessions.put_back_rotation_marks(session, marks)
        return
    if verdict is None or verdict.token is None:
        return
    if verdict.new_value is not None:
        state.set_cookie(verdict.new_value, verdict.token.expires_at)
    elif verdict.outcome is Outcome.THEFT:
        expiry.end_revoked(request, state, verdict.token)


def _confirm_arrival(
    request: HttpRequest, token_id: int, rotated_at: datetime.datetime, cookie: CookieValue | None
) -> Verdict | None:
    """
    Record that a rotation's response arrived, as this browser shows;
    return a theft verdict if someone else rotated the token since and the
    browser's ``cookie`` is not the newest one.

    Only a repair of that rotation (made for a browser whose response was
    lost) or a restore with its cookie can have rotated the token since;
    neither is this browser, which holds the rotation's response, unless it
    presents the newest cookie itself (a session cookie sent again by an
    older parallel response). Costs one UPDATE; a read and a verification
    only when the token was rotated since.
    """
    if RememberToken.objects.record_arrival(token_id, rotated_at) or cookie is None:
        return None
    # By the cookie's selector digest too: a cookie of another series
    # (None here) says nothing about this one.
    token = (
        RememberToken.objects.for_write()
        .select_related("user")
        .filter(pk=token_id)
        .find(cookie.selector)
    )
    if token is None or token.revoked_at is not None:
        return None
    if tokens.presents_current(token, cookie):
        # The browser holds the newest cookie: that rotation's arrived.
        RememberToken.objects.record_arrival(token.pk, token.rotated_at)
        return None
    theft.report_theft(request, token)
    return Verdict(Outcome.THEFT, token)


def note_arrival(session: SessionBase, cookie: CookieValue | None, token: RememberToken) -> None:
    """
    Record what a passive request (the status endpoint) shows of the
    arrival of ``token``'s last rotation, and nothing else.

    A page left open only polls status: its pings carry the rotation's
    cookie and session as any request would, and must count, or a copy of
    the replaced cookie could be repaired into a cookie of its own while
    the owner is there. Recording the arrival is one conditional UPDATE of
    the token, once per rotation: the session is left unsaved (its marks
    stay for the next ordinary request, which finds the arrival recorded),
    nothing is extended, restored or rotated, and nothing is taken for
    theft here. Costs nothing once the arrival is recorded; until then, an
    Argon2 verification when the marks alone do not tell.
    """
    if token.rotation_arrived or token.revoked_at is not None:
        return
    if sessions.rotation_mark(session) == token.rotated_at:
        # The session the rotation created, used again.
        RememberToken.objects.record_arrival(token.pk, token.rotated_at)
        return
    if cookie is None or selector_digest(cookie.selector) != bytes(token.selector_digest):
        return
    marker = sessions.grace_marker(session)
    if marker is not None and marker[1] == token.rotated_at:
        # A grace session whose browser now shows another cookie of this
        # series than the one it was accepted with: the rotation's.
        if not sessions.grace_cookie_matches(marker[0], cookie.verifier):
            RememberToken.objects.record_arrival(token.pk, token.rotated_at)
        return
    if token.selector is None:
        token.selector = cookie.selector
    if tokens.presents_current(token, cookie):
        # The browser holds the newest cookie (a repair's, say, delivered
        # to another tab): that rotation's response arrived.
        RememberToken.objects.record_arrival(token.pk, token.rotated_at)


def settle_rotation(
    request: HttpRequest, session: SessionBase, cookie: CookieValue | None
) -> Verdict | None:
    """
    Act on what a signed-in session recorded of a rotation; return the
    verdict if the token was looked at, else ``None``.

    A session created by a rotation records, on its first use after the
    restore, that the rotation's response arrived. A session accepted in
    the grace window with the replaced cookie waits for the window to end;
    if its browser then still presents that cookie, the rotation's response
    never reached it (Chromium abandons requests at start-up), and after
    this session ends that cookie would be taken for theft: the token is
    rotated again for it, with no Argon2 verification (the session proved
    the cookie once). That repair is what a copy of the cookie used in the
    window would also ask for, so it is made only while nothing shows that
    the rotation's response arrived: neither the rotated cookie presented
    nor the session created with it used again. Once something has, the
    replaced cookie after the window is theft, wherever it comes from.
    """
    token_id = sessions.linked_token_id(session)
    rotated_at = sessions.rotation_mark(session, pop=True)
    marker = sessions.grace_marker(session)
    if token_id is None:
        sessions.clear_grace(session)
        return None
    if rotated_at is not None:
        verdict = _confirm_arrival(request, token_id, rotated_at, cookie)
        if verdict is not None:
            return verdict
    if marker is None:
        sessions.clear_grace(session)
        return None
    digest, replaced_at = marker
    if cookie is None or not sessions.grace_cookie_matches(digest, cookie.verifier):
        # The browser shows another cookie than the one it was accepted
        # with: the response that replaced it arrived.
        sessions.clear_grace(session)
        if cookie is None:
            return None
        return _confirm_arrival(request, token_id, replaced_at, cookie)
    now = timezone.now()
    if grace_open(replaced_at, now):
        return None
    verdict = _replace_lost_cookie(request, token_id, cookie, now)
    if verdict.outcome is Outcome.ROTATED:
        # Kept until the browser shows the new cookie: if this response is
        # lost too, the repair is made again after this rotation's window.
        assert verdict.token is not None
        sessions.mark_grace(session, cookie.verifier, verdict.token.rotated_at)
    elif verdict.outcome is not Outcome.GRACE:
        sessions.clear_grace(session)
    return verdict


def _replace_lost_cookie(
    request: HttpRequest, token_id: int, cookie: CookieValue, now: datetime.datetime
) -> Verdict:
    token = (
        RememberToken.objects.for_write()
        .select_related("user")
        .filter(pk=token_id, revoked_at__isnull=True)
        .find(cookie.selector)
    )
    if token is None or tokens.unusable_reason(token, now, request) is not None:
        return Verdict(Outcome.INVALID, token)
    # Still the verifier the last rotation replaced: that rotation, or an
    # earlier repair, was made for the holders of this cookie.
    replaced = tokens.presents_replaced(token, cookie)
    if replaced and token.in_grace(now):
        # Repaired moments ago by a parallel request of this session (its
        # response carries the new cookie): decide after that window.
        return Verdict(Outcome.GRACE, token)
    if not replaced or token.rotation_arrived:
        # Rotated since by someone holding a newer cookie, or the rotation
        # shown to have reached its browser: not the browser it answered.
        theft.report_theft(request, token)
        return Verdict(Outcome.THEFT, token)
    # The repaired browser's session is the one the token's revocation ends.
    return tokens.rotate(
        request, token, now, repair=True, session_key=session_keys.live_key(request.session)
    )
