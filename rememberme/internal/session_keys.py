"""
The session a token made, kept with the token so that a revocation ends it.

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

import logging
import math
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import signed_cookies
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string
from django.utils.translation import ngettext

from .conf import app_settings

__all__ = [
    "SEALED_MAX_LENGTH",
    "end_sessions",
    "live_key",
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
