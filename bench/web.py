"""
The request figures, in one process with two handler stacks.

Run by ``bench.run`` as ``python -m bench.web --out FILE [--quick]`` with the
database chosen by ``bench.settings``' environment variables.
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from typing import Any

import django

django.setup()

import argon2  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench import db  # noqa: E402
from bench.harness import (  # noqa: E402
    PASSWORD,
    QueryCounter,
    ab_pairs,
    build_handlers,
    call,
    cost_of,
    login_cookies,
    one_core,
    summary,
)
from bench.restore import restore_figures  # noqa: E402
from rememberme.internal.conf import app_settings  # noqa: E402
from rememberme.internal.cookie import new_cookie_value  # noqa: E402
from rememberme.internal.crypto import hash_verifier, verify_verifier  # noqa: E402

COOKIE = app_settings.COOKIE_NAME


# Per-request overhead ------------------------------------------------------


def request_figures(plain: WSGIHandler, full: WSGIHandler, pairs: int, blocks: int) -> dict:
    unknown = new_cookie_value().encode()  # well-formed, selector in no row
    cases: list[tuple[str, str, Any, Any]] = [
        (
            "live_session",
            "live session, no token cookie",
            lambda: login_cookies(remember=False),
            None,
        ),
        (
            "live_session_token_cookie",
            "live session + token cookie",
            lambda: login_cookies(remember=True),
            None,
        ),
        ("anonymous", "anonymous, no cookie", dict, None),
        ("junk_malformed", "anonymous, malformed cookie", dict, {COOKIE: "not-a-token"}),
        ("junk_unknown", "anonymous, unknown selector", dict, {COOKIE: unknown}),
    ]
    results = {}
    for key, label, make_cookies, junk in cases:
        # Sign in right before each case, so the session's last check is
        # recent and no revalidation (a separate figure) falls inside.
        cookies_a = make_cookies()
        cookies_b = {**cookies_a, **(junk or {})}
        cost_a = cost_of(plain, cookies_a)
        cost_b = cost_of(full, cookies_b)
        timing = ab_pairs(plain, cookies_a, full, cookies_b, pairs, blocks)
        results[key] = {
            "label": label,
            "baseline": "plain Django, same cookies"
            if junk is None
            else "plain Django, anonymous without the cookie",
            "queries_baseline": cost_a.queries,
            "queries": cost_b.queries,
            "added_queries": cost_b.queries - cost_a.queries,
            "argon2_calls": cost_b.argon2,
            "sql": cost_b.sql,
            **timing,
        }
        print(f"  {label}: ratio {timing['ratio']:.3f}", flush=True)
    return results


# Argon2 ----------------------------------------------------------------------


def argon2_micro(n: int) -> dict:
    """Time one verify plus one hash (what a restore does), pinned to one core."""
    value = new_cookie_value().verifier
    encoded = hash_verifier(value)
    pairs: list[float] = []
    with one_core():
        for _ in range(n):
            started = time.perf_counter()
            assert verify_verifier(encoded, value)
            encoded = hash_verifier(value)
            pairs.append(time.perf_counter() - started)
    return {"verify_plus_hash_ms": summary(pairs, 1e3, 3), "one_core": True}


def argon2_defaults() -> dict[str, int]:
    hasher = argon2.PasswordHasher()
    return {
        "time_cost": hasher.time_cost,
        "memory_cost": hasher.memory_cost,
        "parallelism": hasher.parallelism,
    }


# Revalidation ------------------------------------------------------------------


def revalidation_figure(
    plain: WSGIHandler, full: WSGIHandler, life: datetime.timedelta, step: datetime.timedelta
) -> dict:
    """
    Count the queries each stack makes over a session's life: a request
    every ``step`` for ``life``, the clock moved by freezegun.
    """
    from freezegun import freeze_time

    start = datetime.datetime(2030, 1, 6, 9, 0, tzinfo=datetime.timezone.utc)
    n = int(life / step)
    counts = {}
    with freeze_time(start) as frozen:
        cookies = login_cookies(remember=True)
        for name, handler in (("plain", plain), ("rememberme", full)):
            frozen.move_to(start)
            with QueryCounter().active() as queries:
                for i in range(1, n + 1):
                    frozen.move_to(start + step * i)
                    call(handler, cookies)
            counts[name] = len(queries)
    added = counts["rememberme"] - counts["plain"]
    interval = app_settings.REVALIDATE_INTERVAL
    return {
        "interval_s": interval.total_seconds(),
        "life_s": life.total_seconds(),
        "request_every_s": step.total_seconds(),
        "requests": n,
        "queries_plain": counts["plain"],
        "queries_rememberme": counts["rememberme"],
        "added_queries": added,
        "added_per_request": round(added / n, 4),
        "revalidations_expected": int(life / interval) if interval else n,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()

    pairs, blocks = (3000, 10) if args.quick else (20000, 40)
    restores, restores_slow = (30, 5) if args.quick else (200, 30)
    micro, micro_slow = (50, 5) if args.quick else (400, 30)

    db.reset_database()
    db.migrate()
    get_user_model().objects.create_user("alice", "alice@example.com", PASSWORD)
    plain, full = build_handlers()
    result: dict[str, Any] = {}

    print("request overhead (A = plain Django, B = with RememberMeMiddleware)", flush=True)
    result["requests"] = request_figures(plain, full, pairs, blocks)

    print("restore", flush=True)
    defaults = app_settings.ARGON2_PARAMS
    cffi = argon2_defaults()
    result["restore"] = {
        "default": {"params": defaults, **restore_figures(full, restores)},
    }
    with override_settings(REMEMBERME_ARGON2_PARAMS=cffi):
        result["restore"]["argon2_cffi_defaults"] = {
            "params": cffi,
            **restore_figures(full, restores_slow),
        }
    result["argon2"] = {"default": {"params": defaults, **argon2_micro(micro)}}
    # Candidates between the floor and password grade, for the docs' choice.
    for key, params, n in (
        ("m_256k", {"time_cost": 1, "memory_cost": 256, "parallelism": 1}, micro),
        ("m_2m", {"time_cost": 1, "memory_cost": 2048, "parallelism": 1}, micro),
        ("argon2_cffi_defaults", cffi, micro_slow),
    ):
        with override_settings(REMEMBERME_ARGON2_PARAMS=params):
            result["argon2"][key] = {"params": params, **argon2_micro(n)}

    print("revalidation", flush=True)
    life = datetime.timedelta(hours=1 if args.quick else 8)
    step = datetime.timedelta(seconds=15)
    result["revalidation"] = {"default": revalidation_figure(plain, full, life, step)}
    with override_settings(REMEMBERME_REVALIDATE_INTERVAL=0):
        result["revalidation"]["every_request"] = revalidation_figure(
            plain, full, datetime.timedelta(minutes=10), step
        )

    try:
        from bench.dbsc import dbsc_figures
    except ImportError:  # no cryptography: the dbsc extra is not installed
        print("device binding: skipped (pip install django-rememberme[dbsc])", flush=True)
    else:
        print("device binding", flush=True)
        result["dbsc"] = dbsc_figures(plain, full, pairs, blocks, restores)

    with open(args.out, "w") as handle:
        json.dump(result, handle, indent=2)


if __name__ == "__main__":
    main()
