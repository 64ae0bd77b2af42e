"""
Receivers that keep tokens in step with Django's own auth events.

Connected in ``RememberMeConfig.ready()`` with ``dispatch_uid`` so they are
connected once whatever imports this module.
"""

from __future__ import annotations

import functools
import logging
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from .. import signals
from ..models import RememberToken
from ..signals import RevokeReason
from .api import forget_browser
from .crypto import password_fingerprint, password_fingerprint_matches
from .state import find_state

__all__ = [
    "forget_on_logout",
    "report_failed_rotation",
    "revoke_foreign_token_on_login",
    "track_password_change",
    "watch_password_rehash",
]

logger = logging.getLogger("rememberme")


def revoke_foreign_token_on_login(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """
    On a sign-in (not a restore), drop a token cookie that belongs to
    another user, so it cannot later restore that user in this browser.

    A login that proves no credential (an impersonation) keeps it: that
    user is who the browser returns to when it ends.
    """
    state = find_state(request) if request is not None else None
    if state is None or state.restored or state.unproved or state.cookie is None:
        return
    token = RememberToken.objects.for_write().find(state.cookie.selector)
    if token is not None and token.user_id != user.pk:
        token.revoke(RevokeReason.LOGOUT, request=request)
        state.delete_cookie()


def report_failed_rotation(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """
    On ``got_request_exception``: say what a failure after a rotation
    committed means, where Django only logs "Internal Server Error".

    Typically the session store failed to save the restored session: the
    new cookie never reaches the browser, which keeps the one it sent.
    That cookie stays accepted within the grace window, and after it is
    replaced with a new one (the lost-response repair) while nothing shows
    the rotation's response arrived: nobody is taken for a thief.
    """
    state = find_state(request) if request is not None else None
    if state is None or state.new_value is None or state.passive:
        return
    logger.error(
        "A request failed after its remember-me token was rotated (the session "
        "store could not save the session?): the new cookie was not delivered. "
        "The browser keeps its previous cookie, which is accepted within "
        "REMEMBERME_ROTATION_GRACE and replaced after it, as for a lost response."
    )


def forget_on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Every ``logout()`` revokes this browser's token and deletes its cookie."""
    if request is None:
        return
    token = forget_browser(request, RevokeReason.LOGOUT)
    signals.session_ended.send(
        sender=RememberToken, request=request, user=user, token=token, reason="logout"
    )


# Django's rehash of a password at login. AbstractBaseUser.check_password()
# (and acheck_password()) hands the hashers a setter that Django calls only
# after the raw password has verified against the stored hash and the hasher
# wants a new one; the setter calls set_password() with that same raw
# password, clears _password ("Password hash upgrades shouldn't be
# considered password changes", auth/base_user.py) and saves with
# update_fields=["password"].
#
# The shape of that save proves nothing by itself: make_password() or
# set_unusable_password() followed by save(update_fields=["password"])
# looks the same, and after a raise of the hasher's work factor the old
# hash is outdated either way; so does a user model whose own
# check_password() locks an expired password inside the check. What only
# the rehash has is where it runs and what it hashes: inside
# check_password() of that very instance, set_password() of the raw
# password being checked. So the user model's check_password(),
# acheck_password() and set_password() are wrapped (once, from
# AppConfig.ready()): the checks record, in a context variable, the
# instance, the hash it is checked against and the raw password; a
# set_password() of that same raw password on that instance records the
# hash it made. A save is a rehash only with that save shape and that hash.
#
# Why not verify the raw password against the new hash instead: it would
# cost a second full password hash at every upgraded login; comparing the
# two raw strings costs nothing.
# A context variable rather than an attribute on the instance: it follows
# the call across asave()'s thread hop (asgiref copies the context, and the
# record itself is shared) and is gone when check_password() returns,
# whatever happens inside it.


class _Check:
    """What a running check_password() call knows (see above)."""

    __slots__ = ("instance", "previous", "raw", "rehashed_to")

    def __init__(self, instance: Any, raw: str | None) -> None:
        self.instance = instance
        self.previous: str = instance.password
        self.raw = raw
        self.rehashed_to: str | None = None


_rehashing: ContextVar[_Check | None] = ContextVar("rememberme_rehashing", default=None)
_WRAPPED = "_rememberme_rehash_aware"


def watch_password_rehash(user_model: type[Any]) -> None:
    """Wrap ``user_model``'s password methods to tell Django's rehash from a change."""
    check = user_model.check_password
    if not getattr(check, _WRAPPED, False):

        @functools.wraps(check)
        def check_password(self: Any, raw_password: str | None) -> Any:
            marker = _rehashing.set(_Check(self, raw_password))
            try:
                return check(self, raw_password)
            finally:
                _rehashing.reset(marker)

        setattr(check_password, _WRAPPED, True)
        user_model.check_password = check_password

    acheck = getattr(user_model, "acheck_password", None)  # Django 5.0+
    if acheck is not None and not getattr(acheck, _WRAPPED, False):

        @functools.wraps(acheck)
        async def acheck_password(self: Any, raw_password: str | None) -> Any:
            marker = _rehashing.set(_Check(self, raw_password))
            try:
                return await acheck(self, raw_password)
            finally:
                _rehashing.reset(marker)

        setattr(acheck_password, _WRAPPED, True)
        user_model.acheck_password = acheck_password

    setter = user_model.set_password
    if not getattr(setter, _WRAPPED, False):

        @functools.wraps(setter)
        def set_password(self: Any, raw_password: str | None) -> Any:
            result = setter(self, raw_password)
            current = _rehashing.get()
            if (
                current is not None
                and current.instance is self
                and isinstance(raw_password, str)
                and isinstance(current.raw, str)
                and constant_time_compare(raw_password, current.raw)
            ):
                current.rehashed_to = self.password
            return result

        setattr(set_password, _WRAPPED, True)
        user_model.set_password = set_password


def _rehashed_from(instance: Any, update_fields: Any) -> str | None:
    """Return the hash Django's rehash of ``instance`` replaced, if this save is one."""
    current = _rehashing.get()
    if (
        current is None
        or current.instance is not instance
        or current.rehashed_to is None
        or current.rehashed_to != instance.password
        or update_fields is None
        or set(update_fields) != {"password"}
        or getattr(instance, "_password", None) is not None
    ):
        return None
    return current.previous


def track_password_change(
    sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    """
    A password change revokes every token of the user; Django's rehash of
    the same password at login re-keys them instead.

    Any other change of the stored hash (make_password(), an unusable
    password, a raw UPDATE) is caught where it matters, when a token is
    presented: its password fingerprint no longer matches, and it is
    revoked then (reason ``password_change``).
    """
    if created:
        return
    if getattr(instance, "_password", None) is not None:
        # set_password() was called: the same condition on which Django
        # sends password_changed() to the password validators.
        RememberToken.objects.for_write(instance=instance).filter(user=instance).revoke(
            RevokeReason.PASSWORD_CHANGE
        )
        return
    previous = _rehashed_from(instance, update_fields)
    if previous is None or previous == instance.password:
        return
    new_fingerprint = password_fingerprint(instance.password)
    for token in RememberToken.objects.for_write(instance=instance).active().filter(user=instance):
        if password_fingerprint_matches(token.password_fingerprint, previous):
            RememberToken.objects.filter(pk=token.pk).update(password_fingerprint=new_fingerprint)
