"""
The proofs of device binding: the challenges and session identifiers
handed to the browser, reading a ``dbsc+jwt`` and the key it registers,
checking its signature. The one module that needs
``cryptography`` (the ``dbsc`` extra, imported only when a proof is
checked); the system checks report it missing when device binding is on.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import importlib.util
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.utils import timezone

__all__ = [
    "ALGORITHMS",
    "CHALLENGE_AGE",
    "InvalidProof",
    "Proof",
    "available",
    "header_value",
    "key_from_jwk",
    "new_challenge",
    "nonce_digest",
    "open_challenge",
    "open_session_id",
    "parse_number",
    "read_proof",
    "session_id",
    "verify",
]

#: The signature algorithms offered, in the order of preference (the draft
#: requires ES256 or RS256; Chromium picks the first its key store supports).
ALGORITHMS = ("ES256", "RS256")
#: How long a challenge may be answered: the browser answers at once.
CHALLENGE_AGE = datetime.timedelta(minutes=2)
_SESSION_SALT = "rememberme.internal.dbsc.session"


class InvalidProof(SuspiciousOperation):
    """A ``Secure-Session-Response`` that proves nothing (malformed, stale, forged)."""


def _now() -> int:
    return int(timezone.now().timestamp())


# Identifiers and challenges -------------------------------------------


def parse_number(text: str, max_digits: int = 20) -> int | None:
    """
    Return the number ``text`` writes in 1 to ``max_digits`` ASCII digits,
    else ``None``.

    ``str.isdigit()`` and ``int()`` also take other scripts' digits ("²"
    passes the one and fails the other) and any length, and a cookie or
    header may hold anything.
    """
    if not (0 < len(text) <= max_digits and text.isascii() and text.isdigit()):
        return None
    return int(text)


def session_id(series: int) -> str:
    return signing.Signer(salt=_SESSION_SALT).sign(str(series))


def open_session_id(value: str) -> int | None:
    try:
        return parse_number(signing.Signer(salt=_SESSION_SALT).unsign(value))
    except signing.BadSignature:
        return None


def nonce_digest(nonce: str) -> bytes:
    return hashlib.sha256(nonce.encode()).digest()[:16]


def new_challenge(purpose: str, series: int) -> tuple[str, str]:
    """Return a challenge for ``purpose`` and ``series``, and its nonce."""
    nonce = secrets.token_urlsafe(16)
    expires = _now() + int(CHALLENGE_AGE.total_seconds())
    challenge = signing.Signer(salt=f"rememberme.internal.dbsc.{purpose}").sign(
        f"{series}.{nonce}.{expires}"
    )
    return challenge, nonce


def open_challenge(purpose: str, challenge: Any) -> tuple[int, str]:
    """Return the series and nonce of an unexpired ``challenge``; raise :exc:`InvalidProof`."""
    try:
        signer = signing.Signer(salt=f"rememberme.internal.dbsc.{purpose}")
        series, nonce, expires = signer.unsign(str(challenge)).split(".")
    except (signing.BadSignature, ValueError) as exc:
        raise InvalidProof("The challenge is not one of ours.") from exc
    number, until = parse_number(series), parse_number(expires)
    if number is None or until is None:
        raise InvalidProof("The challenge is not one of ours.")
    if _now() < until:
        return number, nonce
    raise InvalidProof("The challenge has expired.")


#: RSA moduli shorter than this are refused (NIST SP 800-131A).
MIN_RSA_BITS = 2048


def available() -> bool:
    """Return whether ``cryptography`` can be imported."""
    return importlib.util.find_spec("cryptography") is not None


def _integer(jwk: dict[str, Any], name: str) -> int:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise InvalidProof(f"The key has no {name}.")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidProof(f"The key's {name} is not base64url.") from exc
    return int.from_bytes(raw, "big")


def key_from_jwk(jwk: dict[str, Any] | None, algorithm: str) -> bytes:
    """
    Return the public key of ``jwk`` (RFC 7517) as DER SubjectPublicKeyInfo,
    checking that it is a key for ``algorithm``: a P-256 key for ES256, an
    RSA key of at least 2048 bits for RS256. Raise :exc:`InvalidProof`.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if jwk is None:
        raise InvalidProof("The registration proof carries no key.")
    key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey
    try:
        if algorithm == "ES256" and jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            numbers = ec.EllipticCurvePublicNumbers(
                _integer(jwk, "x"), _integer(jwk, "y"), ec.SECP256R1()
            )
            key = numbers.public_key()
        elif algorithm == "RS256" and jwk.get("kty") == "RSA":
            key = rsa.RSAPublicNumbers(_integer(jwk, "e"), _integer(jwk, "n")).public_key()
            if key.key_size < MIN_RSA_BITS:
                raise InvalidProof("The RSA key is too short.")
        else:
            raise InvalidProof("The key does not match the algorithm.")
    except ValueError as exc:
        # A point off the curve, an invalid exponent.
        raise InvalidProof("The key is invalid.") from exc
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def verify(der: bytes, algorithm: str, signing_input: bytes, signature: bytes) -> bool:
    """Return whether ``signature`` over ``signing_input`` is ``algorithm``'s by key ``der``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

    key = serialization.load_der_public_key(bytes(der))
    try:
        if algorithm == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
            # JWS writes an ECDSA signature as r || s, 32 bytes each (RFC 7518, 3.4).
            if len(signature) != 64:
                return False
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            key.verify(utils.encode_dss_signature(r, s), signing_input, ec.ECDSA(hashes.SHA256()))
            return True
        if algorithm == "RS256" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    return False


def header_value(request: HttpRequest, name: str) -> str | None:
    """
    Return the header ``name`` as a string: the draft defines these headers
    as structured-field strings (quoted), Chromium sends them bare; both
    are accepted.
    """
    value = request.headers.get(name, "").strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value or None


def _b64decode(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidProof("The proof is not base64url.") from exc


def _json_part(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(segment))
    # RecursionError: a few kilobytes of "[" nest deeper than the parser goes.
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidProof("The proof is not JSON.") from exc
    if not isinstance(value, dict):
        raise InvalidProof("The proof is not a JSON object.")
    return value


@dataclass(frozen=True)
class Proof:
    """A parsed ``dbsc+jwt`` (draft, "DBSC Proof JWT Syntax"), not yet verified."""

    algorithm: str
    jwk: dict[str, Any] | None
    challenge: Any
    signing_input: bytes
    signature: bytes


def read_proof(value: str | None) -> Proof:
    """Parse a ``Secure-Session-Response`` value; raise :exc:`InvalidProof`."""
    if not value or len(value) > 8192:
        raise InvalidProof("No proof.")
    parts = value.split(".")
    if len(parts) != 3:
        raise InvalidProof("The proof is not a compact JWS.")
    header, payload = _json_part(parts[0]), _json_part(parts[1])
    if header.get("typ") != "dbsc+jwt":
        raise InvalidProof("The proof's typ is not dbsc+jwt.")
    # "none" is a draft algorithm for keyless sessions: never for binding.
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise InvalidProof("The proof's algorithm is not one offered.")
    jwk = header.get("jwk")
    return Proof(
        algorithm=str(algorithm),
        jwk=jwk if isinstance(jwk, dict) else None,
        challenge=payload.get("jti"),
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii", "replace"),
        signature=_b64decode(parts[2]),
    )
