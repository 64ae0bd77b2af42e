"""
Template context for sites without ``django.contrib.messages``.

Add ``"rememberme.context_processors.signed_out"`` to the template engine's
``context_processors`` to get ``rememberme_signed_out``: why the user was just
signed out (``.reason`` is ``"theft"``, ``"revoked"`` or ``"expired"`` for a
session ended while in use; for a closed browser whose token no longer signs
it in, ``"revoked_user"``, ``"revoked_admin"``, ``"revoked_everywhere"``,
``"password_change"``, ``"token_expired"`` or ``"inactive"``; the text to show
is ``.message``), or ``None``. With the messages framework
installed the same text arrives as a message instead.
"""

from __future__ import annotations

from django.http import HttpRequest

from .internal.notices import SignedOut, pop_notice

__all__ = ["signed_out"]


def signed_out(request: HttpRequest) -> dict[str, SignedOut | None]:
    """Return ``rememberme_signed_out``, shown once."""
    return {"rememberme_signed_out": pop_notice(request)}
