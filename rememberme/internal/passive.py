"""
Views that must see the session exactly as it is: no restore, no
revalidation, no cookie written on their response.

A view opts in with a ``rememberme_passive = True`` attribute (the status
endpoint does). Views of other apps, which cannot carry the attribute, are
recognised by a check that an integration registers from its
``AppConfig.ready()`` (``rememberme.contrib.allauth``: allauth.headless'
views for app clients, which sign in with a header, never with cookies).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["is_passive_view", "register_passive_views"]

_checks: list[Callable[[Any], bool]] = []


def register_passive_views(check: Callable[[Any], bool]) -> None:
    """Treat every view for which ``check(view)`` is true as passive."""
    if check not in _checks:
        _checks.append(check)


def is_passive_view(view: Any) -> bool:
    """Return whether the view function ``view`` is passive."""
    if getattr(view, "rememberme_passive", False):
        return True
    return any(check(view) for check in _checks)
