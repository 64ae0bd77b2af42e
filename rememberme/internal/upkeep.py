"""
The token kept in step with its session on the way out: what
``RememberMeMiddleware.process_response`` asks of every response whose
session came from a token. Each costs a query only on the request that
changes what it follows (a password, a persistent value, the session key).
"""

from __future__ import annotations

import logging

from django.contrib.auth import HASH_SESSION_KEY
from django.db import DatabaseError
from django.http import HttpRequest

from ..models import RememberToken
from ..signals import RevokeReason
from . import persistent, session_keys, sessions
from .api import remember
from .state import RequestState

__all__ = ["follow_session_key", "renew_after_password_change", "save_persistent_values"]

logger = logging.getLogger("rememberme")


def renew_after_password_change(request: HttpRequest, state: RequestState) -> None:
    """
    Keep remembering the browser that changed the password.

    A password change revokes every token (receivers.py). The browser that
    made it proved the old password and keeps its session through
    update_session_auth_hash(), which is what changes the session's auth
    hash during the request: that browser gets a new token, so it stays
    remembered while every other browser is signed out. Costs one query,
    only on that request.
    """
    session = getattr(request, "session", None)
    if (
        session is None
        or state.session_auth_hash is None
        or session.get(HASH_SESSION_KEY) in (None, state.session_auth_hash)
        or not request.user.is_authenticated
    ):
        return
    token_id = sessions.linked_token_id(session)
    if token_id is None:
        return
    try:
        token = (
            RememberToken.objects.for_write().filter(pk=token_id, user_id=request.user.pk).first()
        )
        if token is not None and token.revoke_reason == RevokeReason.PASSWORD_CHANGE:
            # The session came from that token, valid until this very change.
            state.known_browser = True
            remember(request)
    except DatabaseError:
        # Still signed in, just no longer remembered: never a failed response.
        logger.exception("Could not re-issue the remember-me token after a password change.")


def save_persistent_values(request: HttpRequest) -> None:
    """Keep the session's changed ``REMEMBERME_PERSISTENT_SESSION_KEYS`` values with its token."""
    session = getattr(request, "session", None)
    if session is None or not session.modified or not persistent.keys():
        return
    token_id = sessions.linked_token_id(session)
    if token_id is None:
        return
    values = persistent.values_changed(session)
    if values is None or persistent.storable(values) is None:
        # Unchanged, or refused (and logged once per change: the digest now
        # records them).
        return
    try:
        RememberToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(
            session_data=values
        )
    except DatabaseError:
        # Not saved: forget the digest so the next change tries again.
        logger.exception("Could not save persistent session values with the token.")
        persistent.forget_persisted(session)


def follow_session_key(request: HttpRequest, state: RequestState) -> None:
    """
    Record with the token the new key of a linked session whose key changed
    on this request, so that revoking the token still ends it. One UPDATE,
    only on the requests that change the key (already writing the session).
    """
    session = getattr(request, "session", None)
    if session is None or not request.user.is_authenticated:
        return
    token_id = sessions.linked_token_id(session)
    # A session that login() flushed (an impersonation's release puts its
    # token back) has no key yet: the one it will take is drawn now.
    key = session_keys.recordable_key(session) if token_id is not None else None
    if key is None or key == state.session_key:
        return
    state.session_key = key
    try:
        # Revoked or not: a browser forgotten while signed in stays within
        # reach of "sign out everywhere" (sessions.mark_forgotten).
        RememberToken.objects.filter(pk=token_id, user_id=request.user.pk).update(
            session_key_sealed=session_keys.seal(key, request.user.pk)
        )
    except DatabaseError:
        # The session then ends at its next revalidation instead.
        logger.exception("Could not record the new session key with the token.")
