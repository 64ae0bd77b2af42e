"""
Signing out a browser whose session has already ended.

A sign-out form stays on the screen while the session behind it expires.
Restoring a session for the POST that presses "Sign out" would rotate the
CSRF token (every restore must), so the form's token would be refused
(403), and the refusal would still carry the new session and token cookies:
the user would stay signed in and remembered. A POST to a logout view is
therefore never restored. The token cookie it carries is checked like a
restore checks it, without the rotation: the current verifier (or the one
the last rotation replaced, within the grace window) revokes its token with
reason ``logout``; a replaced verifier outside the window is theft, as
anywhere else. Junk, unknown and revoked cookies revoke nothing and cost no
Argon2 work. The cookie is deleted whatever it was worth, and the view then
signs out the (anonymous) request, which deletes the session cookie.

Logout views are recognised by their class: Django's ``LogoutView`` (and
so the bundled one), allauth's ``LogoutView`` (by name, without importing
allauth), or any view with ``rememberme_logout = True``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.views import LogoutView as DjangoLogoutView
from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils import timezone

from ..signals import RevokeReason
from .lookup import find_with_user
from .state import RequestState
from .theft import report_theft
from .tokens import presents_accepted

__all__ = ["LOGOUT_VIEW_CLASSES", "is_logout", "is_logout_view", "sign_out", "verified_owner"]

logger = logging.getLogger("rememberme")

# Views known to sign out, by module (or package) and class name: imported
# nowhere, so the app they belong to may be absent. allauth documents
# allauth.account.views.LogoutView; recent versions define it in a private
# module of that package.
LOGOUT_VIEW_CLASSES = frozenset({("allauth.account.views", "LogoutView")})

_OWNER = "_rememberme_signed_out_owner"  # request attribute


def is_logout_view(view: Any) -> bool:
    """Return whether ``view`` (a view function or class) signs out on POST."""
    if getattr(view, "rememberme_logout", False):
        return True
    view_class = getattr(view, "view_class", view)
    if not isinstance(view_class, type):
        return False
    if issubclass(view_class, DjangoLogoutView) or getattr(view_class, "rememberme_logout", False):
        return True
    return any(_known(cls) for cls in view_class.__mro__)


def _known(cls: type) -> bool:
    module = cls.__module__
    return any(
        cls.__qualname__ == name and (module == package or module.startswith(package + "."))
        for package, name in LOGOUT_VIEW_CLASSES
    )


def is_logout(request: HttpRequest) -> bool:
    """Return whether ``request`` is a POST to a logout view."""
    if request.method != "POST":
        return False
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return is_logout_view(match.func)


def sign_out(request: HttpRequest, state: RequestState) -> None:
    """Revoke the token the request's cookie proves (see above); delete the cookie."""
    state.delete_cookie()
    cookie = state.cookie
    if cookie is None:
        return
    token = find_with_user(cookie.selector)
    now = timezone.now()
    if token is None or token.revoked_at is not None or token.is_expired(now):
        return
    if presents_accepted(token, cookie, now):
        token.revoke(RevokeReason.LOGOUT, request=request)
        setattr(request, _OWNER, token.user)
        logger.info(
            "Remember-me token %s revoked by a sign-out after its session ended.", token.pk
        )
        return
    # Only a copy of an older cookie carries a known selector with a wrong
    # verifier: signing out does not make it less of a theft.
    report_theft(request, token)


def verified_owner(request: HttpRequest) -> Any:
    """Return the user whose token this request's sign-out proved and revoked, or ``None``."""
    return getattr(request, _OWNER, None)
