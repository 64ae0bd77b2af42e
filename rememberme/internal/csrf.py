"""
The CSRF token of a restoring request.

Django's ``login()`` rotates the CSRF token (``rotate_token``), but only in
``request.META``. A view decorated with ``csrf_protect`` (the login page,
the remembered-browsers page, the whole admin) runs ``CsrfViewMiddleware``
again, which reads the token afresh from the cookie the browser sent: a
token planted in that cookie before the restore (by a sibling subdomain,
say) would then be checked against, and sent back to the browser, as if
nothing had rotated it, and a forged form post carrying it would act as the
restored user. Every restore therefore makes the rotated token the one any
later CSRF check reads, whatever view the request reaches.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import CSRF_SESSION_KEY

__all__ = ["adopt_rotated_token"]


def adopt_rotated_token(request: HttpRequest) -> None:
    """Make the token ``login()`` rotated on ``request`` the one it carries."""
    secret = request.META.get("CSRF_COOKIE")
    if not request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or not isinstance(secret, str):
        return
    if settings.CSRF_USE_SESSIONS:
        request.session[CSRF_SESSION_KEY] = secret
    else:
        request.COOKIES[settings.CSRF_COOKIE_NAME] = secret
