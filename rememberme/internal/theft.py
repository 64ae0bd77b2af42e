"""
The theft rule's report: one theft, one warning, one signal, one e-mail.

A known selector with a replaced verifier presented after the grace window
(``tokens.check_token``), or a repair that turns out to have been made for
the wrong browser (``repair``), is theft: every token of the user is
revoked. This module makes sure that however many requests find it at once,
it is reported once.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest

from .. import signals
from ..models import RememberToken
from ..signals import RevokeReason

__all__ = ["report_theft"]

logger = logging.getLogger("rememberme")


def report_theft(request: HttpRequest, token: RememberToken) -> bool:
    """
    Revoke every token of ``token``'s user for theft; return whether this
    request is the one that reports it.

    Any number of requests can read the token before the revocation
    commits (one stale cookie sent by many parallel requests): each would
    take it for theft. One theft is one event, so only the request whose
    conditional UPDATE revokes the presented series logs the warning and
    sends ``theft_detected`` (and with it the e-mail); the database
    serialises the others on the row lock, and they find it revoked.
    """
    # Only a copy of an older cookie can carry a known selector with a wrong
    # verifier: the browser and someone else have both used it. Which one
    # is the thief cannot be told, so every remembered browser of the user
    # is signed out (the "improved persistent login cookie" rule).
    series = RememberToken.objects.for_write(instance=token).filter(pk=token.pk)
    if not series.revoke(RevokeReason.THEFT, request=request):
        logger.info("Remember-me token %s: theft already handled by another request.", token.pk)
        return False
    logger.warning(
        "Remember-me token theft detected for user %s (token %s): a replaced "
        "verifier was presented; all of the user's tokens are revoked.",
        token.user_id,
        token.pk,
    )
    RememberToken.objects.filter(user_id=token.user_id).revoke(RevokeReason.THEFT, request=request)
    signals.theft_detected.send(
        sender=RememberToken, request=request, user=token.user, token=token
    )
    return True
