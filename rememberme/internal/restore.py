"""
Restoring a session from a token: the request that has no signed-in
session but a token cookie.

:func:`restore` reads top to bottom: it asks ``tokens.check_token()`` for a
verdict, carries out a rotation the verdict asks for in one transaction
with the sign-in (Django's own ``login()``, then what the token kept), and
signs in a verdict that needs no rotation outside any transaction. A bad
cookie is deleted and the request stays anonymous.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.contrib.auth import SESSION_KEY, login
from django.contrib.sessions.backends import cache as cache_engine
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import caches
from django.db import DatabaseError, transaction
from django.http import HttpRequest
from django.utils import timezone

from .. import signals
from ..models import RememberToken
from ..policy import get_policy
from . import csrf, dbsc, expiry, notices, persistent, secondfactor, session_keys, sessions
from .managers import lock_user
from .state import RequestState
from .tokens import Outcome, Rotation, Verdict, check_token

__all__ = ["restore", "store_answers"]

logger = logging.getLogger("rememberme")


def restore(request: HttpRequest, state: RequestState) -> None:
    """Sign in the user of the request's token cookie, or delete the cookie."""
    if state.cookie is None:
        logger.debug("Malformed remember-me cookie ignored.")
        state.delete_cookie()
        if expiry.session_gone(request):
            expiry.send_expired(request)
        return
    if not store_answers(request.session):
        # Django's cache engine reads a store that fails as "no session":
        # the browser may well be signed in. Rotating now would commit a
        # cookie the failing save then never delivers; keep the cookie and
        # the token as they are, and let this request go on anonymous.
        logger.warning(
            "The session store is unreachable: remember-me restore postponed, "
            "the browser keeps its cookie."
        )
        return
    arrived = timezone.now()
    try:
        # Recorded by the rotation; a session accepted in the grace window
        # is not recorded, and ends at its next revalidation.
        state.session_key = session_keys.draw_session_key(request.session)
        verdict = check_token(request, state.cookie)
        if verdict.rotates:
            verdict = _rotate_and_sign_in(request, state, verdict)
        elif verdict.signs_in:
            # Nothing to commit with it: no transaction.
            _sign_in(request, state, verdict)
        if verdict.signs_in:
            _announce(request, verdict)
        else:
            if verdict.outcome is not Outcome.UNBOUND:
                state.delete_cookie()
                if verdict.token is not None:
                    # The sign-in page tells the browser why it was forgotten.
                    notices.note_refused(request, verdict.token)
            if expiry.session_gone(request):
                _report_end(request, verdict.token, arrived)
    except DatabaseError:
        # The token is untouched, or fully rotated when the failure came
        # after the commit (its grace window then covers the cookie the
        # browser still holds): keep the cookie, make sure no half-made
        # session survives, carry on anonymous.
        logger.exception("Database error while restoring a remember-me session.")
        _abandon(request, state)


def _rotate_and_sign_in(request: HttpRequest, state: RequestState, verdict: Verdict) -> Verdict:
    """
    Rotate the verdict's token and sign in, in one transaction; return the
    verdict that came of it.

    Inside the transaction: the rotation's compare-and-swap and the sign-in
    (``login()`` writes ``last_login``, its ``user_logged_in`` receivers
    write what they write), so that they commit together, in one durable
    commit, or not at all: a sign-in that fails leaves the token as it was.
    The user's row is locked first (``managers.lock_user``), in the order
    every writer of a user and their tokens takes. Outside it: the hashing
    (done by ``Rotation()`` before anything is locked) and, when another
    request rotated first, the decision on what this cookie is now worth,
    and a grace sign-in.
    """
    token = verdict.token
    assert token is not None
    rotation = Rotation(
        request,
        token,
        timezone.now(),
        repair=verdict.outcome is Outcome.REPAIR,
        session_key=state.session_key,
    )
    with transaction.atomic(using=rotation.db):
        lock_user(token.user, rotation.db)
        rotated = rotation.apply()
        if rotated is not None:
            _sign_in(request, state, rotated)
            return rotated
    verdict = rotation.lost_race()
    if verdict.signs_in:
        _sign_in(request, state, verdict)
    return verdict


def store_answers(session: SessionBase) -> bool:
    """
    Return whether ``session``'s store can be read, asked only before a
    restore (one cache round trip; nothing for engines that report their
    failures).

    Django's cache engine turns any error of its cache into an empty
    session (``SessionStore.load()`` catches ``Exception``), so a Redis
    outage looks like a browser whose session is gone; this asks the cache
    itself, which raises. ``cached_db`` falls back to the database, and
    the database engines raise ``DatabaseError``: both are left alone.
    """
    if not isinstance(session, cache_engine.SessionStore):
        return True
    try:
        # The cache the engine reads (cache.SessionStore.__init__).
        caches[settings.SESSION_CACHE_ALIAS].get(session.cache_key_prefix + "rememberme-probe")
    # Cache backends raise anything from ConnectionError to their client's
    # own errors; any of them means the store cannot be read.
    except Exception:
        return False
    return True


def _sign_in(request: HttpRequest, state: RequestState, verdict: Verdict) -> None:
    token = verdict.token
    assert token is not None
    expiry.send_expired(request, user=token.user, token=token)
    state.restored = True
    # Django's own login(): the session key is cycled (no fixation), the
    # CSRF token rotated (for every view: see csrf.py), user_logged_in
    # sent, and the session keeps the backend of the original password login.
    session = request.session
    with session_keys.key_chosen_at_save(session):
        login(request, token.user, backend=token.backend)
    csrf.adopt_rotated_token(request)
    sessions.link(session, token.pk)
    sessions.apply_session_age(session, get_policy().session_age(token.user))
    persistent.restore(session, token.session_data)
    secondfactor.restore_device(request, token)
    if token.device_key:
        dbsc.mark_session(request, token.pk)
    else:
        dbsc.offer_registration(request, token)
    if verdict.new_value is not None:
        state.set_cookie(verdict.new_value, token.expires_at)
        sessions.mark_rotation(session, token.rotated_at)
    elif verdict.replaced and state.cookie is not None:
        sessions.mark_grace(session, state.cookie.verifier, token.rotated_at)


def _report_end(
    request: HttpRequest, token: RememberToken | None, arrived: datetime.datetime
) -> None:
    """
    Send ``session_ended`` for the session the request's cookie named, which
    is gone: ``revoked`` if it is the one that revoking ``token`` before this
    request deleted (``managers.end_revoked_sessions``), so that its browser
    learns now why it is signed out, as at a revalidation; else ``expired``.
    A token found unusable on this very request, or a session the store
    still holds (expired, not deleted), is an expiry.
    """
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if (
        token is not None
        and token.revoked_at is not None
        and token.revoked_at < arrived
        and key is not None
        and key == session_keys.unseal(token.session_key_sealed, token.user_id)
        and not expiry.ended_session_data(request)
    ):
        signals.session_ended.send(
            sender=RememberToken, request=request, user=token.user, token=token, reason="revoked"
        )
    else:
        expiry.send_expired(request)


def _announce(request: HttpRequest, verdict: Verdict) -> None:
    # Once the restore's writes have committed: a receiver never hears of
    # a restore that was rolled back.
    token = verdict.token
    assert token is not None
    signals.session_restored.send(
        sender=RememberToken,
        request=request,
        user=token.user,
        token=token,
        rotated=verdict.new_value is not None,
    )


def _abandon(request: HttpRequest, state: RequestState) -> None:
    state.restored = False
    state.new_value = None
    state.delete = False
    session = request.session
    # login() may have failed inside cycle_key(), after the session took a
    # new key whose row was never written: saving it at the response would
    # then fail too (SessionInterrupted, a 400). Start afresh.
    sent_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if SESSION_KEY in session or session.session_key != sent_key:
        session.flush()
    expiry.leave_anonymous(request)
