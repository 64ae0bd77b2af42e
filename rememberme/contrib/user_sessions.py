"""
django-user-sessions support: its "delete session" revokes the token that
session came from (see :mod:`rememberme.contrib.deleted_sessions`).

Connected by ``RememberMeConfig.ready()`` when ``user_sessions`` is
installed: nothing to add to the site's settings.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import pre_delete
from django.utils import timezone

from rememberme.internal import sessions

from .deleted_sessions import revoke_token, token_of_deleted_session

__all__ = ["connect", "revoke_token_of_deleted_session"]


def connect() -> None:
    from user_sessions.models import Session

    pre_delete.connect(
        revoke_token_of_deleted_session,
        sender=Session,
        dispatch_uid="rememberme.user_sessions.deleted",
    )


def revoke_token_of_deleted_session(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Revoke the token of a live session deleted from django-user-sessions' store."""
    token_id = token_of_deleted_session(instance)
    if token_id is None:
        return
    # A new key for the same session (update_session_auth_hash(), a
    # re-authentication): cycle_key() saves the copy, then deletes the
    # original. The token then still has a session saved since this one, so
    # it is not signed out. (Nor is it when this is a stale session that its
    # browser has already replaced through a restore.)
    newer = sender.objects.filter(
        user_id=instance.user_id,
        expire_date__gt=timezone.now(),
        last_activity__gte=instance.last_activity,
    ).exclude(pk=instance.pk)
    if any(sessions.linked_token_id(other.get_decoded()) == token_id for other in newer):
        return
    revoke_token(token_id)
