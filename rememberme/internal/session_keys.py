"""
The session a token made, kept with the token so that a revocation ends it.

A restore chooses the new session's key before the rotation
(:func:`draw_session_key`), so that the rotation's own UPDATE records it,
and lets the engine create the session with that key at the response
(:func:`key_chosen_at_save`).

A revoked token must end the live session it created or restored at once,
not at the session's next revalidation. Server-side session engines (the
database, the cache, ``cached_db``, files and apps built on them) can end a
session by deleting it, given its key; the token row records that key, and
``RememberTokenQuerySet.revoke()`` deletes the sessions of the tokens it
revoked once the revocation has committed (:func:`end_sessions`). A
signed-cookie session has no server-side state to delete: it ends at its
next revalidation, within ``REMEMBERME_REVALIDATE_INTERVAL``, and the pages
say so (:func:`revocation_wait`).

The key is kept sealed. With the cache engine, a session key alone *is* a
usable session cookie, and with the database engines a key from a copy of
the database signs in for as long as the live session lasts: a copy of the
token table must not hold one. So the key is XORed with a keystream that
only the site's ``SECRET_KEY`` can derive (an HMAC of a random nonce stored
beside it, bound to the user), like Django's own ``salted_hmac`` uses.
Without the secret the stored bytes are indistinguishable from random; with
it, they give back a key that only deletes a session, never signs anyone in
by themselves (deleting is all this module does with it).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import secrets
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import cache as cache_engine
from django.contrib.sessions.backends import db as db_engine
from django.contrib.sessions.backends import file as file_engine
from django.contrib.sessions.backends import signed_cookies
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, SessionBase
from django.utils.crypto import get_random_string, salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import ngettext

from .conf import app_settings

__all__ = [
    "SEALED_MAX_LENGTH",
    "draw_session_key",
    "end_sessions",
    "key_chosen_at_save",
    "live_key",
    "recordable_key",
    "revocation_wait",
    "seal",
    "server_side",
    "unseal",
]

logger = logging.getLogger("rememberme")

_SALT = "rememberme.internal.session_keys"
_NONCE_BYTES = 12
# HMAC-SHA512 gives 64 bytes of keystream: Django's keys are 32 characters,
# its Session model allows 40, django-user-sessions' too.
_KEY_MAX_LENGTH = 64
SEALED_MAX_LENGTH = _NONCE_BYTES + _KEY_MAX_LENGTH


def _keystream(nonce: bytes, user_pk: Any) -> bytes:
    # Bound to the user, so that sealed bytes moved to another user's row
    # give nothing; the nonce makes each sealing's keystream its own, so
    # two keys sealed for one user never share one (no XOR of two keys).
    value = b"%s:%s" % (str(user_pk).encode(), nonce.hex().encode())
    return salted_hmac(_SALT, value, algorithm="sha512").digest()


def seal(session_key: str | None, user_pk: Any) -> bytes:
    """Return ``session_key`` sealed for storage, or ``b""`` when there is none to keep."""
    if not session_key:
        return b""
    raw = session_key.encode("ascii", "replace")
    if len(raw) > _KEY_MAX_LENGTH:
        # An engine with unusually long keys: its sessions end at their
        # next revalidation instead.
        return b""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    stream = _keystream(nonce, user_pk)
    return nonce + bytes(a ^ b for a, b in zip(raw, stream, strict=False))


def unseal(sealed: bytes | memoryview | None, user_pk: Any) -> str | None:
    """Return the session key :func:`seal` kept, or ``None``."""
    sealed = bytes(sealed or b"")
    if len(sealed) <= _NONCE_BYTES:
        return None
    nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    raw = bytes(a ^ b for a, b in zip(body, _keystream(nonce, user_pk), strict=False))
    try:
        key = raw.decode("ascii")
    except UnicodeDecodeError:
        # Sealed under an earlier SECRET_KEY: the session is lost to us, and
        # revalidation ends it instead.
        return None
    return key if key.isprintable() else None


def _store_class() -> type[SessionBase]:
    cls: type[SessionBase] = import_string(settings.SESSION_ENGINE + ".SessionStore")
    return cls


def server_side(session: SessionBase | None = None) -> bool:
    """Return whether the session engine (of ``session``, else the configured one) keeps state."""
    cls = type(session) if session is not None else _store_class()
    return not issubclass(cls, signed_cookies.SessionStore)


def live_key(session: SessionBase) -> str | None:
    """Return the key of ``session`` if a revocation can end it by that key, else ``None``."""
    return session.session_key if server_side(session) else None


def recordable_key(session: SessionBase) -> str | None:
    """
    Return the key ``session`` has or, if it has none yet, the key it will
    take when the response saves it (drawn now, see
    :func:`draw_session_key`); ``None`` if a revocation cannot end it by key.

    ``login()`` flushes a session signed in as another user (a user switch,
    an impersonation's release): it has no key until ``SessionMiddleware``
    saves it, after every other middleware's response.
    """
    if not server_side(session) or session.session_key is not None:
        return live_key(session)
    drawn: str | None = getattr(session, _DRAWN, None)
    return drawn if drawn is not None else draw_session_key(session)


def revocation_wait() -> str | None:
    """
    Return how long a browser signed out now may stay signed in ("within 5
    minutes"), or ``None`` when it is signed out at once: only signed-cookie
    sessions wait, for their next revalidation.
    """
    interval = app_settings.REVALIDATE_INTERVAL.total_seconds()
    if server_side() or interval <= 0:
        return None
    minutes = max(1, math.ceil(interval / 60))
    return ngettext("within %(count)d minute", "within %(count)d minutes", minutes) % {
        "count": minutes
    }


def end_sessions(keys: Iterable[str]) -> list[str]:
    """
    Delete the sessions ``keys`` from the session store; return the keys of
    those that still existed.

    A failing store never fails the revocation that called this: the
    failure is logged, and the sessions end at their next revalidation.
    """
    ended = []
    cls = _store_class()
    for key in keys:
        try:
            store = cls(key)
            if store.exists(key):
                store.delete(key)
                ended.append(key)
        except Exception:
            # Any engine, any failure (a cache down, a database error, a
            # file system full): revalidation remains the safety net.
            logger.exception("Could not end the session of a revoked remember-me token.")
    return ended


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
    if not server_side(session) or getattr(type(session), _KEY_GENERATOR) is not (default):
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
    setattr(session, _DRAWN, drawn[0])
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
# The key draw_session_key() drew, for recordable_key() to find again.
_DRAWN = "_rememberme_drawn_key"


def _unchecked_key() -> str:
    """Stand in for ``_get_new_session_key()``: a new key, without asking the store."""
    return get_random_string(32, VALID_KEY_CHARS)
