"""
Receivers that keep tokens in step with Django's own auth events.

Connected in ``RememberMeConfig.ready()`` with ``dispatch_uid`` so they are
connected once whatever imports this module.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import get_hasher, identify_hasher
from django.http import HttpRequest

from . import signals
from .api import forget_browser
from .crypto import password_fingerprint, password_fingerprint_matches
from .models import RememberToken, RevokeReason
from .state import find_state

__all__ = [
    "forget_on_logout",
    "revoke_foreign_token_on_login",
    "track_password_before_save",
    "track_password_change",
]

_PREVIOUS_PASSWORD = "_rememberme_previous_password"  # noqa: S105 (an attribute name)


def revoke_foreign_token_on_login(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """
    On a sign-in (not a restore), drop a token cookie that belongs to
    another user, so it cannot later restore that user in this browser.
    """
    state = find_state(request) if request is not None else None
    if state is None or state.restored or state.cookie is None:
        return
    token = RememberToken.objects.filter(selector=state.cookie.selector).first()
    if token is not None and token.user_id != user.pk:
        token.revoke(RevokeReason.LOGOUT, request=request)
        state.delete_cookie()


def forget_on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Every ``logout()`` revokes this browser's token and deletes its cookie."""
    if request is None:
        return
    token = forget_browser(request, RevokeReason.LOGOUT)
    signals.session_ended.send(
        sender=RememberToken, request=request, user=user, token=token, reason="logout"
    )


def _is_hash_upgrade_save(instance: Any, update_fields: Any) -> bool:
    # Django's check_password() upgrades an outdated hash through a setter
    # that calls set_password(), clears _password ("Password hash upgrades
    # shouldn't be considered password changes", auth/base_user.py) and
    # saves with update_fields=["password"]. That is the only save with
    # this shape that Django makes.
    return (
        getattr(instance, "_password", None) is None
        and update_fields is not None
        and set(update_fields) == {"password"}
    )


def track_password_before_save(
    sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any
) -> None:
    """Remember the hash a hash-upgrade save replaces (one query, at upgrades only)."""
    if instance.pk is None or not _is_hash_upgrade_save(instance, update_fields):
        return
    previous = (
        type(instance)
        ._default_manager.filter(pk=instance.pk)
        .values_list("password", flat=True)
        .first()
    )
    setattr(instance, _PREVIOUS_PASSWORD, previous)


def _was_outdated(password_hash: str) -> bool:
    """Return whether Django would upgrade ``password_hash`` at the next login."""
    try:
        hasher = identify_hasher(password_hash)
    except ValueError:
        return False
    return hasher.algorithm != get_hasher().algorithm or hasher.must_update(password_hash)


def track_password_change(
    sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    """
    A password change revokes every token of the user; a hash upgrade of
    the same password (Django's, at login) re-keys them instead.
    """
    if created:
        return
    if getattr(instance, "_password", None) is not None:
        # set_password() was called: the same condition on which Django
        # sends password_changed() to the password validators.
        RememberToken.objects.filter(user=instance).revoke(RevokeReason.PASSWORD_CHANGE)
        return
    previous = instance.__dict__.pop(_PREVIOUS_PASSWORD, None)
    if (
        not previous
        or previous == instance.password
        or not _is_hash_upgrade_save(instance, update_fields)
    ):
        return
    if not _was_outdated(previous):
        # Not an upgrade Django would make: a new hash written directly.
        # Tokens stay as they are and fail their fingerprint check.
        return
    new_fingerprint = password_fingerprint(instance.password)
    for token in RememberToken.objects.active().filter(user=instance):
        if password_fingerprint_matches(token.password_fingerprint, previous):
            RememberToken.objects.filter(pk=token.pk).update(password_fingerprint=new_fingerprint)
