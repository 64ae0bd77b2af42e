"""
The values of ``REMEMBERME_PERSISTENT_SESSION_KEYS``: kept with the token
when they change, put back into the session the token restores.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from .conf import app_settings
from .sessions import PERSISTED_DIGEST_KEY

__all__ = [
    "MAX_BYTES",
    "current",
    "forget_persisted",
    "keys",
    "mark_persisted",
    "restore",
    "storable",
    "values_changed",
]

#: The most compact JSON, in bytes, that the persistent session values of
#: one token may take. The values go back into every session the token
#: restores, and a whole signed-cookie session must fit in a browser's 4 KB
#: cookie: a bigger payload is a mistake (keep a key to server-side data
#: instead), and an unbounded one would let a page grow the token row at will.
MAX_BYTES = 4096

logger = logging.getLogger("rememberme")


def keys() -> tuple[str, ...]:
    """Return the session keys whose values a token keeps."""
    return tuple(app_settings.PERSISTENT_SESSION_KEYS)


def current(session: SessionBase) -> dict[str, Any]:
    """Return the persistent values ``session`` holds."""
    return {key: session[key] for key in keys() if key in session}


def _digest(values: dict[str, Any]) -> str:
    encoded = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def mark_persisted(session: SessionBase, values: dict[str, Any]) -> None:
    """Record in ``session`` that the token holds ``values``."""
    session[PERSISTED_DIGEST_KEY] = _digest(values)


def forget_persisted(session: SessionBase) -> None:
    """Forget what :func:`mark_persisted` recorded, so that the values are saved again."""
    session.pop(PERSISTED_DIGEST_KEY, None)


def values_changed(session: SessionBase) -> dict[str, Any] | None:
    """
    Return the persistent values if they differ from what the token holds,
    else ``None``; record that the token holds them when they do.
    """
    values = current(session)
    digest = _digest(values)
    if session.get(PERSISTED_DIGEST_KEY) == digest:
        return None
    session[PERSISTED_DIGEST_KEY] = digest
    return values


def _encode(values: Any) -> str:
    # What a JSONField stores, minus NaN and infinities that PostgreSQL's
    # jsonb refuses.
    return json.dumps(values, sort_keys=True, separators=(",", ":"), allow_nan=False)


def storable(values: dict[str, Any]) -> dict[str, Any] | None:
    """
    Return ``values`` if they can be kept with a token: JSON-serialisable and
    at most ``MAX_BYTES`` of JSON. Otherwise log an error
    naming the setting and return ``None``: nothing is kept, and the request
    goes on (the user is not to pay for a configuration mistake with a 500).
    """
    try:
        encoded = _encode(values)
    except (TypeError, ValueError):
        bad = []
        for key, value in values.items():
            try:
                _encode(value)
            except (TypeError, ValueError):
                bad.append(key)
        logger.error(
            "REMEMBERME_PERSISTENT_SESSION_KEYS: the session values of %s are not "
            "JSON-serialisable, so the remember-me token does not keep these keys.",
            ", ".join(repr(key) for key in bad),
        )
        return None
    size = len(encoded.encode())
    if size > MAX_BYTES:
        logger.error(
            "REMEMBERME_PERSISTENT_SESSION_KEYS: the session values of %s take %d bytes "
            "of JSON, more than the %d a remember-me token keeps; they are not kept. "
            "Keep small values (an id, a preference) in these keys.",
            ", ".join(repr(key) for key in sorted(values)),
            size,
            MAX_BYTES,
        )
        return None
    return values


def restore(session: SessionBase, values: dict[str, Any]) -> None:
    """Put the values a token kept back into a new session."""
    allowed = set(keys())
    for key, value in values.items():
        if key in allowed:
            session[key] = value
    mark_persisted(session, current(session))
