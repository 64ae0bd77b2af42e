"""
Signing out a browser whose session has already ended.

A sign-out form stays on the screen while the session behind it expires.
Restoring a session for the POST that presses "Sign out" would rotate the
CSRF token (every restore must), so the form's token would be refused
(403), and the refusal would still carry the new session and token cookies:
the user would stay signed in and remembered. A POST to a logout view is
therefore never restored. The token cookie it carries is judged by the
restore's own rule (``tokens.check_token()``), and the rotation it would
ask for is not made: a cookie that would sign in (the current verifier,
the one just replaced within the grace window, or a replaced one whose
rotation never reached its browser) revokes its token with reason
``logout``; a device-bound series without its bound cookie revokes nothing
(a copied cookie proves nothing, see dbsc.py); a replaced verifier that
would be theft at a restore is theft here too. Junk, unknown and revoked
cookies revoke nothing and cost no Argon2 work. The cookie is deleted
whatever it was worth, and the view then signs out the (anonymous)
request, which deletes the session cookie.

Logout views are recognised by their class and the method that signs out:
Django's ``LogoutView`` (and so the bundled one) on POST, allauth's
``LogoutView`` on POST and allauth.headless' session view on DELETE (by
name, without importing allauth), or any view with ``rememberme_logout =
True`` on POST.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.views import LogoutView as DjangoLogoutView
from django.http import HttpRequest
from django.urls import Resolver404, resolve

from ..signals import RevokeReason
from .state import RequestState
from .tokens import Outcome, check_token

__all__ = ["LOGOUT_VIEW_CLASSES", "is_logout", "is_logout_view", "sign_out", "verified_owner"]

logger = logging.getLogger("rememberme")

# Views known to sign out, by module (or package), class name and the
# method that signs out: imported nowhere, so the app they belong to may be
# absent. allauth documents allauth.account.views.LogoutView (recent
# versions define it in a private module of that package); allauth.headless'
# browser client signs out with DELETE on its session endpoint.
LOGOUT_VIEW_CLASSES = frozenset(
    {
        ("allauth.account.views", "LogoutView", "POST"),
        ("allauth.headless.account.views", "SessionView", "DELETE"),
    }
)

_OWNER = "_rememberme_signed_out_owner"  # request attribute


def is_logout_view(view: Any, method: str = "POST") -> bool:
    """Return whether ``view`` (a view function or class) signs out on ``method``."""
    view_class = getattr(view, "view_class", view)
    if method == "POST":
        if getattr(view, "rememberme_logout", False):
            return True
        if isinstance(view_class, type) and (
            issubclass(view_class, DjangoLogoutView)
            or getattr(view_class, "rememberme_logout", False)
        ):
            return True
    if not isinstance(view_class, type):
        return False
    return any(_known(cls, method) for cls in view_class.__mro__)


def _known(cls: type, method: str) -> bool:
    module = cls.__module__
    return any(
        cls.__qualname__ == name
        and method == known_method
        and (module == package or module.startswith(package + "."))
        for package, name, known_method in LOGOUT_VIEW_CLASSES
    )


def is_logout(request: HttpRequest) -> bool:
    """Return whether ``request`` asks a logout view to sign out."""
    if request.method not in ("POST", "DELETE"):
        return False
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return is_logout_view(match.func, request.method)


def sign_out(request: HttpRequest, state: RequestState) -> None:
    """Revoke the token the request's cookie proves (see above); delete the cookie."""
    state.delete_cookie()
    if state.cookie is None:
        return
    # The restore's judgement, and everything it does on its own: an
    # unusable token revoked for its reason, theft reported once.
    verdict = check_token(request, state.cookie)
    token = verdict.token
    if token is None or not (verdict.signs_in or verdict.rotates):
        return
    if verdict.outcome is Outcome.REPAIR:
        # Proved only while the rotation is still not shown to have arrived:
        # an arrival recorded since makes this cookie a copy after all.
        revoked = (
            type(token)
            ._default_manager.filter(pk=token.pk, rotation_arrived=False)
            .revoke(RevokeReason.LOGOUT, request=request)
        )
        if not revoked:
            return
    else:
        token.revoke(RevokeReason.LOGOUT, request=request)
    setattr(request, _OWNER, token.user)
    logger.info("Remember-me token %s revoked by a sign-out after its session ended.", token.pk)


def verified_owner(request: HttpRequest) -> Any:
    """Return the user whose token this request's sign-out proved and revoked, or ``None``."""
    return getattr(request, _OWNER, None)
