"""Remember-me for Django: short sessions, restored by a rotating long-lived token."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .internal.api import (
        forget,
        is_fresh,
        login,
        mark_fresh,
        remember,
        revoke_user_tokens,
        was_restored,
    )

__all__ = [
    "forget",
    "is_fresh",
    "login",
    "mark_fresh",
    "remember",
    "revoke_user_tokens",
    "was_restored",
]
__version__ = "0.1.0.dev0"


def __getattr__(name: str) -> Any:
    # Django imports this package before the app registry is ready, and the
    # API needs the models: load it on first use instead of at import.
    if name in __all__:
        from .internal import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
