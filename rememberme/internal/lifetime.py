"""
When a token dies: the one lifetime rule (see :func:`token_ends`), and its
SQL form for the queries that filter on it.
"""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

from django.db.models import Q

from ..policy import get_policy
from .conf import app_settings

__all__ = ["TokenEnds", "expired_condition", "grace_open", "token_ends"]


class TokenEnds(NamedTuple):
    """When a token dies unless used again, and when it dies whatever its use."""

    expires_at: datetime.datetime
    absolute_expires_at: datetime.datetime | None


def token_ends(
    user: Any, *, created_at: datetime.datetime, last_used_at: datetime.datetime
) -> TokenEnds:
    """
    Return a token's ends by ``REMEMBERME_POLICY``'s lifetimes for ``user``
    (the settings, without a policy): the idle end, capped by the absolute
    end counted from the original login.

    The one lifetime rule. It runs when a token is issued and at every
    rotation, where the user is at hand, and its result is stored on the
    row; everything else (the restore, the purge, the devices page, the
    admin's filters, the token cap, the status endpoint) compares the
    stored ``expires_at`` with the time, in Python (:meth:`RememberToken.is_expired`)
    or in SQL (:func:`expired_condition`). A change of the settings or of
    the policy therefore reaches each token at its next use, never before:
    otherwise the purge, which cannot ask a policy about each row, would
    delete tokens that the restore still accepts, or the devices page would
    hide tokens that can still sign in.
    """
    policy = get_policy()
    max_age = policy.token_max_age(user)
    absolute = None if max_age is None else created_at + max_age
    expires_at = last_used_at + policy.token_age(user)
    if absolute is not None:
        expires_at = min(expires_at, absolute)
    return TokenEnds(expires_at, absolute)


def grace_open(replaced_at: datetime.datetime, now: datetime.datetime) -> bool:
    """
    Return whether a verifier that a rotation replaced at ``replaced_at`` is
    still accepted at ``now``: the grace window, ``REMEMBERME_ROTATION_GRACE``
    (why it is 30 seconds: docs/security.rst, "The grace window"). The one
    form of the rule: :meth:`RememberToken.in_grace` asks it of a token's last
    rotation, the lost-response repair of the rotation a session recorded.
    """
    return now < replaced_at + app_settings.ROTATION_GRACE


def expired_condition(now: datetime.datetime) -> Q:
    """Return the SQL form of :meth:`RememberToken.is_expired` at ``now``."""
    return Q(expires_at__lte=now)
