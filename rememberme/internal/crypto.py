"""
What the table keeps in place of a cookie's secrets, and how it is checked.

The selector is stored as a digest, the verifier as a packed Argon2id hash,
the password the token was issued under as a keyed fingerprint. Why each is
what it is, and why each is this short: docs/security.rst ("The token",
"Why Argon2id at the smallest parameters", "Why the stored values are this
short"). The cookie's own format is in ``cookie``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import struct

from argon2 import Type
from argon2.exceptions import HashingError
from argon2.low_level import ARGON2_VERSION, hash_secret_raw
from django.conf import settings
from django.utils.crypto import salted_hmac

from .conf import app_settings
from .cookie import SELECTOR_TIME_LENGTH

__all__ = [
    "backend_digest",
    "hash_verifier",
    "pack_hash",
    "password_fingerprint",
    "password_fingerprint_matches",
    "selector_digest",
    "unpack_hash",
    "verify_verifier",
]

#: Bytes of SHA-256 kept in a selector digest: 128 bits.
SELECTOR_HASH_LENGTH = 16
#: Bytes of a stored selector digest: the creation time (4), then the hash.
SELECTOR_DIGEST_LENGTH = 4 + SELECTOR_HASH_LENGTH
#: Bytes of a stored backend digest (see backend_digest()).
BACKEND_DIGEST_LENGTH = 8
#: Bytes of a password fingerprint: HMAC-SHA256 truncated to 128 bits.
FINGERPRINT_LENGTH = 16
#: Bytes of the fingerprints stored before they were truncated (the whole
#: HMAC-SHA256); still accepted, see password_fingerprint_matches().
FULL_FINGERPRINT_LENGTH = 32
#: Argon2id salt and tag lengths of new hashes. 8 is Argon2's minimum salt
#: (RFC 9106); hashes made with other lengths still verify.
ARGON2_SALT_LENGTH = 8
ARGON2_TAG_LENGTH = 16
#: Room for a packed hash (36 bytes now, 60 for hashes made with the
#: earlier 16-byte salt and 32-byte tag), with space for longer ones.
PACKED_HASH_MAX_LENGTH = 128


def selector_digest(selector: str) -> bytes:
    """
    Return what the table stores in place of ``selector``: its creation-time
    prefix as 4 raw bytes, then the first 16 bytes of the SHA-256 of the
    whole selector (20 bytes).
    """
    # Unkeyed on purpose: 128 random bits need no key against a preimage,
    # and a key would make every SECRET_KEY rotation try each fallback at
    # every lookup. The time prefix stays readable so that the unique index
    # is ordered by age (see the module docstring's pointer).
    return (
        bytes.fromhex(selector[:SELECTOR_TIME_LENGTH])
        + hashlib.sha256(selector.encode()).digest()[:SELECTOR_HASH_LENGTH]
    )


def backend_digest(path: str) -> bytes:
    """Return the short stored form of an authentication backend's dotted path."""
    # A token only needs to find its backend among AUTHENTICATION_BACKENDS
    # again (and to fail when it is gone): a site lists a handful, and the
    # path is not attacker-chosen, so 8 bytes do in place of the string.
    return hashlib.sha256(path.encode()).digest()[:BACKEND_DIGEST_LENGTH]


# A stored hash holds Argon2's version, memory, time and parallelism as
# big-endian integers (11 bytes), the salt's length (1), the raw salt, then
# the raw tag: 36 bytes at the current lengths, where the PHC string
# "$argon2id$v=19$m=..,t=..,p=..$salt$tag" takes 61 characters. Two are in
# every row the purge moves. The salt's length is stored and the tag is
# whatever follows, so hashes made with other lengths verify too.
# argon2-cffi's low-level API computes the raw tag directly, so neither a
# hash nor a verification goes through the PHC string.
_PACKED_HEADER = struct.Struct(">BIIH")


def _tag(secret: str, salt: bytes, params: tuple[int, int, int, int], length: int) -> bytes:
    version, memory_cost, time_cost, parallelism = params
    return hash_secret_raw(
        secret.encode(),
        salt,
        time_cost=time_cost,
        memory_cost=memory_cost,
        parallelism=parallelism,
        hash_len=length,
        type=Type.ID,
        version=version,
    )


def hash_verifier(verifier: str) -> bytes:
    """Return the packed Argon2id hash of ``verifier`` with the configured parameters."""
    configured = app_settings.ARGON2_PARAMS
    params = (
        ARGON2_VERSION,
        configured["memory_cost"],
        configured["time_cost"],
        configured["parallelism"],
    )
    salt = secrets.token_bytes(ARGON2_SALT_LENGTH)
    tag = _tag(verifier, salt, params, ARGON2_TAG_LENGTH)
    return _PACKED_HEADER.pack(*params) + bytes([len(salt)]) + salt + tag


def _unpacked(stored: bytes) -> tuple[tuple[int, int, int, int], bytes, bytes] | None:
    size = _PACKED_HEADER.size
    if len(stored) <= size:
        return None
    params: tuple[int, int, int, int] = _PACKED_HEADER.unpack_from(stored)
    salt_end = size + 1 + stored[size]
    salt, tag = stored[size + 1 : salt_end], stored[salt_end:]
    if not tag:
        return None
    return params, salt, tag


def verify_verifier(stored_hash: bytes | memoryview, verifier: str) -> bool:
    """
    Return whether ``verifier`` matches ``stored_hash``, in constant time.

    The parameters are read from the hash, so hashes made with older
    parameters still verify; every rotation hashes the new verifier with the
    current ones, which is how old hashes get upgraded.
    """
    unpacked = _unpacked(bytes(stored_hash))  # PostgreSQL returns a memoryview
    if unpacked is None:
        return False
    params, salt, tag = unpacked
    try:
        computed = _tag(verifier, salt, params, len(tag))
    except HashingError:  # parameters Argon2 refuses: a damaged row
        return False
    return hmac.compare_digest(computed, tag)


# The PHC string form, for tools that speak it (and tests that check the
# packed form against argon2-cffi's own): not used on the request path.
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
    unpacked = _unpacked(bytes(stored))
    if unpacked is None:
        return ""
    (version, memory, time_cost, parallelism), salt, tag = unpacked
    return (
        f"$argon2id$v={version}$m={memory},t={time_cost},p={parallelism}"
        f"${_b64encode(salt)}${_b64encode(tag)}"
    )


_FINGERPRINT_SALT = "rememberme.internal.crypto.password_fingerprint"


def _full_fingerprint(password_hash: str, secret: str | None) -> bytes:
    digest = salted_hmac(_FINGERPRINT_SALT, password_hash, secret=secret, algorithm="sha256")
    return digest.digest()


def password_fingerprint(password_hash: str, secret: str | None = None) -> bytes:
    """
    Return a keyed digest of a user's password hash (16 raw bytes).

    A token remembers the password it was issued under through this digest,
    so that a password changed by any means (even a raw SQL update) makes
    the token invalid. Keyed, like Django's session auth hash, so that the
    table holds nothing derived from the password that a copy could use.
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
