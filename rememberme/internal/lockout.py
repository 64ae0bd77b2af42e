"""
Lockout apps (django-axes): a restore is not a login attempt.

A restore goes through Django's ``login()``, so it sends ``user_logged_in``,
which axes takes for a successful password login: it would log an access
and, with ``AXES_RESET_ON_SUCCESS = True``, clear the failures an attacker
built up against the account. Axes' receiver is therefore wrapped so that
it hears every login except restores (told apart by ``was_restored()``).
And a user axes has locked out is not restored: the token waits, unused,
until the lockout ends or the user signs in again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.signals import user_logged_in

from .freshness import was_restored

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = ["connect", "is_locked_out"]

AXES_APP = "axes"


def is_locked_out(user: Any, request: HttpRequest | None) -> bool:
    """Return whether django-axes, if installed, has locked ``user`` (or this client) out."""
    if request is None or not apps.is_installed(AXES_APP):
        return False
    if not getattr(settings, "AXES_ENABLED", True):
        return False
    # Imported here: django-axes is optional. AxesProxyHandler is its public
    # interface to whichever handler (database, cache) the site configured.
    from axes.handlers.proxy import AxesProxyHandler

    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    return bool(AxesProxyHandler.is_locked(request, {field: user.get_username()}))


def connect() -> None:
    """Put a wrapper that skips restores in place of axes' ``user_logged_in`` receiver."""
    if not apps.is_installed(AXES_APP):
        return
    # Importing axes.signals connects its receivers (axes does the same in
    # its AppConfig.ready()), whichever app is readied first.
    from axes import signals as axes_signals

    if user_logged_in.disconnect(axes_signals.handle_user_logged_in):
        user_logged_in.connect(_axes_user_logged_in, dispatch_uid="rememberme.axes_logged_in")


def _axes_user_logged_in(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and was_restored(request):
        return
    from axes import signals as axes_signals

    axes_signals.handle_user_logged_in(sender=sender, request=request, **kwargs)
