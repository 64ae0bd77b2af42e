"""
allauth.usersessions: restored sessions are listed, and "sign out other
sessions" revokes the tokens of the browsers it signs out.

usersessions lists the sessions of allauth's own logins; a restore signs in
through Django's ``login()`` instead, so it is added here. Its "sign out"
deletes the session from the session store, then the list's row: the
token is found in the session's data as the store deletes it (see
:mod:`rememberme.contrib.deleted_sessions`). That needs a session engine
that keeps sessions in a model (``db``, ``cached_db``); with the other
engines a signed-out browser's token is not revoked.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from allauth.core import context
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db.models.signals import pre_delete
from django.http import HttpRequest

from rememberme.contrib.deleted_sessions import revoke_token, token_of_deleted_session
from rememberme.internal import sessions

__all__ = ["connect_session_store", "list_restored_session", "revoke_token_of_deleted_session"]


def list_restored_session(sender: Any, request: HttpRequest, **kwargs: Any) -> None:
    """Add a restored session to the user's list of sessions."""
    UserSession.objects.create_from_request(request)


def connect_session_store() -> None:
    """Watch the deletions of ``SESSION_ENGINE``'s session model, if it has one."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    get_model_class = getattr(store, "get_model_class", None)
    if get_model_class is None:
        return
    pre_delete.connect(
        revoke_token_of_deleted_session,
        sender=get_model_class(),
        dispatch_uid="rememberme.allauth.deleted_session",
    )


def revoke_token_of_deleted_session(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Revoke the token of a live session that a request other than its own deletes."""
    token_id = token_of_deleted_session(instance)
    if token_id is None:
        return
    request = context.request
    current = getattr(request, "session", None)
    if current is not None and sessions.linked_token_id(current) == token_id:
        # The session's own request: a new key for it (cycle_key() deletes
        # the old one after writing the copy) or its logout, which has
        # already revoked the token.
        return
    revoke_token(token_id, request)
