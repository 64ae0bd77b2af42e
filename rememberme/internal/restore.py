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
import datetime
import functools
import logging
from collections.abc import Callable, Iterator

from django.conf import settings
from django.contrib.auth import SESSION_KEY, login
from django.contrib.sessions.backends import cache as cache_engine
from django.contrib.sessions.backends import db as db_engine
from django.contrib.sessions.backends import file as file_engine
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, SessionBase
from django.core.cache import caches
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import get_random_string

from .. import signals
from ..models import RememberToken
from ..policy import get_policy
from . import csrf, dbsc, expiry, notices, secondfactor, session_keys, sessions
from .state import RequestState
from .tokens import Outcome, Verdict, check_token

__all__ = ["draw_session_key", "key_chosen_at_save", "restore", "store_answers"]

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
        # The rotation and the sign-in commit together (tokens.rotate); a
        # revocation or the theft rule commits whatever happens next.
        # Recorded by the rotation; a session accepted in the grace window
        # is not recorded, and ends at its next revalidation.
        state.session_key = draw_session_key(request.session)
        verdict = check_token(
            request,
            state.cookie,
            sign_in=functools.partial(_sign_in, request, state),
            session_key=state.session_key,
        )
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
    # An instance attribute shadows the method for this call of login() only.
    session.cycle_key = _keep_unset  # type: ignore[method-assign]
    try:
        yield
    finally:
        del session.cycle_key


def draw_session_key(session: SessionBase) -> str | None:
    """
    Choose now the key that ``session``'s engine will give the session the
    restore signs in, and return it; ``None`` where it cannot be told.

    The rotation records that key with the token in the same UPDATE (no
    write of its own), so that revoking the token ends this session. The
    session takes the key when ``login()`` cycles it or, with
    :func:`key_chosen_at_save`, when the response saves it.
    """
    default = getattr(SessionBase, _KEY_GENERATOR)
    if not session_keys.server_side(session) or getattr(type(session), _KEY_GENERATOR) is not (
        default
    ):
        # Signed cookies have no key to delete; an engine that draws its own
        # keys keeps its generator. Their sessions end at their next
        # revalidation instead.
        return None
    if isinstance(session, _CREATES_ATOMICALLY):
        fallback: Callable[[], str] = _unchecked_key
    else:
        # Another engine on SessionBase's generator (django-user-sessions):
        # the same checked draw it would make at save time, made now.
        fallback = functools.partial(default, session)
    drawn = [fallback()]

    def generator() -> str:
        # The drawn key first; a fresh one should create() ever draw again
        # (a taken key, which 165 random bits make a formality).
        return drawn.pop() if drawn else fallback()

    # Kept until the response saves the session, which is when the key is
    # taken.
    setattr(session, _KEY_GENERATOR, generator)
    return drawn[0]


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
