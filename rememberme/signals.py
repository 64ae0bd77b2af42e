"""
Signals sent by django-rememberme.

Every signal is sent with ``sender`` set to the ``RememberToken`` model and
the keyword arguments listed above it. ``request`` is ``None`` where no
request exists (the admin sends one, the purge command does not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

__all__ = [
    "RevokeReason",
    "session_ended",
    "session_restored",
    "theft_detected",
    "token_issued",
    "token_revoked",
]

# A new series was issued: request, user, token.
token_issued = Signal()

# A session was re-established from a token: request, user, token,
# rotated (False when the request was accepted in the grace window).
session_restored = Signal()

# A token was revoked: request, user, token, reason (a RevokeReason: one of
# "logout", "logout_all", "admin", "user", "password_change", "theft",
# "expired", "inactive").
token_revoked = Signal()

# A token was presented with a verifier that is neither current nor in the
# grace window; the series and the user's other tokens are revoked:
# request, user, token.
theft_detected = Signal()

# A session ended: request, user (None where it cannot be known), token
# (None unless the session came from one), reason ("logout", "expired" or
# "revoked"). "expired" is sent on the first request that carries the dead
# session's cookie (or, after a browser close, that a token restores),
# before anything is restored; what each session engine still knows of the
# user is in rememberme/expiry.py.
session_ended = Signal()


class RevokeReason:
    """
    Why a token was revoked: the ``reason`` of ``token_revoked``.

    Plain ``str`` constants rather than ``TextChoices``, whose tuple-valued
    members type checkers read as tuples; ``choices`` serves the model field.
    """

    LOGOUT: Final = "logout"
    LOGOUT_ALL: Final = "logout_all"
    ADMIN: Final = "admin"
    USER: Final = "user"
    PASSWORD_CHANGE: Final = "password_change"  # noqa: S105 (a reason, not a password)
    THEFT: Final = "theft"
    EXPIRED: Final = "expired"
    INACTIVE: Final = "inactive"

    choices: Final[list[tuple[str, StrOrPromise]]] = [
        (LOGOUT, _("Signed out")),
        (LOGOUT_ALL, _("Signed out everywhere")),
        (ADMIN, _("Revoked by an administrator")),
        (USER, _("Revoked by the user")),
        (PASSWORD_CHANGE, _("Password changed")),
        (THEFT, _("Theft detected")),
        (EXPIRED, _("Expired")),
        (INACTIVE, _("User deactivated")),
    ]
    values: Final[tuple[str, ...]] = tuple(value for value, _label in choices)

    @classmethod
    def label(cls, value: str) -> StrOrPromise:
        """Return the human-readable label of ``value``."""
        return dict(cls.choices).get(value, value)
