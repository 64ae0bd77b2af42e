"""
Checking a presented token and rotating it: the one path a cookie takes.

:func:`check_token` looks the selector up once, applies the validity rules
without any hashing, verifies the verifier once and rotates at most once.
It returns a :class:`Verdict`; signing in is ``restore``'s part, writing
the cookie ``state``'s. The rules it applies live here once: whether a
token may sign in (:func:`unusable_reason`), the grace window
(:func:`grace_end`), and whether a token still backs the session it made
(:func:`session_token_stands`, asked by :func:`revalidate` and the status
endpoint).
"""

from __future__ import annotations

import contextlib
import datetime
import enum
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.db import connections, router, transaction
from django.http import HttpRequest
from django.utils import timezone

from ..models import RememberToken
from ..policy import get_policy
from ..signals import RevokeReason
from . import dbsc, lockout, session_keys, sessions
from .conf import app_settings
from .cookie import CookieValue, new_cookie_value
from .crypto import hash_verifier, password_fingerprint_matches, verify_verifier
from .lifetime import token_ends
from .lookup import find_with_user
from .theft import report_theft
from .useragents import client_ip, client_user_agent

__all__ = [
    "Outcome",
    "Verdict",
    "check_token",
    "grace_end",
    "in_grace",
    "presents_current",
    "presents_replaced",
    "record_arrival",
    "revalidate",
    "rotate",
    "session_token_stands",
    "unusable_reason",
]

logger = logging.getLogger("rememberme")


class Outcome(enum.Enum):
    #: Verified and rotated: sign in and send the new cookie.
    ROTATED = "rotated"
    #: Verified within the grace window of the last rotation: sign in, but
    #: send no cookie at all, so the browser keeps the newest one it got.
    GRACE = "grace"
    #: Unknown, revoked, expired or otherwise unusable: stay anonymous.
    INVALID = "invalid"
    #: A replaced verifier outside the grace window: the series is revoked.
    THEFT = "theft"
    #: A device-bound series without its bound cookie: stay anonymous, and
    #: keep the cookie (see dbsc.py).
    UNBOUND = "unbound"


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    token: RememberToken | None = None
    new_value: CookieValue | None = field(default=None, repr=False)
    #: Accepted with the verifier a rotation replaced (GRACE only): the
    #: browser may never have received the new cookie.
    replaced: bool = False

    @property
    def signs_in(self) -> bool:
        return self.outcome in (Outcome.ROTATED, Outcome.GRACE)


#: What signs the user of a verdict in (the restore's part); see check_token().
SignIn = Callable[[Verdict], None]


def grace_end(rotated_at: datetime.datetime) -> datetime.datetime:
    """Return when the verifier replaced at ``rotated_at`` stops being accepted."""
    return rotated_at + app_settings.ROTATION_GRACE


def in_grace(token: RememberToken, now: datetime.datetime) -> bool:
    """Return whether ``token`` was rotated (not merely issued) within the grace window."""
    return bool(token.previous_verifier_hash) and now < grace_end(token.rotated_at)


def presents_current(token: RememberToken, cookie: CookieValue) -> bool:
    """Return whether ``cookie`` carries ``token``'s current verifier."""
    return verify_verifier(token.verifier_hash, cookie.verifier)


def presents_replaced(token: RememberToken, cookie: CookieValue) -> bool:
    """Return whether ``cookie`` carries the verifier ``token``'s last rotation replaced."""
    return bool(token.previous_verifier_hash) and verify_verifier(
        token.previous_verifier_hash, cookie.verifier
    )


def unusable_reason(
    token: RememberToken, now: datetime.datetime, request: HttpRequest | None = None
) -> str | None:
    """Return why ``token`` cannot sign anyone in, or ``None`` if it can."""
    if token.is_expired(now):
        return RevokeReason.EXPIRED
    if not getattr(token.user, "is_active", True):
        return RevokeReason.INACTIVE
    if not password_fingerprint_matches(token.password_fingerprint, token.user.password):
        return RevokeReason.PASSWORD_CHANGE
    if token.backend not in settings.AUTHENTICATION_BACKENDS:
        return "backend"
    if not get_policy().can_remember(token.user, request):
        # Not a revocation reason: the token is refused while the policy
        # says so, and works again if it changes its mind.
        return "policy"
    if lockout.is_locked_out(token.user, request):
        # Nor is this: a lockout app (django-axes) has locked the user out,
        # and a token is no way around it.
        return "locked_out"
    return None


def session_token_stands(
    token: RememberToken, session: SessionBase, now: datetime.datetime
) -> bool:
    """Return whether ``token`` still backs ``session``, which it created or restored."""
    if str(token.user_id) != str(session.get(SESSION_KEY)):
        return False
    if token.revoked_at is None:
        absolute = token.absolute_expires_at
        return absolute is None or now < absolute
    # A password change revokes every token, but the session that made
    # the change is kept by update_session_auth_hash(), and Django itself
    # ends the others (their auth hash no longer matches): leave
    # sessions to Django for that reason alone. A browser forgotten while
    # signed in keeps its session until a later revocation of all the
    # user's tokens stamps its token again.
    return token.revoke_reason == RevokeReason.PASSWORD_CHANGE or sessions.forgotten_at(
        session, token.revoked_at
    )


def revalidate(session: SessionBase, token_id: int) -> tuple[bool, RememberToken | None]:
    """
    Re-read the token ``session`` came from; return whether it still backs
    the session (recording the check if so), and the token.
    """
    now = timezone.now()
    # With its user, so that the policy's absolute cap for that user applies.
    token = RememberToken.objects.for_write().select_related("user").filter(pk=token_id).first()
    if token is not None and session_token_stands(token, session, now):
        sessions.mark_checked(session, now)
        return True, token
    logger.info("Session ended: its remember-me token %s is no longer valid.", token_id)
    return False, token


def check_token(
    request: HttpRequest,
    cookie: CookieValue,
    *,
    sign_in: SignIn | None = None,
    session_key: str | None = None,
) -> Verdict:
    """
    Decide what the presented ``cookie`` is worth.

    Costs: one indexed query for an unknown selector, and no hashing for
    any token that is unknown, revoked, expired or otherwise unusable; one
    Argon2 verification (two in the grace window) and, when rotating, one
    Argon2 hash and one conditional UPDATE.

    ``sign_in``, if given, is called with the verdict whenever it signs in,
    before this returns: when the token rotates, inside the transaction
    that rotates it (see :func:`rotate`), so that the rotation and the
    sign-in's writes commit together or not at all. Everything else this
    writes (a revocation, the theft rule, a rotation's arrival) commits on
    its own, whatever the sign-in does afterwards. ``session_key`` is the
    key the sign-in's session will have, recorded by the rotation.
    """
    token = find_with_user(cookie.selector)
    now = timezone.now()
    if token is None:
        logger.debug("Remember-me cookie with an unknown selector ignored.")
        return Verdict(Outcome.INVALID)

    if token.revoked_at is not None:
        logger.debug("Remember-me token %s is revoked (%s).", token.pk, token.revoke_reason)
        return Verdict(Outcome.INVALID, token)

    reason = unusable_reason(token, now, request)
    if reason is not None:
        logger.info("Remember-me token %s refused: %s.", token.pk, reason)
        if reason in RevokeReason.values:
            token.revoke(reason, request=request)
        return Verdict(Outcome.INVALID, token)

    if not dbsc.admits(request, token):
        # Before any verification: without the device's proof the verifier
        # decides nothing, and is not theft either (a copied cookie store,
        # or a browser whose key store failed; its owner signs in again).
        logger.info("Remember-me token %s refused: no bound cookie for its device.", token.pk)
        return Verdict(Outcome.UNBOUND, token)

    if presents_current(token, cookie):
        if in_grace(token, now):
            # Rotated moments ago by another request: accept, but do not
            # rotate again (at most one rotation per grace window). The
            # rotation's cookie is here, so its response arrived.
            if not token.rotation_arrived:
                record_arrival(token.pk, token.rotated_at)
            return _accepted(Verdict(Outcome.GRACE, token), sign_in)
        return rotate(request, token, now, sign_in=sign_in, session_key=session_key)

    grace = in_grace(token, now)
    if (grace or not token.rotation_arrived) and presents_replaced(token, cookie):
        if grace:
            # A request that left before the rotation's response arrived (a
            # parallel tab, an asset, a retried request): the browser
            # already holds or is about to hold the new cookie.
            return _accepted(Verdict(Outcome.GRACE, token, replaced=True), sign_in)
        # After the window, while nothing shows that the rotation's response
        # arrived (neither its cookie presented nor its session used): the
        # browser that asked for it may never have got it (a lost response,
        # a session store that failed after the rotation committed). Give
        # that cookie a new one, as repair.settle_rotation does for a grace
        # session; the rotation's holder, if it shows up, then finds its
        # cookie replaced and the series is revoked for theft.
        logger.info("Remember-me token %s: a lost rotation response repaired.", token.pk)
        return rotate(request, token, now, repair=True, sign_in=sign_in)

    report_theft(request, token)
    return Verdict(Outcome.THEFT, token)


def _accepted(verdict: Verdict, sign_in: SignIn | None) -> Verdict:
    if sign_in is not None:
        sign_in(verdict)
    return verdict


def record_arrival(token_id: int, rotated_at: datetime.datetime) -> bool:
    """
    Record that the response of ``token_id``'s rotation made at
    ``rotated_at`` arrived; return whether the token is still at that
    rotation (or revoked) rather than rotated since.
    """
    if RememberToken.objects.filter(
        pk=token_id, rotated_at=rotated_at, rotation_arrived=False
    ).update(rotation_arrived=True):
        return True
    return (
        not RememberToken.objects.for_write()
        .filter(pk=token_id, rotated_at__gt=rotated_at, revoked_at__isnull=True)
        .exists()
    )


def rotate(
    request: HttpRequest,
    token: RememberToken,
    now: datetime.datetime,
    *,
    repair: bool = False,
    sign_in: SignIn | None = None,
    session_key: str | None = None,
) -> Verdict:
    """
    Rotate ``token``'s verifier with a compare-and-swap; return the verdict.

    With ``sign_in``, the rotation and ``sign_in(verdict)`` are one
    transaction (see :func:`_signing_in`); a verdict that signs in without
    a rotation (another request rotated first, and the cookie is in grace)
    is passed to ``sign_in`` after it. ``session_key``, the key of the
    session the rotation is for, is recorded in the same UPDATE, so that a
    revocation can end that session (see session_keys.py) at no extra write.
    """
    # Hash and ask the policy before touching the row, so nothing slow (and
    # no read) happens while the UPDATE holds its row lock.
    assert token.selector is not None, "a token to rotate is found by its selector"
    new_value = new_cookie_value(token.selector)
    new_hash = hash_verifier(new_value.verifier)
    changes = {
        "verifier_hash": new_hash,
        # A repair replaces the cookie its browser lost: the one that
        # browser holds stays the previous verifier, so that its parallel
        # requests are still in grace.
        "previous_verifier_hash": token.previous_verifier_hash if repair else token.verifier_hash,
        "rotated_at": now,
        "rotation_arrived": False,
        "last_used_at": now,
        **token_ends(token.user, created_at=token.created_at, last_used_at=now)._asdict(),
        "user_agent": client_user_agent(request),
        "ip_address": client_ip(request),
    }
    if session_key is not None:
        changes["session_key_sealed"] = session_keys.seal(session_key, token.user_id)
    # Compare-and-swap: the row changes only if its verifier is still the
    # one we verified. Of any number of requests racing with one cookie,
    # exactly one rotates; the database serialises them on the row lock the
    # UPDATE takes, so no SELECT ... FOR UPDATE of the token is needed. With
    # sign_in that lock is held until the sign-in commits (a login(), not a
    # slow thing): a racing request with the same cookie waits that long,
    # then finds the row rotated and is in grace.
    # A repair also needs the rotation it repairs still not shown to have
    # arrived (see repair.settle_rotation).
    condition = {"rotation_arrived": False} if repair else {}
    rows = RememberToken.objects.for_write(instance=token).filter(
        pk=token.pk, verifier_hash=token.verifier_hash, revoked_at__isnull=True, **condition
    )
    with _signing_in(token.user, rows.db) if sign_in else contextlib.nullcontext():
        if rows.update(**changes):
            for name, value in changes.items():
                setattr(token, name, value)
            return _accepted(Verdict(Outcome.ROTATED, token, new_value), sign_in)

    # Another request changed the row between our read and our write.
    fresh = RememberToken.objects.for_write(instance=token).filter(pk=token.pk).first()
    if fresh is None or fresh.revoked_at is not None:
        return Verdict(Outcome.INVALID, token)
    if fresh.previous_verifier_hash == changes["previous_verifier_hash"] and in_grace(fresh, now):
        fresh.user, fresh.selector = token.user, token.selector
        return _accepted(Verdict(Outcome.GRACE, fresh, replaced=True), sign_in)
    if repair:
        # Its arrival recorded, or rotated by someone holding a newer cookie.
        report_theft(request, token)
        return Verdict(Outcome.THEFT, token)
    return Verdict(Outcome.INVALID, token)


@contextlib.contextmanager
def _signing_in(user: Any, using: str) -> Iterator[None]:
    """
    The transaction of a rotation and the sign-in it is for: Django's
    ``login()`` writes ``last_login``, its ``user_logged_in`` receivers
    write what they write, and all of it commits with the rotation, in one
    durable commit instead of one per statement; a sign-in that fails
    leaves the token as it was.

    Where the database has row locks, the user's row is locked first, as
    everything else that writes both a user and their tokens does (a
    password change, ``issue()`` under a token cap): taking the token's row
    first and the user's at ``last_login`` would let such a writer and a
    restore deadlock. ``FOR NO KEY UPDATE`` where the database has it is
    what the ``last_login`` UPDATE takes anyway, and leaves inserts that
    refer to the user (a new token, a session row) free to go on. SQLite
    has no row locks, and there the transaction's first statement must be
    the rotation's UPDATE, a write: it then waits for the write lock like
    any writer, where a read upgraded to a write fails at once with
    "database is locked".
    """
    with transaction.atomic(using=using):
        features = connections[using].features
        user_model = type(user)
        if (
            features.has_select_for_update
            and router.db_for_write(user_model, instance=user) == using
        ):
            locked = user_model._base_manager.using(using).select_for_update(
                no_key=features.has_select_for_no_key_update
            )
            list(locked.filter(pk=user.pk).values_list("pk", flat=True))
        yield
