"""
Whether a live session still stands on the token it came from: asked every
``REMEMBERME_REVALIDATE_INTERVAL`` by the middleware (:func:`revalidate`)
and by the status endpoint (:func:`session_token_stands`).
"""

from __future__ import annotations

import datetime
import logging

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from ..models import RememberToken
from ..signals import RevokeReason
from . import sessions

__all__ = ["revalidate", "session_token_stands"]

logger = logging.getLogger("rememberme")


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
