"""
``RememberMeMiddleware``: restores sessions from tokens, keeps them honest.

Place it after ``AuthenticationMiddleware``. On the way in it parses the
token cookie once and, only when there is no signed-in session, checks the
token and signs its user in. A signed-in session that came from a token is
re-checked every ``REMEMBERME_REVALIDATE_INTERVAL``, so a revoked token ends
it. On the way out it writes the cookie once, whatever the request decided.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, login
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.views.debug import SafeExceptionReporterFilter

from . import csrf, expiry, notices, secondfactor, sessions, signals
from .api import remember
from .conf import app_settings
from .models import RememberToken, RevokeReason
from .policy import get_policy
from .state import RequestState, attach_state, find_state
from .tokens import Outcome, Verdict, check_token, session_token_stands, settle_rotation

__all__ = ["RememberMeMiddleware"]

logger = logging.getLogger("rememberme")

CLEANSED = SafeExceptionReporterFilter.cleansed_substitute

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
        busy = self._has_cookies(request)
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
        ``rememberme_passive = True`` attribute (the status endpoint does).
        Called only when there is work to skip, so it costs nothing on the
        common path.
        """
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return False
        return bool(getattr(match.func, "rememberme_passive", False))

    # The request -------------------------------------------------------

    @staticmethod
    def _has_cookies(request: HttpRequest, name: str | None = None) -> bool:
        name = name or app_settings.COOKIE_NAME
        return name in request.COOKIES or settings.SESSION_COOKIE_NAME in request.COOKIES

    def process_request(self, request: HttpRequest) -> None:
        # Every request passes here: read one setting, parse nothing yet.
        name = app_settings.COOKIE_NAME
        raw = request.COOKIES.get(name)
        state = RequestState(raw_cookie=raw)
        # The value is a secret. Django's error reports (the DEBUG page, the
        # admins' mail) list request.COOKIES with their values, hiding only
        # names that look secret ("rememberme" does not), and show each
        # frame's local variables: from here on it lives in the state alone,
        # whose repr() hides it.
        if raw is not None:
            request.COOKIES[name] = CLEANSED
        del raw
        attach_state(request, state)
        session = getattr(request, "session", None)
        if session is None or not self._has_cookies(request, name):
            # No session machinery (reported by the system checks), or a
            # browser that sent neither cookie: nothing to restore or check.
            return

        if SESSION_KEY in session and not self._outlived(request, state):
            self._revalidate(request, state)
            if sessions.has_rotation_marks(session):
                self._settle(request, state)
            return

        if state.raw_cookie is None:
            if self._session_gone(request):
                self._send_expired(request, state, user=None, token=None)
            return

        if state.passive or self.is_passive(request):
            state.passive = True
            return

        if state.cookie is None:
            logger.debug("Malformed remember-me cookie ignored.")
            state.delete_cookie()
            if self._session_gone(request):
                self._send_expired(request, state, user=None, token=None)
            return

        self._restore(request, state)

    @staticmethod
    def _session_gone(request: HttpRequest) -> bool:
        """Return whether the browser sent the cookie of a session that no longer exists."""
        return settings.SESSION_COOKIE_NAME in request.COOKIES and not request.session.keys()

    def _outlived(self, request: HttpRequest, state: RequestState) -> bool:
        """
        End a session that its engine still served past the session's own
        expiry (signed cookies and files, see ``expiry.outlived``); return
        whether it was ended.
        """
        session = request.session
        if not expiry.outlived(session):
            return False
        if state.passive or self.is_passive(request):
            state.passive = True
            return False
        expiry.keep_ended_session_data(request, dict(session.items()))
        session.flush()
        request.user = AnonymousUser()
        secondfactor.prepare_user(request)
        return True

    def _send_expired(
        self,
        request: HttpRequest,
        state: RequestState,
        *,
        user: Any,
        token: RememberToken | None,
    ) -> None:
        """
        Send ``session_ended(reason="expired")`` for the session this
        request's session cookie named, with its user where the engine still
        knows it (see ``expiry.ended_session_data``), else ``user``.
        """
        if state.passive or self.is_passive(request):
            state.passive = True
            return
        data = expiry.ended_session_data(request)
        if data is None and token is None:
            # The engine shows the cookie named no session of ours: one
            # signed out in another tab (already reported as a logout),
            # purged by clearsessions, or made up.
            return
        ended_user, ended_token = expiry.owner_of(data or {})
        signals.session_ended.send(
            sender=RememberToken,
            request=request,
            user=ended_user if ended_user is not None else user,
            token=token if token is not None else ended_token,
            reason="expired",
        )

    def _restore(self, request: HttpRequest, state: RequestState) -> None:
        assert state.cookie is not None
        try:
            verdict = check_token(request, state.cookie)
            if verdict.signs_in:
                self._sign_in(request, state, verdict)
            else:
                state.delete_cookie()
                if self._session_gone(request):
                    self._send_expired(request, state, user=None, token=None)
        except DatabaseError:
            # The token is untouched or fully rotated (its grace window then
            # covers the cookie the browser still holds): keep the cookie,
            # make sure no half-made session survives, carry on anonymous.
            logger.exception("Database error while restoring a remember-me session.")
            self._abandon(request, state)

    def _sign_in(self, request: HttpRequest, state: RequestState, verdict: Verdict) -> None:
        token = verdict.token
        assert token is not None
        self._send_expired(request, state, user=token.user, token=token)
        state.restored = True
        # Django's own login(): the session key is cycled (no fixation),
        # the CSRF token rotated (for every view: see csrf.py),
        # user_logged_in sent, and the session keeps the backend of the
        # original password login.
        session = request.session
        with sessions.key_chosen_at_save(session):
            login(request, token.user, backend=token.backend)
        csrf.adopt_rotated_token(request)
        sessions.link(session, token.pk)
        sessions.apply_session_age(session, get_policy().session_age(token.user))
        sessions.restore_persistent_values(session, token.session_data)
        secondfactor.restore_device(request, token)
        if verdict.new_value is not None:
            state.set_cookie(verdict.new_value, token.expires_at)
            sessions.mark_rotation(session, token.rotated_at)
        elif verdict.replaced and state.cookie is not None:
            sessions.mark_grace(session, state.cookie.verifier, token.rotated_at)
        signals.session_restored.send(
            sender=RememberToken,
            request=request,
            user=token.user,
            token=token,
            rotated=verdict.new_value is not None,
        )

    @staticmethod
    def _abandon(request: HttpRequest, state: RequestState) -> None:
        state.restored = False
        state.new_value = None
        state.delete = False
        session = request.session
        # login() may have failed inside cycle_key(), after the session took
        # a new key whose row was never written: saving it at the response
        # would then fail too (SessionInterrupted, a 400). Start afresh.
        sent_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if SESSION_KEY in session or session.session_key != sent_key:
            session.flush()
        request.user = AnonymousUser()
        secondfactor.prepare_user(request)

    def _revalidate(self, request: HttpRequest, state: RequestState) -> None:
        session = request.session
        token_id = sessions.linked_token_id(session)
        if token_id is None:
            return
        state.session_auth_hash = session.get(HASH_SESSION_KEY)
        if not sessions.revalidation_due(session):
            return
        now = timezone.now()
        if state.passive or self.is_passive(request):
            state.passive = True
            return
        # With its user, so that the policy's absolute cap for that user applies.
        token = (
            RememberToken.objects.for_write().select_related("user").filter(pk=token_id).first()
        )
        if token is not None and session_token_stands(token, session, now):
            sessions.mark_checked(session, now)
            return
        logger.info("Session ended: its remember-me token %s is no longer valid.", token_id)
        self._end_session(request, state, token)

    @staticmethod
    def _end_session(
        request: HttpRequest, state: RequestState, token: RememberToken | None
    ) -> None:
        # request.user is lazy: resolve it while the session still names the
        # user, or a receiver that reads it later sees the flushed session.
        user = request.user if request.user.is_authenticated else None
        signals.session_ended.send(
            sender=RememberToken,
            request=request,
            user=user,
            token=token,
            reason="revoked",
        )
        request.session.flush()
        request.user = AnonymousUser()
        secondfactor.prepare_user(request)
        state.delete_cookie()

    def _settle(self, request: HttpRequest, state: RequestState) -> None:
        """Act on the session's rotation marks: see ``tokens.settle_rotation``."""
        if state.passive or self.is_passive(request):
            state.passive = True
            return
        try:
            verdict = settle_rotation(request, request.session, state.cookie)
        except DatabaseError:
            logger.exception("Database error while settling a remember-me rotation.")
            return
        if verdict is None or verdict.token is None:
            return
        if verdict.new_value is not None:
            state.set_cookie(verdict.new_value, verdict.token.expires_at)
        elif verdict.outcome is Outcome.THEFT:
            self._end_session(request, state, verdict.token)

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        # Runs once every middleware has seen the request, so the message
        # storage exists: why a session ended this request reaches the page.
        notices.deliver(request)

    # The response ------------------------------------------------------

    @staticmethod
    def _renew_after_password_change(request: HttpRequest, state: RequestState) -> None:
        """
        Keep remembering the browser that changed the password.

        A password change revokes every token (receivers.py). The browser
        that made it proved the old password and keeps its session through
        update_session_auth_hash(), which is what changes the session's auth
        hash during the request: that browser gets a new token, so it stays
        remembered while every other browser is signed out. Costs one query,
        only on that request.
        """
        session = getattr(request, "session", None)
        if (
            session is None
            or state.session_auth_hash is None
            or session.get(HASH_SESSION_KEY) in (None, state.session_auth_hash)
            or not request.user.is_authenticated
        ):
            return
        token_id = sessions.linked_token_id(session)
        if token_id is None:
            return
        try:
            token = (
                RememberToken.objects.for_write()
                .filter(pk=token_id, user_id=request.user.pk)
                .first()
            )
            if token is not None and token.revoke_reason == RevokeReason.PASSWORD_CHANGE:
                remember(request)
        except DatabaseError:
            # Still signed in, just no longer remembered: never a failed response.
            logger.exception("Could not re-issue the remember-me token after a password change.")

    def process_response(self, request: HttpRequest, response: Response) -> Response:
        state = find_state(request)
        if state is None or state.passive:
            return response
        self._renew_after_password_change(request, state)
        self._keep_session_age(request, state)
        self._save_persistent_values(request)
        self._stamp_expiry(request, response)
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
        return response

    @staticmethod
    def _keep_session_age(request: HttpRequest, state: RequestState) -> None:
        session = getattr(request, "session", None)
        if state.session_age is not None and session is not None and SESSION_KEY in session:
            sessions.apply_session_age(session, state.session_age[0])

    @staticmethod
    def _stamp_expiry(request: HttpRequest, response: Response) -> None:
        # Exactly when SessionMiddleware will save the session anyway, record
        # in it when it will end, for the status endpoint: no extra write.
        session = getattr(request, "session", None)
        if session is None or response.status_code >= 500 or session.is_empty():
            return
        if session.modified or settings.SESSION_SAVE_EVERY_REQUEST:
            expiry.stamp(session)

    @staticmethod
    def _save_persistent_values(request: HttpRequest) -> None:
        session = getattr(request, "session", None)
        if session is None or not session.modified or not app_settings.PERSISTENT_SESSION_KEYS:
            return
        token_id = sessions.linked_token_id(session)
        if token_id is None:
            return
        values = sessions.persistent_values_changed(session)
        if values is None or sessions.storable_values(values) is None:
            # Unchanged, or refused (and logged once per change: the digest
            # now records them).
            return
        try:
            RememberToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(
                session_data=values
            )
        except DatabaseError:
            # Not saved: forget the digest so the next change tries again.
            logger.exception("Could not save persistent session values with the token.")
            session.pop(sessions.PERSISTED_DIGEST_KEY, None)
