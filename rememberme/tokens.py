"""
Checking a presented token and rotating it: the one path a cookie takes.

:func:`check_token` looks the selector up once, applies the validity rules
without any hashing, verifies the verifier once and rotates at most once.
It returns a :class:`Verdict`; signing in and writing the cookie are the
middleware's part.
"""

from __future__ import annotations

import datetime
import enum
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from . import lockout, signals
from .conf import app_settings
from .crypto import (
    CookieValue,
    hash_verifier,
    new_cookie_value,
    password_fingerprint_matches,
    verify_verifier,
)
from .lookup import find_with_user
from .models import RememberToken, RevokeReason, token_ends
from .policy import get_policy

__all__ = [
    "Outcome",
    "Verdict",
    "check_token",
    "client_ip",
    "client_user_agent",
    "replace_lost_cookie",
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


def client_user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[: RememberToken.USER_AGENT_MAX_LENGTH]


def client_ip(request: HttpRequest) -> str | None:
    """
    Return ``REMOTE_ADDR``, for display on the devices page.

    Proxy headers are not read: behind a proxy, set ``REMOTE_ADDR`` with a
    middleware that knows which proxies to trust, as Django recommends.
    """
    value = request.META.get("REMOTE_ADDR")
    return str(value) if value else None


def _in_grace(token: RememberToken, now: datetime.datetime) -> bool:
    """Return whether ``token`` was rotated (not merely issued) within the grace window."""
    return (
        bool(token.previous_verifier_hash) and now < token.rotated_at + app_settings.ROTATION_GRACE
    )


def _unusable_reason(
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
    Decide what the presented ``cookie`` is worth.

    Costs: one indexed query for an unknown selector, and no hashing for
    any token that is unknown, revoked, expired or otherwise unusable; one
    Argon2 verification (two in the grace window) and, when rotating, one
    Argon2 hash and one conditional UPDATE.
    """
    now = timezone.now()
    token = find_with_user(cookie.selector)
    if token is None:
        logger.debug("Remember-me cookie with an unknown selector ignored.")
        return Verdict(Outcome.INVALID)

    if token.revoked_at is not None:
        logger.debug("Remember-me token %s is revoked (%s).", token.pk, token.revoke_reason)
        return Verdict(Outcome.INVALID, token)

    reason = _unusable_reason(token, now, request)
    if reason is not None:
        logger.info("Remember-me token %s refused: %s.", token.pk, reason)
        if reason in RevokeReason.values:
            token.revoke(reason, request=request)
        return Verdict(Outcome.INVALID, token)

    if verify_verifier(token.verifier_hash, cookie.verifier):
        if _in_grace(token, now):
            # Rotated moments ago by another request: accept, but do not
            # rotate again (at most one rotation per grace window).
            return Verdict(Outcome.GRACE, token)
        return _rotate(request, token, now)

    if _in_grace(token, now) and verify_verifier(token.previous_verifier_hash, cookie.verifier):
        # A request that left before the rotation's response arrived (a
        # parallel tab, an asset, a retried request): the browser already
        # holds or is about to hold the new cookie.
        return Verdict(Outcome.GRACE, token, replaced=True)

    _report_theft(request, token)
    return Verdict(Outcome.THEFT, token)


def replace_lost_cookie(request: HttpRequest, token_id: int, cookie: CookieValue) -> Verdict:
    """
    Rotate the token of a session that was accepted in the grace window
    and whose browser still presents the replaced cookie.

    That browser never received the rotation's cookie (the response was
    lost, or abandoned by the browser), so after the session ends its old
    cookie would be taken for theft. The session proved the cookie once,
    so the token is rotated again for it: no Argon2 verification, the
    usual rules, and still at most one rotation per grace window.
    """
    now = timezone.now()
    token = (
        RememberToken.objects.for_write()
        .select_related("user")
        .filter(pk=token_id, revoked_at__isnull=True)
        .find(cookie.selector)
    )
    if token is None or _unusable_reason(token, now, request) is not None:
        return Verdict(Outcome.INVALID, token)
    if _in_grace(token, now):
        return Verdict(Outcome.GRACE, token)
    return _rotate(request, token, now)


def _rotate(request: HttpRequest, token: RememberToken, now: datetime.datetime) -> Verdict:
    # Hash before touching the row, so nothing slow happens while the
    # UPDATE holds its row lock.
    assert token.selector is not None, "a token to rotate is found by its selector"
    new_value = new_cookie_value(token.selector)
    new_hash = hash_verifier(new_value.verifier)
    changes = {
        "verifier_hash": new_hash,
        "previous_verifier_hash": token.verifier_hash,
        "rotated_at": now,
        "last_used_at": now,
        **token_ends(token.user, created_at=token.created_at, last_used_at=now)._asdict(),
        "user_agent": client_user_agent(request),
        "ip_address": client_ip(request),
    }
    # Compare-and-swap: the row changes only if its verifier is still the
    # one we verified. Of any number of requests racing with one cookie,
    # exactly one rotates; the database serialises them on the row lock the
    # UPDATE takes, so no explicit SELECT ... FOR UPDATE (and no lock held
    # across Python code) is needed.
    updated = RememberToken.objects.filter(
        pk=token.pk, verifier_hash=token.verifier_hash, revoked_at__isnull=True
    ).update(**changes)
    if updated:
        for name, value in changes.items():
            setattr(token, name, value)
        return Verdict(Outcome.ROTATED, token, new_value)

    # Another request changed the row between our read and our write.
    fresh = RememberToken.objects.for_write(instance=token).filter(pk=token.pk).first()
    if (
        fresh is not None
        and fresh.revoked_at is None
        and fresh.previous_verifier_hash == token.verifier_hash
        and _in_grace(fresh, now)
    ):
        fresh.user = token.user
        return Verdict(Outcome.GRACE, fresh, replaced=True)
    return Verdict(Outcome.INVALID, token)


def _report_theft(request: HttpRequest, token: RememberToken) -> None:
    # Only a copy of an older cookie can carry a known selector with a wrong
    # verifier: the browser and someone else have both used it. Which one
    # is the thief cannot be told, so every remembered browser of the user
    # is signed out (the "improved persistent login cookie" rule).
    logger.warning(
        "Remember-me token theft detected for user %s (token %s): a replaced "
        "verifier was presented; all of the user's tokens are revoked.",
        token.user_id,
        token.pk,
    )
    RememberToken.objects.filter(user_id=token.user_id).revoke(RevokeReason.THEFT, request=request)
    signals.theft_detected.send(
        sender=RememberToken, request=request, user=token.user, token=token
    )
