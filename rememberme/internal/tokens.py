"""
Judging a presented token and rotating it: the one path a cookie takes.

:func:`check_token` looks the selector up once, applies the validity rules
without any hashing, verifies the verifier once, and returns a
:class:`Verdict`; it signs nobody in and rotates nothing. A verdict to
rotate is carried out with a :class:`Rotation`, by ``restore`` (which signs
in within the rotation's transaction) or ``repair``. Whether a token may
sign in is :func:`unusable_reason`; the grace window is
``RememberToken.in_grace()`` (``lifetime.grace_open()``).
"""

from __future__ import annotations

import datetime
import enum
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from ..models import RememberToken
from ..policy import get_policy
from ..signals import RevokeReason
from . import dbsc, lockout, session_keys
from .cookie import CookieValue, new_cookie_value
from .crypto import hash_verifier, password_fingerprint_matches, verify_verifier
from .lifetime import token_ends
from .lookup import find_with_user
from .theft import report_theft
from .useragents import client_ip, client_user_agent

__all__ = [
    "Outcome",
    "Rotation",
    "Verdict",
    "check_token",
    "presents_accepted",
    "presents_current",
    "presents_replaced",
    "rotate",
    "unusable_reason",
]

logger = logging.getLogger("rememberme")


class Outcome(enum.Enum):
    #: The current verifier: rotate it, then sign in and send the new cookie.
    ROTATE = "rotate"
    #: The verifier a rotation replaced, after the window, while nothing
    #: showed that rotation's response arrived: rotate for this browser.
    REPAIR = "repair"
    #: Rotated: sign in and send the new cookie.
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

    @property
    def rotates(self) -> bool:
        return self.outcome in (Outcome.ROTATE, Outcome.REPAIR)


def presents_current(token: RememberToken, cookie: CookieValue) -> bool:
    """Return whether ``cookie`` carries ``token``'s current verifier."""
    return verify_verifier(token.verifier_hash, cookie.verifier)


def presents_replaced(token: RememberToken, cookie: CookieValue) -> bool:
    """Return whether ``cookie`` carries the verifier ``token``'s last rotation replaced."""
    return bool(token.previous_verifier_hash) and verify_verifier(
        token.previous_verifier_hash, cookie.verifier
    )


def presents_accepted(token: RememberToken, cookie: CookieValue, now: datetime.datetime) -> bool:
    """
    Return whether ``cookie`` proves ``token`` at ``now``: its current
    verifier, or the one just replaced within the grace window. What a
    sign-out after the session ended and the new-browser mail ask; a
    restore asks :func:`check_token`, which also tells the two apart.
    """
    return presents_current(token, cookie) or (
        token.in_grace(now) and presents_replaced(token, cookie)
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


def check_token(request: HttpRequest, cookie: CookieValue) -> Verdict:
    """
    Decide what the presented ``cookie`` is worth; sign nobody in.

    Costs: one indexed query for an unknown selector, and no hashing for
    any token that is unknown, revoked, expired or otherwise unusable; one
    Argon2 verification (two for the replaced verifier). A verdict to
    ``ROTATE`` or ``REPAIR`` is the caller's to carry out (:class:`Rotation`);
    what this writes itself (a revocation, the theft rule, a rotation's
    arrival) commits on its own, whatever the caller does next.
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

    grace = token.in_grace(now)
    if presents_current(token, cookie):
        if grace:
            # Rotated moments ago by another request: accept, but do not
            # rotate again (at most one rotation per grace window). The
            # rotation's cookie is here, so its response arrived.
            if not token.rotation_arrived:
                RememberToken.objects.record_arrival(token.pk, token.rotated_at)
            return Verdict(Outcome.GRACE, token)
        return Verdict(Outcome.ROTATE, token)

    if (grace or not token.rotation_arrived) and presents_replaced(token, cookie):
        if grace:
            # A request that left before the rotation's response arrived (a
            # parallel tab, an asset, a retried request): the browser
            # already holds or is about to hold the new cookie.
            return Verdict(Outcome.GRACE, token, replaced=True)
        # After the window, while nothing shows that the rotation's response
        # arrived (neither its cookie presented nor its session used): the
        # browser that asked for it may never have got it (a lost response,
        # a session store that failed after the rotation committed). Give
        # that cookie a new one, as repair.settle_rotation does for a grace
        # session; the rotation's holder, if it shows up, then finds its
        # cookie replaced and the series is revoked for theft.
        logger.info("Remember-me token %s: a lost rotation response repaired.", token.pk)
        return Verdict(Outcome.REPAIR, token)

    report_theft(request, token)
    return Verdict(Outcome.THEFT, token)


class Rotation:
    """
    A rotation of ``token``'s verifier, prepared (the new value hashed, the
    new ends computed) before anything is locked; :meth:`apply` makes it.

    With ``repair``, it replaces a cookie its browser lost: the verifier
    that browser holds stays the previous one, so that its parallel
    requests are still in grace, and the rotation it repairs must still not
    be shown to have arrived. ``session_key``, the key of the session the
    rotation is for, is recorded in the same UPDATE, so that a revocation
    can end that session (see session_keys.py) at no write of its own.
    """

    def __init__(
        self,
        request: HttpRequest,
        token: RememberToken,
        now: datetime.datetime,
        *,
        repair: bool = False,
        session_key: str | None = None,
    ) -> None:
        assert token.selector is not None, "a token to rotate is found by its selector"
        self.request, self.token, self.now, self.repair = request, token, now, repair
        self.new_value = new_cookie_value(token.selector)
        self.changes: dict[str, Any] = {
            "verifier_hash": hash_verifier(self.new_value.verifier),
            "previous_verifier_hash": (
                token.previous_verifier_hash if repair else token.verifier_hash
            ),
            "rotated_at": now,
            "rotation_arrived": False,
            "last_used_at": now,
            **token_ends(token.user, created_at=token.created_at, last_used_at=now)._asdict(),
            "user_agent": client_user_agent(request),
            "ip_address": client_ip(request),
        }
        if session_key is not None:
            self.changes["session_key_sealed"] = session_keys.seal(session_key, token.user_id)
        # Compare-and-swap: the row changes only if its verifier is still the
        # one we verified. Of any number of requests racing with one cookie,
        # exactly one rotates; the database serialises them on the row lock
        # the UPDATE takes, so no SELECT ... FOR UPDATE of the token is
        # needed. Inside a transaction that lock is held until it commits: a
        # racing request with the same cookie waits that long, then finds
        # the row rotated and is in grace.
        condition = {"rotation_arrived": False} if repair else {}
        self.rows = RememberToken.objects.for_write(instance=token).filter(
            pk=token.pk, verifier_hash=token.verifier_hash, revoked_at__isnull=True, **condition
        )
        #: The database the rotation writes to.
        self.db: str = self.rows.db

    def apply(self) -> Verdict | None:
        """Make the rotation; return its verdict, or ``None`` if the row changed since."""
        if not self.rows.update(**self.changes):
            return None
        for name, value in self.changes.items():
            setattr(self.token, name, value)
        return Verdict(Outcome.ROTATED, self.token, self.new_value)

    def lost_race(self) -> Verdict:
        """Return the verdict for a rotation that found its row changed by another request."""
        token = self.token
        fresh = RememberToken.objects.for_write(instance=token).filter(pk=token.pk).first()
        if fresh is None or fresh.revoked_at is not None:
            return Verdict(Outcome.INVALID, token)
        previous = self.changes["previous_verifier_hash"]
        if fresh.previous_verifier_hash == previous and fresh.in_grace(self.now):
            fresh.user, fresh.selector = token.user, token.selector
            return Verdict(Outcome.GRACE, fresh, replaced=True)
        if self.repair:
            # Its arrival recorded, or rotated by someone holding a newer cookie.
            report_theft(self.request, token)
            return Verdict(Outcome.THEFT, token)
        return Verdict(Outcome.INVALID, token)


def rotate(
    request: HttpRequest,
    token: RememberToken,
    now: datetime.datetime,
    *,
    repair: bool = False,
    session_key: str | None = None,
) -> Verdict:
    """Rotate ``token`` outside any sign-in (the lost-response repair); return the verdict."""
    rotation = Rotation(request, token, now, repair=repair, session_key=session_key)
    return rotation.apply() or rotation.lost_race()
