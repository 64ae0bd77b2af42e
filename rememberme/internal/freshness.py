"""
How, and how recently, the user of a session proved who they are.

A remember-me token proves a browser, not a person. So a session records
two facts here: whether it was established by a token (:func:`was_restored`),
and when its user last proved a credential (:func:`is_fresh`): a login
other than a restore, or a re-authentication. Views that change a password
or an e-mail ask for a fresh session (``fresh_login_required``); other apps
(lockout counters, audit logs) ask ``was_restored()``.

Both facts live in the session, so they hold on every later request of that
session whatever ``SESSION_ENGINE`` keeps it, and end with it.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import resolve_url
from django.utils import timezone

from . import sessions
from .conf import app_settings, to_timedelta
from .state import find_state

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseRedirect

__all__ = [
    "clear_fresh",
    "clear_restored",
    "is_fresh",
    "mark_fresh",
    "record_login",
    "stale_login_redirect",
    "was_restored",
]

#: When the user last proved a credential in this session, in epoch seconds.
FRESH_KEY = sessions.FRESH_KEY
#: Present (True) in a session established by a remember-me token.
RESTORED_KEY = sessions.RESTORED_KEY


def mark_fresh(request: HttpRequest) -> None:
    """Record that the user of ``request`` just proved a credential (a re-authentication)."""
    request.session[FRESH_KEY] = int(timezone.now().timestamp())


def is_fresh(request: HttpRequest, max_age: datetime.timedelta | int | None = None) -> bool:
    """
    Return whether the signed-in user proved a credential in this session
    (a login other than a restore, or a re-authentication) and, with
    ``max_age`` (a ``timedelta`` or seconds), no longer ago than that.

    A restored session is not fresh until its user re-authenticates.
    """
    limit = to_timedelta(max_age, "max_age", allow_none=True)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    proved = request.session.get(FRESH_KEY)
    if not isinstance(proved, int) or isinstance(proved, bool):
        return False
    if limit is None:
        return True
    return timezone.now().timestamp() - proved <= limit.total_seconds()


def was_restored(request: HttpRequest) -> bool:
    """
    Return whether the session of ``request`` was established by a
    remember-me token: true from the restoring request on (inside the
    restore's ``user_logged_in`` receivers too) and on every later request
    of that session, false after a login with a credential.
    """
    state = find_state(request)
    if state is not None and state.restored:
        return True
    session = getattr(request, "session", None)
    return session is not None and session.get(RESTORED_KEY) is True


def clear_restored(request: HttpRequest) -> None:
    """
    Forget that the session came from a token, before a login with a
    credential, so that its ``user_logged_in`` receivers see a login.
    """
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(RESTORED_KEY, None)


def clear_fresh(request: HttpRequest) -> None:
    """Forget that the user of this session proved a credential."""
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(FRESH_KEY, None)


def record_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """
    On ``user_logged_in``: a restore marks the session restored and not
    fresh; a login that proves no credential (``login(..., fresh=False)``)
    marks it neither; any other login marks it fresh (the user just proved
    a credential) and no longer restored.
    """
    session = getattr(request, "session", None)
    if request is None or session is None:
        return
    state = find_state(request)
    if state is not None and state.restored:
        session[RESTORED_KEY] = True
        session.pop(FRESH_KEY, None)
        return
    session.pop(RESTORED_KEY, None)
    if state is not None and state.unproved:
        session.pop(FRESH_KEY, None)
    else:
        mark_fresh(request)
    if state is not None:
        state.signed_in = user.pk


def stale_login_redirect(
    request: HttpRequest,
    max_age: datetime.timedelta | int | None,
    login_url: str | None,
    redirect_field_name: str,
) -> HttpResponseRedirect | None:
    """
    Return where a view that needs a fresh session sends ``request``, or
    ``None`` if it may go on: anonymous users to the login page, signed-in
    users whose session is not fresh to ``REMEMBERME_REAUTHENTICATE_URL``,
    each with this page as ``next``.
    """
    if not request.user.is_authenticated:
        target = resolve_url(login_url or settings.LOGIN_URL)
    elif is_fresh(request, max_age):
        return None
    else:
        target = resolve_url(app_settings.REAUTHENTICATE_URL)
    # As Django's login_required: a path when the target is on this site,
    # the full URL otherwise.
    path = request.build_absolute_uri()
    target_scheme, target_netloc = urlsplit(target)[:2]
    current_scheme, current_netloc = urlsplit(path)[:2]
    if (not target_scheme or target_scheme == current_scheme) and (
        not target_netloc or target_netloc == current_netloc
    ):
        path = request.get_full_path()
    return redirect_to_login(path, target, redirect_field_name)
