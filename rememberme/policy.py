"""
Per-user rules: who may be remembered, and for how long.

``REMEMBERME_POLICY`` names a subclass of :class:`RememberMePolicy` by its
dotted path, as ``AUTHENTICATION_BACKENDS`` and ``SESSION_ENGINE`` name
theirs. Every method defaults to the matching setting, so a project
overrides only the rule that differs::

    class StaffPolicy(RememberMePolicy):
        def can_remember(self, user, request):
            return not user.is_staff

Why a class rather than a setting naming one callable: the decisions are
related (an account that may be remembered for one day only also wants a
shorter absolute cap), each has a sensible default that a subclass keeps by
not overriding it, and methods can share helpers. It is imported on first
use, never at import time, and a path that does not import is reported by
``manage.py check`` (``rememberme.E015``).
"""

from __future__ import annotations

import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from .internal.conf import DEFAULT_POLICY, app_settings

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = ["DEFAULT_POLICY", "RememberMePolicy", "get_policy"]


class RememberMePolicy:
    """The default rules: the ``REMEMBERME_*`` settings, the same for everyone."""

    def can_remember(self, user: Any, request: HttpRequest | None) -> bool:
        """
        Return whether ``user`` may be remembered in this browser.

        Asked when a token is issued (a refusal makes the login an ordinary,
        unremembered one) and whenever a token would restore a session (a
        refusal leaves the request anonymous and deletes the cookie, without
        revoking the token). ``request`` is ``None`` outside a request.
        """
        return True

    def token_age(self, user: Any) -> datetime.timedelta:
        """Return the idle lifetime of ``user``'s tokens (``REMEMBERME_TOKEN_AGE``)."""
        return app_settings.TOKEN_AGE

    def token_max_age(self, user: Any) -> datetime.timedelta | None:
        """Return the absolute lifetime of ``user``'s tokens (``REMEMBERME_TOKEN_MAX_AGE``)."""
        return app_settings.TOKEN_MAX_AGE

    def session_age(self, user: Any) -> datetime.timedelta | None:
        """Return the expiry of remembered and restored sessions (``REMEMBERME_SESSION_AGE``)."""
        return app_settings.SESSION_AGE

    def unremembered_session_age(self, user: Any) -> datetime.timedelta | None:
        """
        Return the expiry of sessions not remembered: box unticked, or
        refused by :meth:`can_remember` (``REMEMBERME_UNREMEMBERED_SESSION_AGE``).
        """
        return app_settings.UNREMEMBERED_SESSION_AGE


@lru_cache(maxsize=8)
def _load(path: str) -> RememberMePolicy:
    policy_class = import_string(path)
    policy = policy_class()
    if not isinstance(policy, RememberMePolicy):
        raise TypeError(f"REMEMBERME_POLICY {path!r} is not a subclass of {DEFAULT_POLICY}.")
    return policy


def get_policy() -> RememberMePolicy:
    """Return the policy ``REMEMBERME_POLICY`` names (one instance per path)."""
    return _load(app_settings.POLICY)
