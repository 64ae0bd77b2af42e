"""
When a Django session really ends, and what is left of one that has ended.

Django's ``SessionBase.get_expiry_date()`` answers "when would this session
end if it were saved now", which is not the question a status endpoint or an
expiry signal asks: they need when it ends given the time it was *last*
saved. Each session engine knows that time differently:

========================  ===============================================
engine                    when the session ends
========================  ===============================================
``db``, ``cached_db``     the stamp below; else the row's ``expire_date``
``cache``                 the stamp below; else "if saved now" (an upper
                          bound: the cache API does not expose TTLs)
``file``                  the stamp below; else the file's modification
                          time + the expiry age
``signed_cookies``        the cookie's signing time + the expiry age
========================  ===============================================

The stamp is written by ``RememberMeMiddleware`` (:func:`stamp_on_save`)
into every session that ``SessionMiddleware`` is about to save anyway, so
it costs no write and no query. A signed cookie carries its signing time,
exact and free, so it needs no stamp.

Ending a session on a request lives here too: :func:`end_outlived`,
:func:`end_revoked` and :func:`send_expired` (``session_ended`` with its
reason).
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends import db as db_backend
from django.contrib.sessions.backends import file as file_backend
from django.contrib.sessions.backends import signed_cookies as signed_backend
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from .. import signals
from ..models import RememberToken
from . import secondfactor, sessions
from .state import RequestState, find_state

__all__ = [
    "EXPIRES_KEY",
    "end_outlived",
    "end_revoked",
    "ended_session_data",
    "expires_at",
    "last_saved_at",
    "leave_anonymous",
    "outlived",
    "owner_of",
    "send_expired",
    "session_gone",
    "stamp",
    "stamp_on_save",
]

EXPIRES_KEY = sessions.EXPIRES_KEY

# The salt Django's signed_cookies engine signs with (not exposed as a name).
SIGNED_COOKIES_SALT = "django.contrib.sessions.backends.signed_cookies"


def stamp(session: SessionBase, now: datetime.datetime | None = None) -> None:
    """
    Record in ``session`` when it will end if saved now.

    Call it only when the session is about to be saved anyway: the stamp
    then matches what the engine stores (rounded up to the second).
    """
    expiry = session.get_expiry_date(modification=now or timezone.now())
    session[EXPIRES_KEY] = math.ceil(expiry.timestamp())


def stamp_on_save(request: HttpRequest, response: HttpResponseBase) -> None:
    """Stamp the request's session exactly when ``SessionMiddleware`` will save it anyway."""
    session = getattr(request, "session", None)
    if session is None or response.status_code >= 500 or session.is_empty():
        return
    if session.modified or settings.SESSION_SAVE_EVERY_REQUEST:
        stamp(session)


def _from_timestamp(value: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)


def last_saved_at(session: SessionBase) -> datetime.datetime | None:
    """
    Return when a loaded signed-cookie or file session was last saved, where
    the engine can tell for free; ``None`` otherwise.
    """
    if isinstance(session, signed_backend.SessionStore):
        key = session.session_key
        if not key:
            return None
        try:
            # Plain Signer over a TimestampSigner value returns
            # "<payload>:<timestamp>" once the signature checks out.
            unsigned = signing.Signer(salt=SIGNED_COOKIES_SALT).unsign(key)
            return _from_timestamp(signing.b62_decode(unsigned.rsplit(":", 1)[1]))
        except (signing.BadSignature, ValueError, IndexError):
            return None
    if isinstance(session, file_backend.SessionStore) and session.session_key:
        try:
            # Private, but present and unchanged from Django 4.2 to 6.1.
            modified: datetime.datetime = session._last_modification()  # type: ignore[attr-defined]
        except (OSError, AttributeError):
            return None
        return modified if timezone.is_aware(modified) else timezone.make_aware(modified)
    return None


def expires_at(session: SessionBase, now: datetime.datetime | None = None) -> datetime.datetime:
    """Return when the (loaded, non-empty) ``session`` ends, as exactly as its engine allows."""
    now = now or timezone.now()
    if isinstance(session, signed_backend.SessionStore):
        saved = last_saved_at(session)
        return session.get_expiry_date(modification=saved or now)
    stamped = session.get(EXPIRES_KEY)
    if isinstance(stamped, int) and stamped > now.timestamp():
        # A stamp already in the past on a session the engine still serves
        # was overtaken by a save that did not pass through the middleware
        # (a task saving the session, say): ask the engine instead.
        return _from_timestamp(stamped)
    saved = last_saved_at(session)
    if saved is not None:
        return session.get_expiry_date(modification=saved)
    if isinstance(session, db_backend.SessionStore) and session.session_key:
        expire_date = (
            session.get_model_class()
            .objects.filter(session_key=session.session_key)
            .values_list("expire_date", flat=True)
            .first()
        )
        if isinstance(expire_date, datetime.datetime):
            return expire_date
    return session.get_expiry_date(modification=now)


def outlived(session: SessionBase, now: datetime.datetime | None = None) -> bool:
    """
    Return whether a session the engine still served is past its own expiry.

    The signed-cookie engine only enforces ``SESSION_COOKIE_AGE`` on the
    cookie's age, and the file engine no integer expiry at all (Django
    ticket #19201): a session given ``set_expiry(600)`` is ended by the
    browser, but a copied cookie would keep working for two weeks. Their
    save time is exact, so the session's own expiry can be enforced here.
    """
    saved = last_saved_at(session)
    if saved is None:
        return False
    return session.get_expiry_date(modification=saved) <= (now or timezone.now())


def ended_session_data(request: HttpRequest) -> dict[str, Any] | None:
    """
    Return what the engine still holds of the ended session whose cookie the
    request carries: its data, ``{}`` when the engine cannot tell, or
    ``None`` when the engine shows the cookie names no session of ours.

    - ``db``/``cached_db``: the expired row stays until ``clearsessions``;
      a missing row (signed out, purged, made up) gives ``None``.
    - ``signed_cookies``: the cookie is its own data; its signature is
      checked exactly as for a live session, only its age is not. Reading
      it is no more trusting than Django is of a live cookie, and nothing
      read here ever signs anyone in.
    - ``cache``, ``file`` and other engines: the data is gone (the file
      engine deletes an expired file as it reads it): ``{}``.
    """
    state = find_state(request)
    if state is not None and state.ended_session is not None:
        return state.ended_session
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return None
    session = request.session
    if isinstance(session, signed_backend.SessionStore):
        try:
            data = signing.loads(key, salt=SIGNED_COOKIES_SALT, serializer=session.serializer)
        except Exception:
            # Django's own load() treats every failure alike.
            return None
        return data if isinstance(data, dict) else None
    if isinstance(session, db_backend.SessionStore):
        row = session.get_model_class().objects.filter(session_key=key).first()
        if row is None:
            return None
        data = session.decode(row.session_data)
        return data if isinstance(data, dict) else {}
    return {}


def owner_of(data: dict[str, Any]) -> tuple[Any, Any]:
    """
    Return the user and the remember-me token an ended session's data names,
    each ``None`` where unknown; the user is loaded as Django's ``get_user()``
    would, through the backend that signed it in.
    """
    user = None
    backend_path = data.get(BACKEND_SESSION_KEY)
    if (
        SESSION_KEY in data
        and isinstance(backend_path, str)
        and backend_path in settings.AUTHENTICATION_BACKENDS
    ):
        try:
            user_id = get_user_model()._meta.pk.to_python(data[SESSION_KEY])
        except ValidationError:
            user_id = None
        if user_id is not None:
            user = load_backend(backend_path).get_user(user_id)
    token = None
    token_id = data.get(sessions.TOKEN_KEY)
    if isinstance(token_id, int):
        token = RememberToken.objects.filter(pk=token_id).first()
    return user, token


def session_gone(request: HttpRequest) -> bool:
    """Return whether the browser sent the cookie of a session that no longer exists."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES and not request.session.keys()


def send_expired(request: HttpRequest, *, user: Any = None, token: Any = None) -> None:
    """
    Send ``session_ended(reason="expired")`` for the session this request's
    session cookie named, with its user where the engine still knows it
    (see :func:`ended_session_data`), else ``user``.
    """
    data = ended_session_data(request)
    if data is None and token is None:
        # The engine shows the cookie named no session of ours: one signed
        # out in another tab (already reported as a logout), purged by
        # clearsessions, or made up.
        return
    ended_user, ended_token = owner_of(data or {})
    signals.session_ended.send(
        sender=RememberToken,
        request=request,
        user=ended_user if ended_user is not None else user,
        token=token if token is not None else ended_token,
        reason="expired",
    )


def leave_anonymous(request: HttpRequest) -> None:
    """Put the anonymous user on ``request``, as ``OTPMiddleware`` would have made it."""
    request.user = AnonymousUser()
    secondfactor.prepare_user(request)


def end_outlived(request: HttpRequest, state: RequestState) -> None:
    """End the request's session, past its own expiry (see :func:`outlived`)."""
    state.ended_session = dict(request.session.items())
    request.session.flush()
    leave_anonymous(request)


def end_revoked(request: HttpRequest, state: RequestState, token: RememberToken | None) -> None:
    """End the request's session, whose token no longer backs it, and delete the cookie."""
    # request.user is lazy: resolve it while the session still names the
    # user, or a receiver that reads it later sees the flushed session.
    user = request.user if request.user.is_authenticated else None
    signals.session_ended.send(
        sender=RememberToken, request=request, user=user, token=token, reason="revoked"
    )
    request.session.flush()
    leave_anonymous(request)
    state.delete_cookie()
