"""
What one request knows and wants of the token cookie.

The middleware keeps the cookie as sent in a :class:`RequestState` on the
way in (parsed once, and only if something needs it); views, receivers and
the Python API record here what the cookie should become; the middleware
writes it once on the way out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter

from .conf import app_settings
from .cookie import CookieValue, parse_cookie_value

__all__ = [
    "RequestState",
    "attach_state",
    "find_state",
    "get_state",
    "read_state",
    "sent_cookies",
    "write_cookie",
]

_ATTRIBUTE = "_rememberme"


@dataclass
class RequestState:
    # The cookie as sent: a secret, so never part of repr().
    raw_cookie: str | None = field(default=None, repr=False)
    # What to do with the cookie on the response: None leaves it alone.
    new_value: CookieValue | None = field(default=None, repr=False)
    new_expires_at: datetime.datetime | None = None
    delete: bool = False
    # How this request got its user, for templates and the status view.
    restored: bool = False
    # Views that must not count as activity (the status endpoint) set this.
    passive: bool = False
    # The pk of the user a login() other than a restore signed in on this
    # request, so that rememberme.login() after a third-party login view's
    # own login() does not sign them in twice.
    signed_in: Any = None
    # True during a login() that proves no credential (rememberme.login(...,
    # fresh=False)): it makes no session fresh and revokes no token.
    unproved: bool = False
    # The auth hash a linked session arrived with: a change during the
    # request is a password change made by this browser.
    session_auth_hash: str | None = field(default=None, repr=False)
    # The expiry this request's sign-in gave the session, given again on the
    # way out (see keep_session_age); a 1-tuple because None is an expiry.
    session_age: tuple[datetime.timedelta | None] | None = None
    # Whether the browser presented a valid token of the user it is being
    # remembered for (notifications.note_known_browser); None: not asked.
    known_browser: bool | None = None
    # The data of a session ended on this request past its own expiry, for
    # the session_ended signal (see expiry.ended_session_data).
    ended_session: dict[str, Any] | None = field(default=None, repr=False)
    # The session key the token row holds as far as this request knows (the
    # key the session arrived with, or the one a restore or remember()
    # recorded): a linked session that leaves with another key (a
    # re-authentication, update_session_auth_hash()) records its new key.
    session_key: str | None = field(default=None, repr=False)
    # The live session was refused (a device-bound session without its bound
    # cookie): see session_refused.
    refused: bool = False
    _parsed: tuple[CookieValue | None] | None = field(default=None, init=False, repr=False)

    @property
    def cookie(self) -> CookieValue | None:
        """The parsed cookie, or ``None`` when absent or malformed."""
        # Parsed on first use: a signed-in request whose session is live
        # never needs it.
        if self._parsed is None:
            self._parsed = (parse_cookie_value(self.raw_cookie),)
        return self._parsed[0]

    @property
    def session_refused(self) -> bool:
        """
        Return whether the request's session was refused and nobody signed
        in since: whoever sent it may be someone other than its owner, and
        acts on nothing of it (its token least of all).
        """
        return self.refused and self.signed_in is None

    def set_cookie(self, value: CookieValue, expires_at: datetime.datetime) -> None:
        """Send ``value`` as the token cookie on the response."""
        self.new_value, self.new_expires_at, self.delete = value, expires_at, False

    def delete_cookie(self) -> None:
        """Delete the token cookie on the response (if the browser sent one)."""
        self.new_value, self.new_expires_at, self.delete = None, None, True

    def keep_session_age(self, age: datetime.timedelta | None) -> None:
        """
        Give the signed-in session the expiry ``age`` on the response, even
        if something sets another after the sign-in: allauth's login form
        calls ``set_expiry()`` after ``login()`` has sent ``user_logged_in``.
        """
        self.session_age = (age,)

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


def sent_cookies(request: HttpRequest) -> bool:
    """Return whether the browser sent the token cookie or the session cookie."""
    return (
        app_settings.COOKIE_NAME in request.COOKIES
        or settings.SESSION_COOKIE_NAME in request.COOKIES
    )


def read_state(request: HttpRequest) -> RequestState:
    """Keep the token cookie as sent in a new state attached to ``request``; return it."""
    # Every request passes here: read one setting, parse nothing yet.
    name = app_settings.COOKIE_NAME
    state = RequestState(raw_cookie=request.COOKIES.get(name))
    # The value is a secret. Django's error reports (the DEBUG page, the
    # admins' mail) list request.COOKIES with their values, hiding only
    # names that look secret ("rememberme" does not), and show each
    # frame's local variables: from here on it lives in the state alone,
    # whose repr() hides it.
    if state.raw_cookie is not None:
        request.COOKIES[name] = SafeExceptionReporterFilter.cleansed_substitute
    attach_state(request, state)
    return state


def write_cookie(request: HttpRequest, response: HttpResponseBase, state: RequestState) -> None:
    """Set or delete the token cookie on ``response`` as ``state`` says, or leave it alone."""
    if state.new_value is not None:
        response.set_cookie(
            app_settings.COOKIE_NAME,
            state.new_value.encode(),
            max_age=state.max_age(),
            path=app_settings.COOKIE_PATH,
            domain=app_settings.COOKIE_DOMAIN,
            secure=app_settings.COOKIE_SECURE,
            httponly=app_settings.COOKIE_HTTPONLY,
            samesite=app_settings.COOKIE_SAMESITE,  # type: ignore[arg-type]
        )
    elif state.delete and (name := app_settings.COOKIE_NAME) in request.COOKIES:
        response.delete_cookie(
            name,
            path=app_settings.COOKIE_PATH,
            domain=app_settings.COOKIE_DOMAIN,
            samesite=app_settings.COOKIE_SAMESITE,  # type: ignore[arg-type]
        )
