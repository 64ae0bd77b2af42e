"""
What one request knows and wants of the token cookie.

The middleware parses the cookie once into a :class:`RequestState` on the
way in; views, receivers and the Python API record here what the cookie
should become; the middleware writes it once on the way out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils import timezone

from .crypto import CookieValue

__all__ = ["RequestState", "attach_state", "find_state", "get_state"]

_ATTRIBUTE = "_rememberme"


@dataclass
class RequestState:
    # The cookie as sent: a secret, so never part of repr().
    raw_cookie: str | None = field(default=None, repr=False)
    cookie: CookieValue | None = None
    # What to do with the cookie on the response: None leaves it alone.
    new_value: CookieValue | None = field(default=None, repr=False)
    new_expires_at: datetime.datetime | None = None
    delete: bool = False
    # How this request got its user, for templates and the status view.
    restored: bool = False
    # Views that must not count as activity (the status endpoint) set this.
    passive: bool = False
    # The auth hash a linked session arrived with: a change during the
    # request is a password change made by this browser.
    session_auth_hash: str | None = field(default=None, repr=False)

    def set_cookie(self, value: CookieValue, expires_at: datetime.datetime) -> None:
        """Send ``value`` as the token cookie on the response."""
        self.new_value, self.new_expires_at, self.delete = value, expires_at, False

    def delete_cookie(self) -> None:
        """Delete the token cookie on the response (if the browser sent one)."""
        self.new_value, self.new_expires_at, self.delete = None, None, True

    def max_age(self) -> int:
        """Return the seconds left until the cookie to set expires."""
        assert self.new_expires_at is not None
        return max(0, round((self.new_expires_at - timezone.now()).total_seconds()))


def find_state(request: HttpRequest) -> RequestState | None:
    """Return the request's state, or ``None`` if the middleware did not run."""
    state: RequestState | None = getattr(request, _ATTRIBUTE, None)
    return state


def get_state(request: HttpRequest) -> RequestState:
    """Return the request's state; raise if the middleware is not installed."""
    state = find_state(request)
    if state is None:
        raise ImproperlyConfigured(
            "The remember-me cookie can only be written when "
            "'rememberme.middleware.RememberMeMiddleware' is in MIDDLEWARE. "
            "Add it after 'django.contrib.auth.middleware.AuthenticationMiddleware'."
        )
    return state


def attach_state(request: HttpRequest, state: RequestState) -> None:
    setattr(request, _ATTRIBUTE, state)
