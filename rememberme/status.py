"""
The status endpoint: what a page's script may know about its session, read
without extending, saving, restoring or rotating anything.

``rememberme:status`` answers ``GET`` with JSON::

    {"authenticated": true, "remembered": true,
     "session_expires_at": "2026-01-01T12:10:00+00:00", "session_expires_in": 600,
     "expires_at_browser_close": false, "token_expires_at": "2026-01-15T12:00:00+00:00"}
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.views.decorators.http import require_GET

from .internal import expiry, repair, sessions
from .internal.revalidation import session_token_stands
from .internal.state import find_state
from .models import RememberToken

__all__ = ["session_status", "status"]

# The attributes SessionMiddleware.process_response reads first.
_HIDDEN = frozenset({"accessed", "modified"})


class UnsavedSession:
    """
    The request's session, without the attributes that make Django's
    ``SessionMiddleware`` save it.

    ``SessionMiddleware.process_response`` begins (Django 4.2, 5.2 and 6.x
    alike) with ``try: accessed = request.session.accessed ... except
    AttributeError: return response``: it then neither saves the session
    (``SESSION_SAVE_EVERY_REQUEST`` included) nor sets its cookie. That is
    the one hook every supported version offers; ``set_expiry()`` or
    ``modified = False`` cannot stop a save-every-request, and a no-op
    ``save()`` would still re-send the cookie with a fresh max-age.
    Everything else reads and writes through to the real session, so other
    middleware keeps working (nothing written is saved).
    """

    def __init__(self, session: SessionBase) -> None:
        self.__dict__["_session"] = session

    def __getattr__(self, name: str) -> Any:
        if name in _HIDDEN:
            raise AttributeError(name)
        return getattr(self.__dict__["_session"], name)

    def __contains__(self, key: str) -> bool:
        return key in self.__dict__["_session"]

    def __getitem__(self, key: str) -> Any:
        return self.__dict__["_session"][key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.__dict__["_session"][key] = value

    def __delitem__(self, key: str) -> None:
        del self.__dict__["_session"][key]


def _iso(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat()


def session_status(request: HttpRequest, now: datetime.datetime | None = None) -> dict[str, Any]:
    """
    Return the status of the request's session, touching nothing.

    It reports what the next ordinary request would find: a session past
    its expiry, or linked to a token that the next revalidation would
    refuse, is reported as not authenticated.
    """
    now = now or timezone.now()
    session: SessionBase | None = getattr(request, "session", None)
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    live = session is not None and bool(list(session.keys()))
    expires_at = expiry.expires_at(session, now) if session is not None and live else None
    if expires_at is not None and expires_at <= now:
        authenticated = False

    remembered = False
    token_expires_at = None
    token_id = sessions.linked_token_id(session) if authenticated and session else None
    if token_id is not None and session is not None:
        # From the database that writes tokens, as the revalidation reads
        # it: a lagging replica would report a revoked token as standing.
        token = (
            RememberToken.objects.for_write().select_related("user").filter(pk=token_id).first()
        )
        if sessions.revalidation_due(session, now) and (
            token is None or not session_token_stands(token, session, now)
        ):
            # The next ordinary request's check will end the session.
            authenticated = False
        else:
            remembered = True
            if token is not None:
                state = find_state(request)
                repair.note_arrival(session, state.cookie if state else None, token)
            if token is not None and token.revoked_at is None:
                # The same end a restore would enforce (RememberToken.is_expired).
                token_expires_at = token.ends_at()

    seconds = (
        None if expires_at is None else max(0, math.floor((expires_at - now).total_seconds()))
    )
    return {
        "authenticated": authenticated,
        "remembered": remembered,
        "session_expires_at": _iso(expires_at),
        "session_expires_in": seconds,
        "expires_at_browser_close": bool(
            session is not None and live and session.get_expire_at_browser_close()
        ),
        "token_expires_at": _iso(token_expires_at),
    }


def _leave_session_unsaved(request: HttpRequest) -> None:
    session: SessionBase | None = getattr(request, "session", None)
    if session is None:
        return
    key = session.session_key
    if key and key != request.COOKIES.get(settings.SESSION_COOKIE_NAME) and list(session.keys()):
        # Django's get_user() gave a live session a new key (the session
        # hash was made with a key in SECRET_KEY_FALLBACKS): the old key is
        # already deleted, so the browser must be told the new one.
        return
    request.session = UnsavedSession(session)  # type: ignore[assignment]


@require_GET
def status(request: HttpRequest) -> JsonResponse:
    """Report the session's status as JSON (see :func:`session_status`)."""
    state = find_state(request)
    if state is not None:
        # RememberMeMiddleware skips its response phase for this request:
        # no cookie written, no persistent values saved, no expiry stamp.
        state.passive = True
    response = JsonResponse(session_status(request))
    add_never_cache_headers(response)
    # SessionMiddleware will not add it (it returns early, see above), yet
    # the answer depends on the cookies.
    patch_vary_headers(response, ("Cookie",))
    _leave_session_unsaved(request)
    return response


status.rememberme_passive = True  # type: ignore[attr-defined]
