"""
A Device Bound Session Credentials client for the protocol tests.

It holds a real key pair (EC P-256 for ES256, or RSA for RS256) and speaks
the headers and ``dbsc+jwt`` proofs as the W3C draft describes them, on top
of Django's test client: what a DBSC browser's network stack does, minus
the deferral of requests (the tests call :meth:`DbscBrowser.refresh` where
the browser would).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from django.test import Client

__all__ = ["DbscBrowser", "DeviceKey", "b64", "jws", "parse_registration"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(value: int) -> str:
    return b64(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


class DeviceKey:
    """A key pair the way a browser keeps one, signing JWS as RFC 7515 writes it."""

    def __init__(self, algorithm: str = "ES256") -> None:
        self.algorithm = algorithm
        self.private: Any
        if algorithm == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, str]:
        numbers = self.private.public_key().public_numbers()
        if self.algorithm == "ES256":
            return {
                "kty": "EC",
                "crv": "P-256",
                "x": b64(numbers.x.to_bytes(32, "big")),
                "y": b64(numbers.y.to_bytes(32, "big")),
            }
        return {"kty": "RSA", "n": _int(numbers.n), "e": _int(numbers.e)}

    def sign(self, data: bytes) -> bytes:
        if self.algorithm == "ES256":
            der = self.private.sign(data, ec.ECDSA(hashes.SHA256()))
            r, s = utils.decode_dss_signature(der)
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())


def jws(key: DeviceKey, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """Return the compact JWS of ``header`` and ``payload`` signed by ``key``."""
    signing_input = (
        b64(json.dumps(header).encode()) + "." + b64(json.dumps(payload).encode())
    ).encode()
    return signing_input.decode() + "." + b64(key.sign(signing_input))


_PARAM = re.compile(r';\s*(\w+)="([^"]*)"')


def parse_registration(value: str) -> tuple[list[str], dict[str, str]]:
    """Return the algorithms and parameters of a ``Secure-Session-Registration`` value."""
    match = re.match(r"\(([^)]*)\)(.*)", value.strip())
    assert match, value
    return match.group(1).split(), dict(_PARAM.findall(match.group(2)))


class DbscBrowser:
    """A Django test client with a device key, registering and refreshing like a DBSC browser."""

    def __init__(self, client: Client | None = None, algorithm: str = "ES256") -> None:
        self.client = client or Client()
        self.key = DeviceKey(algorithm)
        self.instructions: dict[str, Any] | None = None

    @property
    def session_id(self) -> str:
        assert self.instructions is not None
        return str(self.instructions["session_identifier"])

    @property
    def credential(self) -> dict[str, str]:
        assert self.instructions is not None
        (credential,) = self.instructions["credentials"]
        return dict(credential)

    def proof(self, challenge: str, *, with_key: bool, typ: str = "dbsc+jwt") -> str:
        header: dict[str, Any] = {"alg": self.key.algorithm, "typ": typ}
        if with_key:
            header["jwk"] = self.key.jwk()
        return jws(self.key, header, {"jti": challenge})

    def register(self, response: Any, *, quoted: bool = True) -> Any:
        """Answer the registration ``response`` offered; return the endpoint's response."""
        value = response.headers.get("Secure-Session-Registration")
        assert value, "no registration offered"
        algorithms, params = parse_registration(value)
        assert self.key.algorithm in algorithms
        proof = self.proof(params["challenge"], with_key=True)
        answer = self.client.post(
            params["path"], HTTP_SECURE_SESSION_RESPONSE=f'"{proof}"' if quoted else proof
        )
        if answer.status_code == 200:
            self.instructions = answer.json()
        return answer

    def refresh(self, *, quoted: bool = False) -> Any:
        """Refresh as the browser does: ask, get challenged (403), sign, ask again."""
        assert self.instructions is not None
        url = self.instructions["refresh_url"]
        session_id = f'"{self.session_id}"' if quoted else self.session_id
        first = self.client.post(url, HTTP_SEC_SECURE_SESSION_ID=session_id)
        if first.status_code != 403:
            return first
        challenge = self.challenge_of(first)
        proof = self.proof(challenge, with_key=False)
        return self.client.post(
            url,
            HTTP_SEC_SECURE_SESSION_ID=session_id,
            HTTP_SECURE_SESSION_RESPONSE=f'"{proof}"' if quoted else proof,
        )

    def challenge_of(self, response: Any) -> str:
        match = re.fullmatch(
            r'"([^"]*)";id="([^"]*)"', response.headers["Secure-Session-Challenge"]
        )
        assert match, response.headers["Secure-Session-Challenge"]
        assert match.group(2) == self.session_id
        return match.group(1)
