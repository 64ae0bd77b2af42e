"""
Signals sent by django-rememberme.

Every signal is sent with ``sender`` set to the ``RememberToken`` model and
the keyword arguments listed above it. ``request`` is ``None`` where no
request exists (the admin sends one, the purge command does not).
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = [
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

# A token was revoked: request, user, token, reason (one of "logout",
# "logout_all", "admin", "user", "password_change", "theft", "expired",
# "inactive").
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
