"""
Restoring a session from a token: the request that has no signed-in
session but a token cookie.

:func:`restore` asks ``tokens.check_token()`` for a verdict and, when it
signs in, logs the user in with Django's own ``login()`` and gives the new
session what the token kept. A bad cookie is deleted and the request stays
anonymous.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth import SESSION_KEY, login
from django.contrib.sessions.backends import cache as cache_engine
from django.contrib.sessions.backends import db as db_engine
from django.contrib.sessions.backends import file as file_engine
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, SessionBase
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils.crypto import get_random_string

from . import csrf, dbsc, expiry, secondfactor, sessions, signals
from .models import RememberToken
from .policy import get_policy
from .state import RequestState
from .tokens import Outcome, Verdict, check_token

__all__ = ["key_chosen_at_save", "restore"]

logger = logging.getLogger("rememberme")


def restore(request: HttpRequest, state: RequestState) -> None:
    """Sign in the user of the request's token cookie, or delete the cookie."""
    if state.cookie is None:
        logger.debug("Malformed remember-me cookie ignored.")
        state.delete_cookie()
        if expiry.session_gone(request):
            expiry.send_expired(request)
        return
    try:
        # The rotation and the sign-in commit together (tokens.rotate); a
        # revocation or the theft rule commits whatever happens next.
        verdict = check_token(
            request, state.cookie, sign_in=functools.partial(_sign_in, request, state)
        )
        if verdict.signs_in:
            _announce(request, verdict)
        else:
            if verdict.outcome is not Outcome.UNBOUND:
                state.delete_cookie()
            if expiry.session_gone(request):
                expiry.send_expired(request)
    except DatabaseError:
        # The token is untouched, or fully rotated when the failure came
        # after the commit (its grace window then covers the cookie the
        # browser still holds): keep the cookie, make sure no half-made
        # session survives, carry on anonymous.
        logger.exception("Database error while restoring a remember-me session.")
        _abandon(request, state)


def _sign_in(request: HttpRequest, state: RequestState, verdict: Verdict) -> None:
    token = verdict.token
    assert token is not None
    expiry.send_expired(request, user=token.user, token=token)
    state.restored = True
    # Django's own login(): the session key is cycled (no fixation), the
    # CSRF token rotated (for every view: see csrf.py), user_logged_in
    # sent, and the session keeps the backend of the original password login.
    session = request.session
    with key_chosen_at_save(session):
        login(request, token.user, backend=token.backend)
    csrf.adopt_rotated_token(request)
    sessions.link(session, token.pk)
    sessions.apply_session_age(session, get_policy().session_age(token.user))
    sessions.restore_persistent_values(session, token.session_data)
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


@contextlib.contextmanager
def key_chosen_at_save(session: SessionBase) -> Iterator[None]:
    """
    Within the block, let ``login()`` leave a session that has no key yet
    without one, so that the engine chooses it when the response saves it.

    ``login()`` cycles the session key against fixation. For a session with
    a key (one the browser could have been given by someone else) that
    matters, and is left alone. A restore usually starts from no session at
    all (the browser closed, or the session expired and its engine dropped
    the key when loading it), and there ``cycle_key()`` only makes the
    engine write an empty session (a database row, a cache entry, a file)
    to reserve a key, which ``SessionMiddleware`` then overwrites with the
    real data: two writes where one does. Without it, the save at the
    response creates the session with a new random key, exactly as
    ``cycle_key()`` would have, in one write; no key the browser sent is
    ever kept. A ``user_logged_in`` receiver that needs the key saves the
    session first, as it must for any session without one (allauth's
    ``usersessions`` does).
    """
    if session.session_key is not None:
        yield
        return
    if isinstance(session, _CREATES_ATOMICALLY) and getattr(
        type(session), _KEY_GENERATOR
    ) is getattr(SessionBase, _KEY_GENERATOR):
        # Kept until the response saves the session, which is when the
        # key is chosen.
        setattr(session, _KEY_GENERATOR, _unchecked_key)
    # An instance attribute shadows the method for this call of login() only.
    session.cycle_key = _keep_unset  # type: ignore[method-assign]
    try:
        yield
    finally:
        del session.cycle_key


def _keep_unset() -> None:
    """Stand in for ``cycle_key()`` on a session that has no key yet."""


# Django's engines whose create() writes with save(must_create=True), which
# fails on a taken key (a unique primary key, cache.add(), O_EXCL) and makes
# create() draw again: their key generator's exists() query only predicts
# that failure, for keys of 165 random bits. Skipping it saves the restore a
# query; the engines' own collision handling stays whole. A subclass that
# draws its keys its own way keeps its own generator.
_CREATES_ATOMICALLY = (
    db_engine.SessionStore,
    cache_engine.SessionStore,
    file_engine.SessionStore,
)


# A private method of SessionBase since Django 1.x, which the type stubs
# leave out.
_KEY_GENERATOR = "_get_new_session_key"


def _unchecked_key() -> str:
    """Stand in for ``_get_new_session_key()``: a new key, without asking the store."""
    return get_random_string(32, VALID_KEY_CHARS)
