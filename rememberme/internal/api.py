"""
The Python API, for login flows other than the bundled view (allauth, DRF,
social login): :func:`login`, :func:`remember`, :func:`forget`,
:func:`revoke_user_tokens`, and the session's history: :func:`was_restored`,
:func:`is_fresh`, :func:`mark_fresh` (from ``freshness``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth import login as django_login

from .. import signals
from ..models import RememberToken
from ..policy import get_policy
from ..signals import RevokeReason
from . import dbsc, freshness, notifications, persistent, secondfactor, session_keys, sessions
from .freshness import is_fresh, mark_fresh, was_restored
from .state import find_state, get_state
from .useragents import client_ip, client_user_agent

if TYPE_CHECKING:
    from django.http import HttpRequest

# The package root exports seven of these (see rememberme/__init__.py);
# forget_browser, this_browsers_token, renew_after_password_change and
# save_persistent_values serve the middleware, receivers and pages.
__all__ = [
    "forget",
    "forget_browser",
    "is_fresh",
    "login",
    "mark_fresh",
    "remember",
    "revoke_user_tokens",
    "this_browsers_token",
    "was_restored",
]

logger = logging.getLogger("rememberme")


def remember(request: HttpRequest) -> RememberToken | None:
    """
    Remember the user signed in on this request in this browser.

    Call it right after Django's ``login()``. A new token is issued (any
    token this browser held is revoked), the session gets
    ``REMEMBERME_SESSION_AGE``, and ``RememberMeMiddleware`` sets the cookie
    on the response. Return the new token.

    If ``REMEMBERME_POLICY`` says the user may not be remembered, nothing is
    issued: the login becomes an unremembered one (this browser forgotten,
    the session given the unremembered age) and ``None`` is returned.
    """
    state = get_state(request)
    user = request.user
    if not user.is_authenticated:
        raise ValueError("remember() needs a signed-in user: call it after login().")
    backend = request.session.get(BACKEND_SESSION_KEY)
    if not backend:
        raise ValueError("remember() needs a session made by django.contrib.auth.login().")
    # Before this browser's token is revoked: is it a browser the user knows?
    notifications.note_known_browser(request, user)
    forget_browser(request, RevokeReason.LOGOUT)
    policy = get_policy()
    if not policy.can_remember(user, request):
        sessions.apply_session_age(request.session, policy.unremembered_session_age(user))
        return None
    values = persistent.current(request.session)
    # After login() flushed a session signed in as another user, the key it
    # will take at the response, recorded by the INSERT below.
    session_key = session_keys.recordable_key(request.session)
    token, value = RememberToken.objects.issue(
        user,
        backend=backend,
        user_agent=client_user_agent(request),
        ip_address=client_ip(request),
        session_data=persistent.storable(values) or {},
        second_factor_device=secondfactor.verified_device(request),
        session_key=session_key,
        request=request,
    )
    state.set_cookie(value, token.expires_at)
    state.session_key = session_key
    sessions.link(request.session, token.pk)
    persistent.mark_persisted(request.session, values)
    sessions.apply_session_age(request.session, policy.session_age(user))
    dbsc.offer_registration(request, token)
    signals.token_issued.send(sender=RememberToken, request=request, user=user, token=token)
    return token


# login()'s keyword argument ``remember`` hides the function's name inside it.
_remember = remember


def login(
    request: HttpRequest,
    user: Any,
    *,
    remember: bool,
    backend: str | None = None,
    fresh: bool = True,
) -> RememberToken | None:
    """
    Sign ``user`` in with Django's ``login()``, then remember this browser
    if ``remember`` is true (see :func:`remember`); otherwise forget any
    token this browser held and give the session
    ``REMEMBERME_UNREMEMBERED_SESSION_AGE`` (by default it ends when the
    browser closes). Return the token issued, if any.

    ``fresh=False`` is for a login that proves no credential: an
    impersonation, a magic link chosen to be weaker. The session is not
    fresh (:func:`is_fresh` is false until the user re-authenticates), and
    with ``remember=False`` the token this browser holds for the user signed
    in before (the impersonating administrator) is neither revoked nor
    replaced: when this session ends, the browser returns to that user.

    If a login view that is not yours already called Django's ``login()``
    for ``user`` on this request (django-two-factor-auth's, say), call this
    after it: the user is not signed in twice, only the remember-me part is
    done.
    """
    state = find_state(request)
    current = getattr(request, "user", None)
    already = (
        state is not None
        and state.signed_in is not None
        and state.signed_in == user.pk
        and current is not None
        and current.is_authenticated
        and current.pk == user.pk
    )
    if not already:
        # So that user_logged_in receivers (axes) see a login with a
        # credential, even in a session that a token established.
        freshness.clear_restored(request)
        if state is not None:
            # Read by the user_logged_in receivers of this login.
            state.unproved = not fresh
        try:
            django_login(request, user, backend=backend)
        finally:
            if state is not None:
                state.unproved = False
    if not fresh:
        freshness.clear_fresh(request)
    if remember:
        return _remember(request)
    if fresh:
        forget(request)
    # Not fresh: the browser's token, if any, is someone else's (the user
    # signed in before), and stays theirs.
    sessions.apply_session_age(request.session, get_policy().unremembered_session_age(user))
    return None


def forget(request: HttpRequest) -> None:
    """
    Revoke this browser's token and delete its cookie on the response.

    The session itself is left alone: call ``logout()`` to end it too (which
    forgets the browser by itself).
    """
    get_state(request)
    forget_browser(request, RevokeReason.LOGOUT)


def revoke_user_tokens(user: Any, *, reason: str, keep: RememberToken | None = None) -> int:
    """
    Revoke every token of ``user``, except ``keep`` if given; return how
    many were revoked. The sessions that came from them end at once where
    the session engine keeps sessions server-side, and within
    ``REMEMBERME_REVALIDATE_INTERVAL`` with signed-cookie sessions.
    """
    if reason not in RevokeReason.values:
        raise ValueError(
            f"Unknown revocation reason {reason!r}; use one of {', '.join(RevokeReason.values)}."
        )
    tokens = RememberToken.objects.for_write(instance=user).filter(user=user)
    if keep is not None:
        tokens = tokens.exclude(pk=keep.pk)
    return tokens.revoke(reason)


def this_browsers_token(request: HttpRequest) -> RememberToken | None:
    """
    Return the token this session came from or, failing that, the token
    whose cookie the signed-in user's browser sent; ``None`` otherwise.

    A cookie alone is not verified here, so it only ever points at a token
    of the user signed in on the request: it is not proof enough to act on
    anyone else's. Nor is a session the middleware refused (see
    ``RequestState.session_refused``): it names no token.
    """
    state = find_state(request)
    if state is not None and state.session_refused:
        return None
    session = getattr(request, "session", None)
    token_id = sessions.linked_token_id(session) if session is not None else None
    if token_id is not None:
        return RememberToken.objects.for_write().filter(pk=token_id).first()
    user = getattr(request, "user", None)
    if state is None or state.cookie is None or user is None or not user.is_authenticated:
        return None
    return RememberToken.objects.for_write().filter(user_id=user.pk).find(state.cookie.selector)


def forget_browser(request: HttpRequest, reason: str) -> RememberToken | None:
    """
    Revoke this browser's token for ``reason``, delete its cookie on the
    response and unlink the session from it; return the token, if any.
    """
    token = this_browsers_token(request)
    revoked_here = token is not None and token.revoke(reason, request=request)
    state = find_state(request)
    if state is not None:
        state.delete_cookie()
    session = getattr(request, "session", None)
    if session is None or (state is not None and state.session_refused):
        # A refused session is not this browser's to unlink.
        return token
    if (
        token is not None
        and sessions.linked_token_id(session) == token.pk
        and (state is None or state.signed_in is None)
    ):
        # The session stays signed in (logout() ends it by itself), but
        # still within reach of "sign out everywhere". Not after a login
        # with a credential on this request: that session is its own.
        if revoked_here:
            assert token.revoked_at is not None
            sessions.mark_forgotten(session, token.revoked_at)
        # A token revoked before, by something else (sign out everywhere,
        # an administrator, the theft rule), gets no mark: the session
        # stays linked to it, and its next check ends it. Marking it here
        # would let the session outlive that revocation for good.
    else:
        sessions.unlink(session)
    return token
