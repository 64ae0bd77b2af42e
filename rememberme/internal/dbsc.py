"""
Device binding: Device Bound Session Credentials (DBSC) for token series.

Follows the W3C WebAppSec draft (``w3c/webappsec-dbsc``, spec.bs of
February 2026) as Chromium implements it. With ``REMEMBERME_DEVICE_BINDING``
on, the response that issues a token (or restores one that no key guards
yet) offers ``Secure-Session-Registration``; a browser that supports DBSC
makes a key pair on the device and posts a ``dbsc+jwt`` proof, signed with
it, to the registration endpoint (``dbsc_views``), which stores the public
key with the series. From then on the series restores only with a valid
*bound cookie*, a short-lived cookie that only the refresh endpoint gives,
to a browser that signs a fresh challenge with that key. A copy of the
browser's cookie store (what infostealer malware takes) holds the token and
at most a bound cookie that expires within :data:`BOUND_COOKIE_AGE`.

What is checked where, and what it costs:

- the bound cookie carries the series and its expiry under an HMAC keyed
  from ``SECRET_KEY`` (its fallbacks accepted, as Django's signing does),
  so checking it needs no query (about 10 microseconds): a live session
  made from a bound series records the series (:data:`SESSION_KEY`) and
  is refused without the cookie;
- the session identifier given to the browser is the series' key, signed:
  a stranger cannot name a series to the refresh endpoint;
- challenges are signed with their expiry and a nonce. A registration
  challenge is single use because binding is: the UPDATE that stores the
  key requires the series to have none. A refresh challenge's nonce is
  kept hashed on the row and consumed by a conditional UPDATE, so each is
  accepted once, on whichever app server. Nothing lives in process memory.

Of the draft, these are followed: the registration header (an inner list
of algorithms with ``path`` and ``challenge``), the proof's ``typ``,
``alg``, ``jwk`` and ``jti``, the 403 with ``Secure-Session-Challenge`` and
its ``id``, ``Sec-Secure-Session-Id``, the session instructions (origin
scope, one cookie credential) and ``{"continue": false}``. Not used: the
``authorization`` parameter, ``include_site`` and scope rules,
``allowed_refresh_initiators``, challenges sent ahead of a refresh, and
federated sessions (``provider_*``); ``alg: none`` is refused.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import hmac
import logging
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils import timezone

from . import sessions
from .conf import app_settings
from .dbsc_proof import ALGORITHMS, new_challenge, parse_number, session_id

if TYPE_CHECKING:
    from ..models import RememberToken

__all__ = [
    "BOUND_COOKIE_AGE",
    "SESSION_KEY",
    "admits",
    "bound_cookie_name",
    "cookie_attributes",
    "enabled",
    "instructions",
    "offer_registration",
    "set_bound_cookie",
    "write_headers",
]

logger = logging.getLogger("rememberme")

#: How long a bound cookie lives: how long a copy of it is worth anything,
#: and how often a bound browser signs a challenge (ten minutes, as the
#: draft's explainer suggests; a refresh is one round trip and one signature).
BOUND_COOKIE_AGE = datetime.timedelta(minutes=10)
#: The session key of a live session made from a bound series: the series' key.
SESSION_KEY = sessions.BOUND_KEY

_OFFER_ATTRIBUTE = "_rememberme_dbsc_offer"
_COOKIE_SALT = "rememberme.internal.dbsc.cookie"


def enabled() -> bool:
    return app_settings.DEVICE_BINDING


def _now() -> int:
    return int(timezone.now().timestamp())


# The bound cookie ------------------------------------------------------


def bound_cookie_name() -> str:
    # Derived from the token cookie's, so that a "__Host-" prefix carries over.
    return f"{app_settings.COOKIE_NAME}_device"


def cookie_attributes() -> str:
    """
    Return the bound cookie's attributes as its ``credentials`` entry states
    them: the browser compares Domain, Path, Secure, HttpOnly and SameSite
    of the cookie it holds with these, and refreshes when they differ
    (draft, "Identify if missing session credential"), so they are the
    ones :func:`set_bound_cookie` sets. They follow the token cookie's, so
    that the bound cookie reaches every request the token cookie reaches.
    """
    parts = [f"Path={app_settings.COOKIE_PATH}"]
    if app_settings.COOKIE_DOMAIN:
        parts.append(f"Domain={app_settings.COOKIE_DOMAIN}")
    if app_settings.COOKIE_SECURE:
        parts.append("Secure")
    parts.append("HttpOnly")
    if app_settings.COOKIE_SAMESITE:
        parts.append(f"SameSite={app_settings.COOKIE_SAMESITE}")
    return "; ".join(parts)


def set_bound_cookie(response: HttpResponseBase, series: int) -> None:
    """Set a fresh bound cookie for ``series`` on ``response``."""
    age = int(BOUND_COOKIE_AGE.total_seconds())
    payload = f"{series}.{_now() + age}"
    value = f"{payload}.{_cookie_mac(django_settings.SECRET_KEY, payload)}"
    response.set_cookie(
        bound_cookie_name(),
        value,
        max_age=age,
        path=app_settings.COOKIE_PATH,
        domain=app_settings.COOKIE_DOMAIN,
        secure=app_settings.COOKIE_SECURE,
        httponly=True,
        samesite=app_settings.COOKIE_SAMESITE,  # type: ignore[arg-type]
    )


@functools.lru_cache(maxsize=8)
def _cookie_key(secret: str) -> bytes:
    # Derived once per secret (salted_hmac() derives it on every call):
    # the check runs on every request of a bound session.
    return hashlib.sha256(f"{_COOKIE_SALT}{secret}".encode()).digest()


def _cookie_mac(secret: str, payload: str) -> str:
    digest = hmac.digest(_cookie_key(secret), payload.encode(), "sha256")
    # 128 bits: forging one means guessing them within the cookie's ten minutes.
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def _cookie_series(request: HttpRequest) -> int | None:
    """Return the series of the request's unexpired bound cookie, or ``None``."""
    value = request.COOKIES.get(bound_cookie_name())
    if not value:
        return None
    payload, _, mac = value.rpartition(".")
    text, _, expires = payload.partition(".")
    series, until = parse_number(text), parse_number(expires, 12)
    if series is None or until is None or time.time() >= until or not mac.isascii():
        # compare_digest() refuses non-ASCII text with a TypeError.
        return None
    # The current SECRET_KEY, then the fallbacks, as Django's signing does.
    if hmac.compare_digest(mac, _cookie_mac(django_settings.SECRET_KEY, payload)) or any(
        hmac.compare_digest(mac, _cookie_mac(secret, payload))
        for secret in getattr(django_settings, "SECRET_KEY_FALLBACKS", ())
    ):
        return series
    return None


def admits(request: HttpRequest, token: RememberToken) -> bool:
    """
    Return whether ``token`` may restore a session on ``request``: it is
    not bound (or binding is off), or the request carries a valid bound
    cookie for its series. No query.
    """
    if not token.device_key or not enabled():
        return True
    return _cookie_series(request) == token.pk


def session_admits(request: HttpRequest) -> bool:
    """Return whether the request's live session may be used (see :func:`refuse_session`)."""
    series = request.session.get(SESSION_KEY)
    return series is None or not enabled() or _cookie_series(request) == series


def refuse_session(request: HttpRequest) -> None:
    """
    Serve ``request`` anonymous: its session came from a bound series and
    the request has no valid bound cookie for it (a copied session cookie,
    or a browser that stopped refreshing). The session itself is left
    alone: the request may come from someone other than its owner.
    """
    logger.info("Session of a device-bound series used without its bound cookie; ignored.")
    anonymous = AnonymousUser()
    request.user = anonymous

    async def auser() -> AnonymousUser:
        return anonymous

    request.auser = auser


def mark_session(request: HttpRequest, series: int) -> None:
    """Record that the request's session came from the bound ``series``."""
    request.session[SESSION_KEY] = series


def forget_on_login(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """
    Drop the bound mark at a sign-in other than a restore: a password
    sign-in proves the user without the device key, and must not leave
    the new session waiting for a bound cookie it will never get (a
    browser whose key store failed signs in again that way).
    """
    from .state import find_state

    session = getattr(request, "session", None)
    state = find_state(request) if request is not None else None
    if session is not None and not (state is not None and state.restored):
        session.pop(SESSION_KEY, None)


# Registration offer ------------------------------------------------------


def offer_registration(request: HttpRequest, token: RememberToken) -> None:
    """
    Record that the request's session now comes from ``token``, which no
    key guards yet, and offer the browser to bind it on the response.
    """
    # A session that moves to a new series (a password change re-issues
    # the token) must not keep waiting for the old series' bound cookie:
    # the registration marks it again once the new series is bound.
    session = getattr(request, "session", None)
    if session is not None:
        session.pop(SESSION_KEY, None)
    if enabled() and not token.device_key:
        setattr(request, _OFFER_ATTRIBUTE, token.pk)


def write_headers(request: HttpRequest, response: HttpResponseBase) -> None:
    """Add the ``Secure-Session-Registration`` header a sign-in offered, if any."""
    series = getattr(request, _OFFER_ATTRIBUTE, None)
    if series is None:
        return
    challenge, _ = new_challenge("registration", series)
    path = reverse("rememberme:dbsc_registration")
    # A structured-field list (RFC 9651): an inner list of algorithms with
    # the path and challenge as parameters, as the draft's examples write it.
    response.headers["Secure-Session-Registration"] = (
        f'({" ".join(ALGORITHMS)});path="{path}";challenge="{challenge}"'
    )


def instructions(series: int) -> dict[str, Any]:
    """Return the session instructions for ``series`` (draft, "JSON Session Instructions")."""
    return {
        "session_identifier": session_id(series),
        "refresh_url": reverse("rememberme:dbsc_refresh"),
        # The registration URL's origin (no "origin" key), not its site:
        # the token cookie is host-only unless a domain is configured.
        "scope": {"include_site": False, "scope_specification": []},
        "credentials": [
            {"type": "cookie", "name": bound_cookie_name(), "attributes": cookie_attributes()}
        ],
    }
