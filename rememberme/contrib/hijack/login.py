"""
Impersonation with django-hijack, signed in as a login that proves nothing.

Acquiring a user signs them in with ``rememberme.login(..., fresh=False)``:
the session is not fresh, no token is issued, and the browser keeps the
administrator's token (so a browser restart brings the administrator back).

Django's ``login()`` flushes the session when the user changes, and with it
what rememberme knows of the administrator's session: whether it was
fresh or restored, and the token it is tied to. That is kept in a stack
beside django-hijack's own ``hijack_history`` and put back on release, so
the administrator returns to the session they had, not to a fresh one.
A session made from a device-bound series stays bound throughout: it
still requires the device's bound cookie while impersonating and after.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import rememberme
from rememberme.internal import dbsc, sessions
from rememberme.models import RememberToken
from rememberme.signals import RevokeReason

__all__ = ["STACK_KEY", "forget_impersonators_on_logout", "impersonation_login"]

#: Session key of the stack: one [user pk, saved session keys] per
#: impersonation under way, the innermost last.
STACK_KEY = sessions.HIJACK_STACK_KEY

_SAVED_KEYS = sessions.SIGN_IN_KEYS


def impersonation_login(request: HttpRequest, user: Any, backend: str | None = None) -> None:
    """Stand in for Django's ``login()`` in django-hijack's acquire and release views."""
    session = request.session
    stack = session.get(STACK_KEY)
    stack = list(stack) if isinstance(stack, list) else []
    saved: dict[str, Any] | None = None
    if stack and stack[-1][0] == str(user.pk):
        # The release: back to the user who acquired.
        saved = stack.pop()[1]
    else:
        hijacker = request.user
        kept = {key: session[key] for key in _SAVED_KEYS if key in session}
        stack.append([str(hijacker.pk), kept])
    # The browser is the same device, bound or not: login() drops the bound
    # mark (a sign-in that is not a restore), so it is put back, lest a
    # copy of the session cookie work without the device's bound cookie.
    bound = session.get(dbsc.SESSION_KEY)
    rememberme.login(request, user, remember=False, backend=backend, fresh=False)
    if bound is not None:
        session[dbsc.SESSION_KEY] = bound
    if saved:
        session.update(saved)
    if stack:
        session[STACK_KEY] = stack
    else:
        session.pop(STACK_KEY, None)


def forget_impersonators_on_logout(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """
    A logout during an impersonation revokes the tokens of the sessions it
    stood on, the administrator's among them.

    The logout deletes the browser's cookie, which is the administrator's:
    their token, left valid, would be a remembered browser that no browser
    holds any more.
    """
    session = getattr(request, "session", None)
    stack = session.get(STACK_KEY) if session is not None else None
    if not isinstance(stack, list):
        return
    for _pk, saved in stack:
        token_id = sessions.linked_token_id(saved) if isinstance(saved, dict) else None
        if token_id is None:
            continue
        token = RememberToken.objects.for_write().filter(pk=token_id).first()
        if token is not None:
            token.revoke(RevokeReason.LOGOUT, request=request)
