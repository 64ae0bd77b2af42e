"""
A session deleted while it is still live revokes the token it came from.

Session lists (django-user-sessions' "delete session", allauth.usersessions'
"sign out other sessions") end a browser's session by deleting it from the
session store. Without more, the remember-me token of that browser would
sign it straight back in on its next request: for a remembered browser,
"sign out" has to reach the token too. Only deletions of live sessions
count: a session that ends by itself (expiry, ``clearsessions``) leaves its
token alone: a session that merely ends does not revoke its browser's
token (docs/security.rst).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from rememberme.internal import sessions
from rememberme.models import RememberToken
from rememberme.signals import RevokeReason

__all__ = ["revoke_token", "token_of_deleted_session"]


def token_of_deleted_session(instance: Any) -> int | None:
    """
    Return the token that the session row ``instance``, being deleted, came
    from; ``None`` if it came from none or has expired (then it is being
    cleared away, not signed out).
    """
    if instance.expire_date <= timezone.now():
        return None
    return sessions.linked_token_id(instance.get_decoded())


def revoke_token(token_id: int, request: HttpRequest | None = None) -> None:
    """Revoke the token ``token_id``: its user signed its browser out."""
    RememberToken.objects.filter(pk=token_id).revoke(RevokeReason.USER, request=request)
