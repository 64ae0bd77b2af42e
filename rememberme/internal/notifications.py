"""
E-mails to the user on the events named in ``REMEMBERME_NOTIFY_EMAIL``.

``"theft"``: a replaced cookie was presented and every remembered browser of
the user was signed out. ``"new_browser"``: a browser that did not hold one
of the user's tokens was just remembered.

The mail is rendered during the request (its language, its host) and sent
through Django's mail API once the transaction that recorded the event
commits, on the database that writes tokens: a rolled-back sign-in sends
nothing. A failing mail server never fails the request; the error is logged
on the ``rememberme`` logger. Other channels (chat, SMS) use the same
signals: see docs/howto/notifications.rst.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import router, transaction
from django.http import HttpRequest
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ..models import RememberToken
from . import tokens
from .conf import app_settings
from .state import find_state
from .useragents import describe

__all__ = ["note_known_browser", "notify_new_browser", "notify_theft", "send_notification"]

logger = logging.getLogger("rememberme")


def _enabled(event: str) -> bool:
    try:
        return event in app_settings.NOTIFY_EMAIL
    except ImproperlyConfigured:
        # Reported by the system check rememberme.E019; a courtesy mail is
        # no reason to fail the sign-in or the theft rule's response.
        return False


def notify_theft(
    sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any
) -> None:
    """Receiver of ``theft_detected``."""
    if _enabled("theft") and user is not None:
        send_notification("theft", user, kwargs.get("token"), request)


def notify_new_browser(
    sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any
) -> None:
    """Receiver of ``token_issued``: skip a browser that held a valid token of the user."""
    if not _enabled("new_browser") or user is None:
        return
    state = find_state(request) if request is not None else None
    if state is not None and state.known_browser:
        # Signing in again, or re-remembered after a password change.
        return
    send_notification("new_browser", user, kwargs.get("token"), request)


def note_known_browser(request: HttpRequest, user: Any) -> None:
    """
    Before ``remember()`` revokes the token this browser held, record
    whether the browser presented a valid, unrevoked token of ``user``:
    then it is no new browser.

    A known selector alone proves nothing: a browser whose cookie was
    revoked (for theft, say) or one with a made-up verifier would otherwise
    silence the mail meant for exactly that case. So the token must be
    usable and the cookie must verify (the current verifier, or the one
    just replaced, within the grace window). Costs one indexed query and an
    Argon2 verification, on a remembered login and only with the mail on.
    """
    state = find_state(request)
    if state is None or state.known_browser is not None or not _enabled("new_browser"):
        return
    cookie = state.cookie
    state.known_browser = False
    if cookie is None:
        return
    token = RememberToken.objects.for_write().filter(user_id=user.pk).find(cookie.selector)
    now = timezone.now()
    if token is None or token.revoked_at is not None:
        return
    token.user = user
    if tokens.unusable_reason(token, now) is not None:
        return
    state.known_browser = tokens.presents_accepted(token, cookie, now)


def _context(
    user: Any, token: RememberToken | None, request: HttpRequest | None
) -> dict[str, Any]:
    devices_url = None
    site_name = None
    if request is not None:
        site_name = request.get_host()
        try:
            devices_url = request.build_absolute_uri(reverse("rememberme:devices"))
        except NoReverseMatch:
            devices_url = None
    return {
        "user": user,
        "token": token,
        "device": describe(token.user_agent if token is not None else ""),
        "ip_address": token.ip_address if token is not None else None,
        "when": timezone.now(),
        "site_name": site_name,
        "devices_url": devices_url,
    }


def send_notification(
    event: str, user: Any, token: RememberToken | None, request: HttpRequest | None
) -> None:
    """
    Render ``rememberme/email/<event>_subject.txt``, ``_body.txt`` and, if it
    exists, ``_body.html``, and mail them to the user after commit.
    """
    address = getattr(user, user.get_email_field_name(), "")
    if not address:
        return
    try:
        context = _context(user, token, request)
        prefix = f"rememberme/email/{event}"
        subject = " ".join(render_to_string(f"{prefix}_subject.txt", context, request).split())
        body = render_to_string(f"{prefix}_body.txt", context, request)
        try:
            html = render_to_string(f"{prefix}_body.html", context, request)
        except TemplateDoesNotExist:
            html = None
    # A notification is a courtesy: no template error may cost the user the
    # request that triggered it (a sign-in, or the theft rule's response).
    except Exception:
        logger.exception("Could not render the %r notification for user %s.", event, user.pk)
        return

    def send() -> None:
        try:
            send_mail(subject, body, None, [address], html_message=html)
        # Mail backends raise anything from SMTPException to OSError.
        except Exception:
            logger.exception("Could not send the %r notification to user %s.", event, user.pk)

    transaction.on_commit(send, using=router.db_for_write(RememberToken))
