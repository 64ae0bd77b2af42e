"""
The device-binding figures (``REMEMBERME_DEVICE_BINDING``): what a bound
browser costs on a live request, on a restore and on a refresh, and one
ES256 signature check.

A bound browser is made the way a DBSC browser makes one: a remembered
sign-in, then a registration proof signed with a real P-256 key.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from django.test.utils import override_settings

from bench.harness import PASSWORD, QueryCounter, ab_pairs, call, cost_of, one_core, summary
from bench.restore import assert_restored
from rememberme.internal import dbsc, dbsc_proof
from rememberme.internal.conf import app_settings


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Device:
    """A P-256 key, signing ``dbsc+jwt`` proofs as the draft writes them."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())

    def proof(self, challenge: str, *, register: bool) -> str:
        header: dict[str, Any] = {"alg": "ES256", "typ": "dbsc+jwt"}
        if register:
            numbers = self.key.public_key().public_numbers()
            header["jwk"] = {
                "kty": "EC",
                "crv": "P-256",
                "x": _b64(numbers.x.to_bytes(32, "big")),
                "y": _b64(numbers.y.to_bytes(32, "big")),
            }
        payload = {"jti": challenge}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        r, s = utils.decode_dss_signature(
            self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        )
        return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def bound_browser(username: str, *, bind: bool = True) -> tuple[Client, Device, str]:
    """Sign in with "Remember me" and bind the series; return the client, key and session id."""
    client, device = Client(), Device()
    response = client.post(
        "/accounts/login/", {"username": username, "password": PASSWORD, "remember_me": "on"}
    )
    if not bind:  # a browser without DBSC ignores the offer
        return client, device, ""
    offer = response.headers["Secure-Session-Registration"]
    path, challenge = re.findall(r'(?:path|challenge)="([^"]*)"', offer)
    answer = client.post(path, HTTP_SECURE_SESSION_RESPONSE=device.proof(challenge, register=True))
    assert answer.status_code == 200, answer.status_code
    return client, device, answer.json()["session_identifier"]


def refresh(client: Client, device: Device, session_id: str) -> None:
    first = client.post("/accounts/device/refresh/", HTTP_SEC_SECURE_SESSION_ID=session_id)
    challenge = first.headers["Secure-Session-Challenge"].split('"')[1]
    answer = client.post(
        "/accounts/device/refresh/",
        HTTP_SEC_SECURE_SESSION_ID=session_id,
        HTTP_SECURE_SESSION_RESPONSE=device.proof(challenge, register=False),
    )
    assert answer.status_code == 200, answer.status_code


def _cookies(client: Client) -> dict[str, str]:
    return {name: morsel.value for name, morsel in client.cookies.items() if morsel.value}


def es256_verify(n: int) -> dict[str, Any]:
    """Time one ES256 verification of a proof against a stored DER key, pinned to one core."""
    device = Device()
    proof = dbsc_proof.read_proof(device.proof("challenge", register=True))
    der = dbsc_proof.key_from_jwk(proof.jwk, proof.algorithm)
    times: list[float] = []
    with one_core():
        for _ in range(n):
            started = time.perf_counter()
            assert dbsc_proof.verify(der, "ES256", proof.signing_input, proof.signature)
            times.append(time.perf_counter() - started)
    return summary(times, 1e3, 4)


def dbsc_figures(
    plain: WSGIHandler, full: WSGIHandler, pairs: int, blocks: int, restores: int
) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    users = get_user_model()._default_manager
    result: dict[str, Any] = {}
    with override_settings(REMEMBERME_DEVICE_BINDING=True):
        users.create_user("bound", password=PASSWORD)  # type: ignore[attr-defined]
        client, device, session_id = bound_browser("bound")
        live = _cookies(client)
        cost_a, cost_b = cost_of(plain, live), cost_of(full, live)
        result["live"] = {
            "label": "live session, device-bound",
            "queries_baseline": cost_a.queries,
            "queries": cost_b.queries,
            "added_queries": cost_b.queries - cost_a.queries,
            **ab_pairs(plain, live, full, live, pairs, blocks),
        }

        # A restore of a bound series next to one of an unbound series,
        # each browser made the same way just before (a sign-in, and for
        # the bound one its registration and a refresh), alternating which
        # goes first: the bound cookie's HMAC is what the restore adds; the
        # ES256 verification is the refresh's.
        totals: dict[str, list[float]] = {"bound": [], "unbound": []}
        restore_queries: dict[str, list[int]] = {"bound": [], "unbound": []}
        refresh_queries: list[int] = []
        refresh_ms: list[float] = []
        name = app_settings.COOKIE_NAME
        for index in range(restores):
            browsers = {}
            for kind in ("bound", "unbound"):
                username = f"{kind}-{index}"
                users.create_user(username, password=PASSWORD)  # type: ignore[attr-defined]
                client, device, session_id = bound_browser(username, bind=kind == "bound")
                if kind == "bound":
                    started = time.perf_counter()
                    with QueryCounter().active() as counted:
                        refresh(client, device, session_id)
                    refresh_ms.append(time.perf_counter() - started)
                    refresh_queries.append(len(counted))
                browsers[kind] = {
                    key: value
                    for key, value in _cookies(client).items()
                    if key in (name, dbsc.bound_cookie_name())
                }
            order = ["bound", "unbound"] if index % 2 else ["unbound", "bound"]
            for kind in order:
                with QueryCounter().active() as counted:
                    started = time.perf_counter()
                    response = call(full, browsers[kind])
                    totals[kind].append(time.perf_counter() - started)
                assert_restored(response)
                restore_queries[kind].append(len(counted))
        result["restore"] = {
            kind: {
                "queries": max(restore_queries[kind]),
                "total_ms": summary(totals[kind], 1e3, 3),
            }
            for kind in totals
        }
        result["refresh"] = {
            "requests": 2,
            "queries": max(refresh_queries),
            "total_ms": summary(refresh_ms, 1e3, 3),
        }
        result["es256_verify_ms"] = es256_verify(restores * 10)
    return result
