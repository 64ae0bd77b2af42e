"""
What a Django session remembers about the token it came from; every
session key the package writes is named here.

A session created with or restored from a token carries the token's primary
key and the time it was last checked. That is what lets a revocation reach
the session whatever ``SESSION_ENGINE`` keeps it (signed cookies included):
the session itself is asked, every ``REMEMBERME_REVALIDATE_INTERVAL``,
whether its token still stands.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Mapping
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .conf import app_settings

__all__ = [
    "apply_session_age",
    "clear_grace",
    "forgotten_at",
    "grace_cookie_matches",
    "grace_marker",
    "has_rotation_marks",
    "link",
    "linked_token_id",
    "mark_checked",
    "mark_forgotten",
    "mark_grace",
    "mark_rotation",
    "put_back_rotation_marks",
    "revalidation_due",
    "rotation_mark",
    "rotation_marks",
    "unlink",
]

TOKEN_KEY = "_rememberme_token"  # noqa: S105 (a session key, not a secret)
CHECKED_KEY = "_rememberme_checked"
PERSISTED_DIGEST_KEY = "_rememberme_persisted"
# A session accepted in the grace window records which cookie it was
# accepted with and the rotation that replaced it; a session created by a
# rotation records that rotation until its browser uses it again. Both
# serve repair.settle_rotation, the lost-response repair.
GRACE_KEY = "_rememberme_grace"
ROTATION_KEY = "_rememberme_rotation"
# A session whose browser was forgotten (rememberme.forget(), the devices
# page) while it stays signed in: when its own token was revoked.
FORGOTTEN_KEY = "_rememberme_forgotten"
# How the user signed in (freshness.py): when a credential was last proved,
# and whether a token restored the session.
FRESH_KEY = "_rememberme_fresh"
RESTORED_KEY = "_rememberme_restored"
# The series a device-bound session must show the bound cookie of (dbsc.py).
BOUND_KEY = "_rememberme_bound"
# When the session really ends, for the status endpoint (expiry.py).
EXPIRES_KEY = "_rememberme_expires"
# Why the browser was just signed out, for sites without the messages
# framework (notices.py).
NOTICE_KEY = "_rememberme_signed_out"
# The contrib apps': allauth's "Remember Me" choice until its login
# completes, and django-hijack's stack of impersonations under way.
ALLAUTH_REMEMBER_KEY = "_rememberme_allauth_remember"
HIJACK_STACK_KEY = "_rememberme_hijack"

#: What a session records of how its user signed in, which an impersonation
#: (contrib.hijack) saves and gives back. CHECKED_KEY is left out on
#: purpose: the token is checked again on the first request after.
SIGN_IN_KEYS = (
    FRESH_KEY,
    RESTORED_KEY,
    TOKEN_KEY,
    PERSISTED_DIGEST_KEY,
    GRACE_KEY,
    ROTATION_KEY,
    FORGOTTEN_KEY,
    BOUND_KEY,
)


logger = logging.getLogger("rememberme")


def link(session: SessionBase, token_pk: int, now: datetime.datetime | None = None) -> None:
    """Record in ``session`` that it came from the token ``token_pk``."""
    unlink(session)
    session[TOKEN_KEY] = token_pk
    mark_checked(session, now)


def unlink(session: SessionBase) -> None:
    for key in (TOKEN_KEY, CHECKED_KEY, PERSISTED_DIGEST_KEY, GRACE_KEY, ROTATION_KEY):
        session.pop(key, None)
    session.pop(FORGOTTEN_KEY, None)


def mark_forgotten(session: SessionBase, revoked_at: datetime.datetime) -> None:
    """
    Record that ``session``'s browser was forgotten (its token revoked at
    ``revoked_at``) while the session itself stays signed in.

    The session stays linked to the revoked token, so that a later
    revocation of all the user's tokens, which stamps the forgotten ones
    again (``RememberTokenQuerySet.revoke``), still ends it.
    """
    for key in (PERSISTED_DIGEST_KEY, GRACE_KEY, ROTATION_KEY):
        session.pop(key, None)
    session[FORGOTTEN_KEY] = _instant(revoked_at)


def forgotten_at(session: SessionBase, revoked_at: datetime.datetime) -> bool:
    """Return whether ``session``'s browser was forgotten by the revocation at ``revoked_at``."""
    value = session.get(FORGOTTEN_KEY)
    return isinstance(value, int) and value == _instant(revoked_at)


def _cookie_digest(verifier: str) -> str:
    # Keyed, so that the session store (readable by the browser with signed
    # cookies, by anyone with a copy of the database otherwise) holds
    # nothing a verifier could be checked against.
    return salted_hmac(
        "rememberme.internal.sessions.grace", verifier, algorithm="sha256"
    ).hexdigest()


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _instant(moment: datetime.datetime) -> int:
    # Microseconds since the epoch: exact, JSON-serialisable, comparable
    # with the token's rotated_at.
    return (moment - _EPOCH) // datetime.timedelta(microseconds=1)


def _moment(instant: int) -> datetime.datetime:
    return _EPOCH + datetime.timedelta(microseconds=instant)


def mark_grace(session: SessionBase, verifier: str, rotated_at: datetime.datetime) -> None:
    """
    Record that ``session`` was accepted with ``verifier``, which the
    rotation made at ``rotated_at`` replaced.
    """
    session[GRACE_KEY] = [_cookie_digest(verifier), _instant(rotated_at)]


def clear_grace(session: SessionBase) -> None:
    """Forget the mark left by :func:`mark_grace`."""
    session.pop(GRACE_KEY, None)


def grace_marker(session: SessionBase) -> tuple[str, datetime.datetime] | None:
    """Return the digest of the accepted verifier and when it was replaced."""
    value = session.get(GRACE_KEY)
    if isinstance(value, list) and len(value) == 2:
        digest, rotated = value
        if isinstance(digest, str) and isinstance(rotated, int):
            return digest, _moment(rotated)
    return None


def mark_rotation(session: SessionBase, rotated_at: datetime.datetime) -> None:
    """Record that ``session`` was created with the rotation made at ``rotated_at``."""
    session[ROTATION_KEY] = _instant(rotated_at)


def rotation_mark(session: SessionBase, *, pop: bool = False) -> datetime.datetime | None:
    """Return the rotation recorded by :func:`mark_rotation` (and forget it, with ``pop``)."""
    value = session.pop(ROTATION_KEY, None) if pop else session.get(ROTATION_KEY)
    return _moment(value) if isinstance(value, int) else None


def has_rotation_marks(session: SessionBase) -> bool:
    return GRACE_KEY in session or ROTATION_KEY in session


def rotation_marks(session: SessionBase) -> dict[str, Any]:
    """Return the rotation and grace marks of ``session``, for :func:`put_back_rotation_marks`."""
    return {key: session[key] for key in (ROTATION_KEY, GRACE_KEY) if key in session}


def put_back_rotation_marks(session: SessionBase, marks: dict[str, Any]) -> None:
    """Make ``session``'s rotation and grace marks ``marks`` again."""
    for key in (ROTATION_KEY, GRACE_KEY):
        session.pop(key, None)
    session.update(marks)


def grace_cookie_matches(digest: str, verifier: str) -> bool:
    return constant_time_compare(digest, _cookie_digest(verifier))


def linked_token_id(session: SessionBase | Mapping[str, Any]) -> int | None:
    """Return the token ``session`` (or a session's decoded data) came from."""
    value = session.get(TOKEN_KEY)
    return value if isinstance(value, int) else None


def mark_checked(session: SessionBase, now: datetime.datetime | None = None) -> None:
    session[CHECKED_KEY] = int((now or timezone.now()).timestamp())


def revalidation_due(session: SessionBase, now: datetime.datetime | None = None) -> bool:
    """Return whether the linked token must be checked again on this request."""
    checked = session.get(CHECKED_KEY)
    if not isinstance(checked, int):
        return True
    # Epoch seconds rather than datetimes: this runs on every request of a
    # remembered user. time.time() follows freezegun like timezone.now().
    current = now.timestamp() if now is not None else time.time()
    return current - checked >= app_settings.REVALIDATE_INTERVAL.total_seconds()


def apply_session_age(session: SessionBase, age: datetime.timedelta | None) -> None:
    """
    Give ``session`` the expiry ``age``: ``None`` follows Django's
    ``SESSION_*`` settings, zero ends it at browser close, anything else is
    that many seconds of inactivity (``SessionBase.set_expiry`` semantics).
    """
    if age is None:
        session.set_expiry(None)
    else:
        session.set_expiry(int(age.total_seconds()))
