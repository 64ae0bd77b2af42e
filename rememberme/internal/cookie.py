"""
The remember-me cookie's value: making one, parsing one.

The value is ``<selector>:<verifier>``; docs/security.rst ("The token")
says what each part is for. This module owns the wire format only; what
the table stores in their place is in ``crypto``.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

__all__ = [
    "SELECTOR_LENGTH",
    "SELECTOR_TIME_LENGTH",
    "VERIFIER_LENGTH",
    "CookieValue",
    "new_cookie_value",
    "parse_cookie_value",
]

# 16 random bytes -> 22 URL-safe base64 characters; 32 bytes -> 43.
SELECTOR_BYTES = 16
VERIFIER_BYTES = 32
# The selector starts with the series' creation time in seconds, 8 hex
# digits (good until 2106), so that selectors sort by age: new rows land at
# the end of the unique index, and a purge of old ones clears contiguous
# index pages instead of touching most pages of a randomly ordered index on
# every batch (on SQLite that made batched purges twice as slow). The 128
# random bits that follow are what makes a selector unguessable.
SELECTOR_TIME_LENGTH = 8
SELECTOR_LENGTH = SELECTOR_TIME_LENGTH + 22
VERIFIER_LENGTH = 43

# The whole cookie grammar. Anything else is rejected before any query or
# hashing, so junk costs nothing. fullmatch() also refuses a trailing "\n",
# which "$" would let through.
_SELECTOR_RANDOM_LENGTH = SELECTOR_LENGTH - SELECTOR_TIME_LENGTH
_COOKIE_RE = re.compile(
    rf"(?P<selector>[0-9a-f]{{{SELECTOR_TIME_LENGTH}}}[A-Za-z0-9_-]{{{_SELECTOR_RANDOM_LENGTH}}})"
    rf":(?P<verifier>[A-Za-z0-9_-]{{{VERIFIER_LENGTH}}})"
)


@dataclass(frozen=True)
class CookieValue:
    """A parsed token cookie. The verifier never appears in ``repr()``."""

    selector: str
    verifier: str

    def __repr__(self) -> str:
        return f"CookieValue(selector={self.selector!r}, verifier=<hidden>)"

    __str__ = __repr__

    def encode(self) -> str:
        """Return the value to put in the cookie."""
        return f"{self.selector}:{self.verifier}"


def new_selector() -> str:
    """Return a new selector: the time now, then 128 random bits."""
    return f"{int(time.time()) & 0xFFFFFFFF:08x}{secrets.token_urlsafe(SELECTOR_BYTES)}"


def new_cookie_value(selector: str | None = None) -> CookieValue:
    """Return fresh random material, keeping ``selector`` when rotating."""
    return CookieValue(
        selector=selector or new_selector(),
        verifier=secrets.token_urlsafe(VERIFIER_BYTES),
    )


def parse_cookie_value(raw: str | None) -> CookieValue | None:
    """Return the parsed cookie, or ``None`` for anything malformed."""
    if not raw or len(raw) != SELECTOR_LENGTH + 1 + VERIFIER_LENGTH:
        return None
    match = _COOKIE_RE.fullmatch(raw)
    if match is None:
        return None
    return CookieValue(selector=match["selector"], verifier=match["verifier"])
