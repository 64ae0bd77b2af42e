"""
The secret material of a remember-me token: making it, hashing it, checking it.

A cookie value is ``<selector>:<verifier>``. The selector (the series'
creation time, then 128 random bits) finds the database row through a unique
index; the table keeps only its digest (:func:`selector_digest`), so that a
copy of the table does not even hold a selector to present (which would let
anyone trigger the theft rule and sign the user out everywhere). The
verifier (256 random bits) is the secret; the database keeps only its
Argon2id hash, so a copy of the table grants no sign-in. Splitting the two
is the "split token" design, which avoids comparing secrets in SQL, where
timing would leak them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import struct
import time
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from django.conf import settings
from django.utils.crypto import salted_hmac

from .conf import app_settings

__all__ = [
    "CookieValue",
    "backend_digest",
    "hash_verifier",
    "new_cookie_value",
    "pack_hash",
    "parse_cookie_value",
    "password_fingerprint",
    "password_fingerprint_matches",
    "selector_digest",
    "unpack_hash",
    "verify_verifier",
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

#: Bytes of SHA-256 kept in a selector digest: 128 bits (see selector_digest()).
SELECTOR_HASH_LENGTH = 16
#: Bytes of a stored selector digest: the creation time (4), then the
#: first 16 bytes of SHA-256.
SELECTOR_DIGEST_LENGTH = 4 + SELECTOR_HASH_LENGTH
#: Bytes of a stored backend digest (see backend_digest()).
BACKEND_DIGEST_LENGTH = 8
#: Bytes of a password fingerprint: HMAC-SHA256 truncated to 128 bits.
FINGERPRINT_LENGTH = 16
#: Bytes of the fingerprints stored before they were truncated (the whole
#: HMAC-SHA256); still accepted, see password_fingerprint_matches().
FULL_FINGERPRINT_LENGTH = 32
#: Argon2id salt and tag (digest) lengths of new hashes (see _hasher()).
ARGON2_SALT_LENGTH = 8
ARGON2_TAG_LENGTH = 16
#: Room for a packed Argon2id hash (pack_hash(): 36 bytes with the current
#: salt and tag lengths, 60 for hashes made with the earlier 16-byte salt and
#: 32-byte tag, which still verify), with space for longer salts or tags.
PACKED_HASH_MAX_LENGTH = 128

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


def selector_digest(selector: str) -> bytes:
    """
    Return what the table stores in place of ``selector``: its creation-time
    prefix as 4 raw bytes, then the first 16 bytes of the SHA-256 of the
    whole selector (20 bytes).

    128 bits of SHA-256 are as many as the selector has random bits, so
    recovering a selector from its digest still takes about 2**128 tries,
    and a clash between two selectors of the same second (the prefix keeps
    other seconds apart) is a birthday bound of 2**-128 per pair: at a
    million tokens created in one second, about 2**-89. A clash would fail
    the insert on the unique index, not mix two rows up. The other 16 bytes
    would add nothing but width to every row and every index entry.

    Unkeyed on purpose. The selector carries 128 random bits, so SHA-256
    preimage resistance alone keeps a copy of the table from yielding a
    selector; a key (an HMAC with ``SECRET_KEY``) would add nothing against
    that, and would make every key rotation either lose the rows or try each
    of ``SECRET_KEY_FALLBACKS`` at every lookup (see docs/security.rst).
    The time prefix stays readable so that the unique index remains ordered
    by age, which keeps inserts at its end and lets batched purges clear
    contiguous index pages; the row's ``created_at`` says as much anyway.
    """
    return (
        bytes.fromhex(selector[:SELECTOR_TIME_LENGTH])
        + hashlib.sha256(selector.encode()).digest()[:SELECTOR_HASH_LENGTH]
    )


def backend_digest(path: str) -> bytes:
    """
    Return the short stored form of an authentication backend's dotted path.

    A token only needs to find its backend among ``AUTHENTICATION_BACKENDS``
    again (and to fail when it is gone), so 8 bytes of SHA-256 do in place
    of a path string on every row; a site lists a handful of backends, and
    the path is not attacker-chosen.
    """
    return hashlib.sha256(path.encode()).digest()[:BACKEND_DIGEST_LENGTH]


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    # A 16-byte tag and an 8-byte salt lose nothing for a verifier of 256
    # random bits. With a copy of the row, finding any value whose tag
    # matches a 128-bit tag takes about 2**128 (3.4e38) Argon2 computations:
    # about 1e10 years at 1e21 a second, the security level of AES-128. A
    # 32-byte tag only raised that bound to the verifier's own 2**255, which
    # nobody reaches either. A salt keeps one precomputed table from serving
    # every hash, which matters for passwords, drawn from a small likely
    # set; no table of 2**256 random values can be built, so any salt will
    # do, and 8 bytes is Argon2's minimum (RFC 9106). That is 24 bytes less
    # per hash, and every row holds two. Hashes made with other lengths
    # still verify: the packed form records the salt's length and the tag
    # is the rest.
    return PasswordHasher(
        time_cost=time_cost,
        memory_cost=memory_cost,
        parallelism=parallelism,
        hash_len=ARGON2_TAG_LENGTH,
        salt_len=ARGON2_SALT_LENGTH,
        type=Type.ID,
    )


def _current_hasher() -> PasswordHasher:
    params = app_settings.ARGON2_PARAMS
    return _hasher(params["time_cost"], params["memory_cost"], params["parallelism"])


# A stored hash is the PHC string "$argon2id$v=19$m=..,t=..,p=..$salt$hash"
# (61 characters at the default parameters) packed into 36 bytes: version,
# memory, time and parallelism as big-endian integers (11 bytes), the
# salt's length (1), then the raw salt (8) and tag (16). Two of them are in
# every row the purge moves, so the base64 and the field names are not
# worth storing; unpacking rebuilds the exact string to verify. The salt's
# length is stored and the tag is whatever follows, so a hash packed with
# other lengths (60 bytes with the earlier 16-byte salt and 32-byte tag)
# unpacks and verifies too.
_PACKED_HEADER = struct.Struct(">BIIH")
_PHC_RE = re.compile(
    r"\$argon2id\$v=(?P<v>\d+)\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)"
)


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def pack_hash(encoded: str) -> bytes:
    """Return the stored (packed) form of an Argon2id PHC string."""
    match = _PHC_RE.fullmatch(encoded)
    if match is None:
        raise ValueError("not an Argon2id hash")
    salt = _b64decode(match["salt"])
    header = _PACKED_HEADER.pack(
        int(match["v"]), int(match["m"]), int(match["t"]), int(match["p"])
    )
    return header + bytes([len(salt)]) + salt + _b64decode(match["hash"])


def unpack_hash(stored: bytes | memoryview) -> str:
    """Return the Argon2id PHC string of a stored hash (``""`` for none or junk)."""
    raw = bytes(stored)
    size = _PACKED_HEADER.size
    if len(raw) <= size:
        return ""
    version, memory, time_cost, parallelism = _PACKED_HEADER.unpack_from(raw)
    salt_end = size + 1 + raw[size]
    salt, digest = raw[size + 1 : salt_end], raw[salt_end:]
    return (
        f"$argon2id$v={version}$m={memory},t={time_cost},p={parallelism}"
        f"${_b64encode(salt)}${_b64encode(digest)}"
    )


def hash_verifier(verifier: str) -> bytes:
    """Return the packed Argon2id hash of ``verifier`` with the configured parameters."""
    return pack_hash(_current_hasher().hash(verifier))


def verify_verifier(stored_hash: bytes | memoryview, verifier: str) -> bool:
    """
    Return whether ``verifier`` matches ``stored_hash``, in constant time.

    Argon2 reads its parameters from the hash, so hashes made with older
    parameters still verify. Every rotation hashes the new verifier with
    the current parameters, which is how old hashes get upgraded.
    """
    encoded = unpack_hash(stored_hash) if stored_hash else ""
    if not encoded:
        return False
    try:
        return _current_hasher().verify(encoded, verifier)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_FINGERPRINT_SALT = "rememberme.internal.crypto.password_fingerprint"


def _full_fingerprint(password_hash: str, secret: str | None) -> bytes:
    digest = salted_hmac(_FINGERPRINT_SALT, password_hash, secret=secret, algorithm="sha256")
    return digest.digest()


def password_fingerprint(password_hash: str, secret: str | None = None) -> bytes:
    """
    Return a keyed digest of a user's password hash (16 raw bytes).

    A token remembers the password it was issued under through this digest,
    so that a password changed by any means (even a raw SQL update) makes
    the token invalid. The digest is keyed, like Django's session auth hash,
    so the token table holds nothing derived from the password that a copy
    of the database could use.

    HMAC-SHA256 truncated to 128 bits, a standard truncation (RFC 2104
    section 5, NIST SP 800-107): without the key, a forged fingerprint
    matches with probability 2**-128; with it, the row's fingerprint is
    not what protects anything. A changed password still fails unless two
    password hashes' fingerprints clash, again 2**-128. The other 16 bytes
    would only widen every row.
    """
    return _full_fingerprint(password_hash, secret)[:FINGERPRINT_LENGTH]


def password_fingerprint_matches(fingerprint: bytes | memoryview, password_hash: str) -> bool:
    """Return whether ``fingerprint`` was made from ``password_hash``.

    Digests made with a key in ``SECRET_KEY_FALLBACKS`` still match, so
    rotating ``SECRET_KEY`` the documented way signs nobody out. A full
    32-byte HMAC-SHA256, as tokens issued before the truncation store, is
    compared whole; anything of another length matches nothing.
    """
    stored = bytes(fingerprint)  # PostgreSQL returns a memoryview
    if len(stored) not in (FINGERPRINT_LENGTH, FULL_FINGERPRINT_LENGTH):
        return False
    secrets_to_try = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())]
    return any(
        hmac.compare_digest(stored, _full_fingerprint(password_hash, secret)[: len(stored)])
        for secret in secrets_to_try
    )
