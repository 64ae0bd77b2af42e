"""
Tell a signed-out user why: theft, revocation or expiry.

Receivers of ``theft_detected`` and ``session_ended`` note the reason on the
request; :func:`deliver` turns the note into a message once the page's view
is about to run (``RememberMeMiddleware.process_view``), because the
middleware usually sits before ``MessageMiddleware``, whose storage does not
exist yet when the session ends.

With ``django.contrib.messages`` the note becomes a message (its cookie or
fallback storage carries it across a redirect, to the login page say).
Without it, the note is kept in the new session and read by the context
processor ``rememberme.context_processors.signed_out``, which puts it in the
``rememberme_signed_out`` template variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ..signals import RevokeReason
from . import sessions

__all__ = [
    "SignedOut",
    "deliver",
    "discard",
    "note_refused",
    "note_session_ended",
    "note_theft",
    "pop_notice",
]

_PENDING = "_rememberme_signed_out"  # request attribute
NOTICE_SESSION_KEY = sessions.NOTICE_KEY

# The most alarming reason wins when several arrive on one request (a theft
# is also reported as the end of the session it interrupted). The reasons
# after "revoked" say why a closed browser's token no longer signs it in.
_RANK = {
    "expired": 1,
    "revoked": 2,
    "revoked_user": 2,
    "revoked_admin": 2,
    "revoked_everywhere": 2,
    "password_change": 2,
    "token_expired": 2,
    "inactive": 2,
    "theft": 3,
}

# What a refused token's revocation reason is noted as (a logout in this
# browser needs no explanation: the user did it here).
_REFUSED = {
    RevokeReason.USER: "revoked_user",
    RevokeReason.ADMIN: "revoked_admin",
    RevokeReason.LOGOUT_ALL: "revoked_everywhere",
    RevokeReason.PASSWORD_CHANGE: "password_change",
    RevokeReason.EXPIRED: "token_expired",
    RevokeReason.INACTIVE: "inactive",
    RevokeReason.THEFT: "theft",
}


@dataclass(frozen=True)
class SignedOut:
    """Why the user was signed out (``reason``) and what to tell them (``message``)."""

    reason: str
    message: str
    level: int

    def __str__(self) -> str:
        return self.message


def _message(reason: str) -> SignedOut:
    if reason == "theft":
        return SignedOut(
            reason,
            _(
                "For your safety you were signed out of every browser: an old copy of "
                "your sign-in cookie was used. Sign in again, and change your password "
                "if you did not expect this."
            ),
            messages.WARNING,
        )
    refused = _refused_message(reason)
    if refused is not None:
        return SignedOut(reason, refused, messages.INFO)
    if reason == "revoked":
        return SignedOut(
            reason,
            _(
                "You were signed out: this browser's sign-in was ended from another "
                "browser or by an administrator. Sign in again to continue."
            ),
            messages.INFO,
        )
    return SignedOut(
        reason, _("Your session has expired. Sign in again to continue."), messages.INFO
    )


def _refused_message(reason: str) -> str | None:
    if reason == "revoked_user":
        return _(
            "This browser no longer keeps you signed in: it was signed out from "
            "another browser. Sign in again to continue."
        )
    if reason == "revoked_admin":
        return _(
            "This browser no longer keeps you signed in: an administrator signed it "
            "out. Sign in again to continue."
        )
    if reason == "revoked_everywhere":
        return _(
            "This browser no longer keeps you signed in: you signed out of every "
            "browser from another one. Sign in again to continue."
        )
    if reason == "password_change":
        return _(
            "This browser no longer keeps you signed in: your password was changed, "
            "which signs out every remembered browser. Sign in with the new password."
        )
    if reason == "token_expired":
        return _(
            "This browser no longer keeps you signed in: its sign-in expired, unused "
            "for too long or too long since you last typed your password. Sign in "
            "again to continue."
        )
    if reason == "inactive":
        return _("This browser no longer keeps you signed in: the account is inactive.")
    return None


def _note(request: HttpRequest | None, reason: str) -> None:
    if request is None:
        return
    pending = getattr(request, _PENDING, None)
    if pending is None or _RANK[reason] > _RANK[pending]:
        setattr(request, _PENDING, reason)


def note_theft(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Receiver of ``theft_detected``."""
    _note(request, "theft")


def note_session_ended(
    sender: Any, request: HttpRequest | None = None, reason: str = "", **kwargs: Any
) -> None:
    """Receiver of ``session_ended``: revocations and expiries, not logouts."""
    token = kwargs.get("token")
    if reason == "revoked" and getattr(token, "revoke_reason", None) == RevokeReason.THEFT:
        _note(request, "theft")
    elif reason in ("revoked", "expired"):
        _note(request, reason)


def note_refused(request: HttpRequest, token: Any) -> None:
    """Note why ``token``, presented by a closed browser, signed nobody in."""
    reason = _REFUSED.get(getattr(token, "revoke_reason", None) or "")
    if reason is not None:
        _note(request, reason)


def discard(request: HttpRequest) -> None:
    """Drop the request's note: its page has nothing to say about it."""
    request.__dict__.pop(_PENDING, None)


def deliver(request: HttpRequest) -> None:
    """Hand the request's note, if any, to the messages framework or the session."""
    reason = request.__dict__.pop(_PENDING, None)
    if reason is None:
        return
    user = getattr(request, "user", None)
    if reason == "expired" and user is not None and user.is_authenticated:
        # The token restored a new session: nothing to tell.
        return
    notice = _message(reason)
    try:
        messages.add_message(request, notice.level, notice.message, extra_tags="rememberme")
    except messages.MessageFailure:
        pass  # No MessageMiddleware: keep the reason for the context processor.
    else:
        return
    session = getattr(request, "session", None)
    if session is not None:
        session[NOTICE_SESSION_KEY] = reason


def pop_notice(request: HttpRequest) -> SignedOut | None:
    """Return, once, the note kept for a site without the messages framework."""
    session = getattr(request, "session", None)
    reason = session.pop(NOTICE_SESSION_KEY, None) if session is not None else None
    return _message(reason) if reason in _RANK else None
