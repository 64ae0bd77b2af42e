"""
The device-binding endpoints: registration and refresh (see ``dbsc.py``).

Both are called by the browser itself, not by a page: POST, no CSRF token
(the signed proof is what authenticates them, and it cannot be forged
cross-site), never cached, and passive for the middleware: the refresh
request carries the token cookie without a valid bound cookie (that is why
it is sent), and must be neither a restore nor, ever, taken for theft.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import SESSION_KEY as USER_SESSION_KEY
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..models import RememberToken
from . import dbsc, dbsc_proof, sessions
from .crypto import selector_digest
from .state import find_state

__all__ = ["refresh", "register"]

logger = logging.getLogger("rememberme")

RESPONSE_HEADER = "Secure-Session-Response"
SESSION_ID_HEADER = "Sec-Secure-Session-Id"


def _proof(request: HttpRequest) -> dbsc_proof.Proof:
    return dbsc_proof.read_proof(dbsc_proof.header_value(request, RESPONSE_HEADER))


@csrf_exempt
@never_cache
@require_POST
def register(request: HttpRequest) -> HttpResponse:
    """
    Bind a series to the key of a ``dbsc+jwt`` proof; answer the session
    instructions and set the first bound cookie. A proof that does not
    verify gets a 400, which ends the registration in the browser.
    """
    if not dbsc.enabled():
        raise Http404
    try:
        proof = _proof(request)
        series, _ = dbsc_proof.open_challenge("registration", proof.challenge)
        key = dbsc_proof.key_from_jwk(proof.jwk, proof.algorithm)
        if not dbsc_proof.verify(key, proof.algorithm, proof.signing_input, proof.signature):
            raise dbsc_proof.InvalidProof("The registration proof's signature does not verify.")
    except dbsc_proof.InvalidProof as exc:
        logger.info("Device binding registration refused: %s", exc)
        return HttpResponse(status=400)
    # Only the browser that holds the series' token cookie binds it (the
    # registration request carries the site's cookies): a challenge seen
    # elsewhere cannot bind someone else's series to another key.
    state = find_state(request)
    cookie = state.cookie if state is not None else None
    if cookie is None:
        logger.info("Device binding registration refused: no token cookie.")
        return HttpResponse(status=400)
    now = timezone.now()
    # Binding is once per series: the condition on an empty key is what
    # makes the registration challenge single use, on any app server.
    bound = (
        RememberToken.objects.for_write()
        .filter(
            pk=series,
            selector_digest=selector_digest(cookie.selector),
            device_key=b"",
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        .update(device_key=key, device_bound_at=now)
    )
    if not bound:
        logger.info(
            "Device binding registration refused: series %s is gone, bound, or not this "
            "browser's.",
            series,
        )
        return HttpResponse(status=400)
    session = getattr(request, "session", None)
    if (
        session is not None
        and USER_SESSION_KEY in session
        and sessions.linked_token_id(session) == series
    ):
        # The session the login made now needs the bound cookie too.
        session[dbsc.SESSION_KEY] = series
    response = JsonResponse(dbsc.instructions(series))
    dbsc.set_bound_cookie(response, series)
    return response


def _end(value: str | None) -> JsonResponse:
    # The draft's way to end the browser's session: it stops refreshing and
    # deletes nothing, so the token cookie alone then restores nobody.
    body: dict[str, Any] = {"continue": False}
    if value:
        body["session_identifier"] = value
    return JsonResponse(body)


def _challenge(token: RememberToken, value: str) -> HttpResponse:
    challenge, nonce = dbsc_proof.new_challenge("refresh", token.pk)
    # One outstanding challenge per series: a new one replaces it.
    RememberToken.objects.for_write().filter(pk=token.pk).update(
        device_challenge=dbsc_proof.nonce_digest(nonce)
    )
    response = HttpResponse(status=403)
    response.headers["Secure-Session-Challenge"] = f'"{challenge}";id="{value}"'
    # The draft's ordinary first answer to every refresh, not a refusal:
    # keep it out of django.request's "Forbidden" warnings (the flag
    # Django's own log_response() sets once it has logged a response).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@csrf_exempt
@never_cache
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    """
    Give a bound browser a fresh bound cookie for a signed challenge.

    Without a proof, or with a stale or used challenge: 403 and a new
    ``Secure-Session-Challenge`` (the browser signs it and asks again). A
    revoked, expired or unknown series, or a signature that does not
    verify: ``{"continue": false}``, which ends the browser's session.
    """
    if not dbsc.enabled():
        raise Http404
    value = dbsc_proof.header_value(request, SESSION_ID_HEADER)
    series = dbsc_proof.open_session_id(value or "")
    token = None
    if series is not None:
        token = RememberToken.objects.for_write().filter(pk=series).first()
    now = timezone.now()
    if (
        token is None
        or token.revoked_at is not None
        or token.is_expired(now)
        or not token.device_key
    ):
        logger.info("Device binding refresh ended: series %s is gone.", series)
        return _end(value)
    assert value is not None
    if not request.headers.get(RESPONSE_HEADER):
        return _challenge(token, value)
    try:
        proof = _proof(request)
        challenged, nonce = dbsc_proof.open_challenge("refresh", proof.challenge)
    except dbsc_proof.InvalidProof as exc:
        logger.info("Device binding refresh challenged again: %s", exc)
        return _challenge(token, value)
    if challenged != token.pk or not dbsc_proof.verify(
        token.device_key, proof.algorithm, proof.signing_input, proof.signature
    ):
        logger.warning("Device binding refresh with a forged proof for series %s.", token.pk)
        return _end(value)
    # Single use: of any number of requests with this challenge, one
    # consumes it.
    consumed = (
        RememberToken.objects.for_write()
        .filter(
            pk=token.pk, device_challenge=dbsc_proof.nonce_digest(nonce), revoked_at__isnull=True
        )
        .update(device_challenge=b"")
    )
    if not consumed:
        return _challenge(token, value)
    response = JsonResponse(dbsc.instructions(token.pk))
    dbsc.set_bound_cookie(response, token.pk)
    return response


# Neither restores, revalidates nor writes the token cookie: see the docstring.
register.rememberme_passive = True  # type: ignore[attr-defined]
refresh.rememberme_passive = True  # type: ignore[attr-defined]
