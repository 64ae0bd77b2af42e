"""
``RememberMeMiddleware``: restores sessions from tokens, keeps them honest.

Place it after ``AuthenticationMiddleware``. It only orchestrates: on the
way in it reads the token cookie once (``state.read_state``) and then, for
a signed-in session, revalidates its token when due (``revalidation.revalidate``)
and settles a rotation (``repair.settle``), or, with no signed-in session,
restores one from the token (``restore.restore``). On the way out it keeps
the token in step with the session and writes the cookie once
(``state.write_cookie``). ``docs/internals.rst`` draws the path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve

from .internal import (
    dbsc,
    expiry,
    notices,
    repair,
    restore,
    resubmit,
    revalidation,
    sessions,
    signout,
    upkeep,
)
from .internal.passive import is_passive_view
from .internal.state import (
    RequestState,
    attach_state,
    find_state,
    read_state,
    sent_cookies,
    write_cookie,
)

__all__ = ["RememberMeMiddleware"]

Response = HttpResponseBase


class RememberMeMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], Response]
        | Callable[[HttpRequest], Awaitable[Response]],
    ) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        self.process_request(request)
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)
        return self.process_response(request, response)

    async def __acall__(self, request: HttpRequest) -> Response:
        # Sessions, the ORM and login() are synchronous; hop to a thread
        # only when a cookie means there may be something to do.
        busy = sent_cookies(request)
        if busy:
            await sync_to_async(self.process_request, thread_sensitive=True)(request)
        else:
            attach_state(request, RequestState())
        response = self.get_response(request)
        assert not isinstance(response, HttpResponseBase)
        result = await response
        state = find_state(request)
        if busy or (state is not None and state.new_value is not None):
            return await sync_to_async(self.process_response, thread_sensitive=True)(
                request, result
            )
        return self.process_response(request, result)

    # Overridable hooks -------------------------------------------------

    def is_passive(self, request: HttpRequest) -> bool:
        """
        Return whether the view must see the session exactly as it is:
        no restore, no revalidation, no cookie written. Views opt in with a
        ``rememberme_passive = True`` attribute (the status endpoint does),
        or are recognised by an integration (see ``passive``). Called
        only when there is work to skip, so it costs nothing on the common
        path.
        """
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return False
        return is_passive_view(match.func)

    def is_logout(self, request: HttpRequest) -> bool:
        """
        Return whether the request signs out: a POST to Django's or allauth's
        ``LogoutView`` (the bundled one included), or to a view with
        ``rememberme_logout = True``. Such a request is never restored: its
        token cookie is revoked if it proves itself (see ``signout.py``).
        """
        return signout.is_logout(request)

    # The request -------------------------------------------------------

    def _may_act(self, request: HttpRequest, state: RequestState) -> bool:
        """Return whether this request may change anything (asked only before a change)."""
        if not state.passive and self.is_passive(request):
            state.passive = True
        return not state.passive

    def process_request(self, request: HttpRequest) -> None:
        state = read_state(request)
        session = getattr(request, "session", None)
        if session is not None:
            # Not a read: the key the cookie named, before any load.
            state.session_key = session.session_key
        if session is None or not sent_cookies(request):
            # No session machinery (reported by the system checks), or a
            # browser that sent neither cookie: nothing to restore or check.
            return
        if SESSION_KEY in session and expiry.outlived(session):
            # Its engine still served it past its own expiry.
            if not self._may_act(request, state):
                return
            expiry.end_outlived(request, state)
        if SESSION_KEY in session:
            self._check_live_session(request, state)
        elif state.raw_cookie is not None:
            if not self._may_act(request, state):
                return
            if self.is_logout(request):
                self._sign_out(request, state)
            else:
                restore.restore(request, state)
        elif expiry.session_gone(request) and self._may_act(request, state):
            expiry.send_expired(request)

    def _check_live_session(self, request: HttpRequest, state: RequestState) -> None:
        session = request.session
        if dbsc.SESSION_KEY in session and not dbsc.session_admits(request):
            # A session of a device-bound series, without the bound cookie.
            state.refused = True
            dbsc.refuse_session(request)
            return
        token_id = sessions.linked_token_id(session)
        if token_id is not None:
            state.session_auth_hash = session.get(HASH_SESSION_KEY)
            if sessions.revalidation_due(session) and self._may_act(request, state):
                stands, token = revalidation.revalidate(session, token_id)
                if not stands:
                    expiry.end_revoked(request, state, token)
        if sessions.has_rotation_marks(session) and self._may_act(request, state):
            repair.settle(request, state)

    def _sign_out(self, request: HttpRequest, state: RequestState) -> None:
        # No restore for a sign-out (see signout.py); the session did end on
        # its own before it, which receivers of session_ended hear, but the
        # page after a sign-out has nothing to say about it.
        if expiry.session_gone(request):
            expiry.send_expired(request)
            notices.discard(request)
        signout.sign_out(request, state)

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        # Runs once every middleware has seen the request, so the message
        # storage exists: why a session ended this request reaches the page.
        notices.deliver(request)
        resubmit.reached_view(request)

    # The response ------------------------------------------------------

    def process_response(self, request: HttpRequest, response: Response) -> Response:
        state = find_state(request)
        if state is None or state.passive:
            return response
        response = resubmit.explain_refusal(request, state, response)
        upkeep.renew_after_password_change(request, state)
        session = getattr(request, "session", None)
        if state.session_age is not None and session is not None and SESSION_KEY in session:
            sessions.apply_session_age(session, state.session_age[0])
        upkeep.save_persistent_values(request)
        upkeep.follow_session_key(request, state)
        expiry.stamp_on_save(request, response)
        dbsc.write_headers(request, response)
        write_cookie(request, response, state)
        return response
