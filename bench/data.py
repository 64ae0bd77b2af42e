"""
The figures that need a big table: restore latency at scale, and purge.

Run by ``bench.run`` once per database as ``python -m bench.data --out FILE
--rows N``. The token table grows from ``--small`` to ``--rows`` expired
rows, with restore latency measured at both sizes; then
``purge_remember_tokens`` deletes the expired tokens and Django's
``clearsessions`` as many expired sessions, each in a subprocess of its own,
``--purge-runs`` times, alternating which goes first, each from a freshly
filled and checkpointed table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import get_commands  # noqa: E402
from django.db import connection  # noqa: E402

from bench import db  # noqa: E402
from bench.harness import PASSWORD, build_handlers, call, login_cookies, summary  # noqa: E402
from bench.restore import (  # noqa: E402
    assert_restored,
    issue_cookies,
    restore_figures,
    restore_ratios,
)
from rememberme.internal.conf import app_settings  # noqa: E402
from rememberme.internal.cookie import new_cookie_value  # noqa: E402
from rememberme.internal.crypto import hash_verifier, selector_digest  # noqa: E402
from rememberme.models import RememberToken  # noqa: E402

PURGE_COMMAND = "purge_remember_tokens"


def explain_lookup() -> dict[str, Any]:
    """Return the plan of the restore's lookup and whether it uses an index."""
    selector = new_cookie_value().selector
    # Exactly the restore's query: get() drops the model's default ordering.
    lookup = RememberToken.objects.select_related("user").filter(
        selector_digest=selector_digest(selector)
    )
    plan = lookup.order_by().explain()
    table = RememberToken._meta.db_table
    lines = [line for line in plan.splitlines() if line.strip()]
    if connection.vendor == "postgresql":
        uses_index = any("Index" in line and table in line for line in lines) and not any(
            f"Seq Scan on {table}" in line for line in lines
        )
    else:
        uses_index = any(table in line and "USING" in line and "INDEX" in line for line in lines)
    return {"plan": lines, "uses_index": uses_index}


def run_command(*argv: str) -> dict[str, Any]:
    """Run a management command in a subprocess; return its time and memory."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.purge_child", *argv],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    if completed.returncode:
        raise RuntimeError(f"{argv[0]} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def purge_figure(label: str, table: str, argv: list[str]) -> dict[str, Any]:
    db.checkpoint()
    before = db.count(table)
    connection.close()  # nothing of ours holds the table while it runs
    measured = run_command(*argv)
    deleted = before - db.count(table)
    return {
        "command": " ".join(argv),
        "label": label,
        "deleted": deleted,
        "rows_per_second": round(deleted / measured["seconds"]) if measured["seconds"] else None,
        **measured,
    }


def _timed_restore(handler: Any, value: str) -> float:
    started = time.perf_counter()
    response = call(handler, {app_settings.COOKIE_NAME: value})
    elapsed = time.perf_counter() - started
    assert_restored(response)
    return elapsed


def restores_during_purge(handler: Any, argv: list[str], budget: int) -> dict[str, Any]:
    """
    Time restores one after another while ``argv`` (the purge command) runs
    in a process of its own, and as many again with the database idle right
    after; return both latency distributions.
    """
    cookies = issue_cookies(2 * budget)
    db.checkpoint()
    before = db.count(RememberToken._meta.db_table)
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.purge_child", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdout is not None
    child.stdout.readline()  # "ready": the command starts now
    during: list[float] = []
    while child.poll() is None and len(during) < budget:
        during.append(_timed_restore(handler, cookies.pop()))
    stdout, stderr = child.communicate()
    if child.returncode:
        raise RuntimeError(f"{argv[0]} failed:\n{stderr}")
    measured = json.loads(stdout.strip().splitlines()[-1])
    idle = [_timed_restore(handler, cookies.pop()) for _ in range(max(len(during), 20))]
    deleted = before - db.count(RememberToken._meta.db_table)
    p99_during = summary(during, 1e3, 3) if during else None
    idle_summary = summary(idle, 1e3, 3)
    return {
        "command": " ".join(argv),
        "deleted": deleted,
        "purge_seconds": round(measured["seconds"], 3),
        "rows_per_second": round(deleted / measured["seconds"]) if measured["seconds"] else None,
        "during_ms": p99_during,
        "during_p99_ms": round(_p99(during) * 1e3, 3) if during else None,
        "idle_ms": idle_summary,
        "idle_p99_ms": round(_p99(idle) * 1e3, 3),
        "p99_ratio": round(_p99(during) / _p99(idle), 3) if during else None,
        "p50_ratio": round(statistics.median(during) / statistics.median(idle), 3)
        if during
        else None,
    }


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the median run, with every run's rate and the highest peak."""
    ordered = sorted(runs, key=lambda run: run["rows_per_second"])
    median = ordered[(len(ordered) - 1) // 2]
    rates = [run["rows_per_second"] for run in runs]
    return {
        **median,
        "rows_per_second": round(statistics.median(rates)),
        "runs": len(runs),
        "rows_per_second_runs": rates,
        "rows_per_second_min": min(rates),
        "rows_per_second_max": max(rates),
        "peak_rss_kib": max(run["peak_rss_kib"] or 0 for run in runs),
        "rss_before_kib": min(run["rss_before_kib"] or 0 for run in runs),
    }


def row_bytes(table: str, where: str = "") -> float | None:
    """
    Return the average stored size of the table's rows (PostgreSQL), or of
    those matching the SQL condition ``where``, for the docs.
    """
    if connection.vendor != "postgresql":
        return None
    condition = f" WHERE {where}" if where else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT AVG(pg_column_size(t.*)) FROM {connection.ops.quote_name(table)} t"  # noqa: S608
            + condition
        )
        value = cursor.fetchone()[0]
    return round(float(value), 1) if value is not None else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--restores", type=int, default=100)
    parser.add_argument("--purge-runs", type=int, default=3)
    parser.add_argument("--ratio-rounds", type=int, default=150)
    parser.add_argument("--load-restores", type=int, default=600)
    args = parser.parse_args()

    db.reset_database()
    db.migrate()
    user = get_user_model().objects.create_user("alice", "alice@example.com", PASSWORD)
    _, full = build_handlers()
    live = login_cookies(remember=True)
    result: dict[str, Any] = {"vendor": connection.vendor}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()"
        )
        result["server_version"] = cursor.fetchone()[0]

    verifier_hash = hash_verifier(new_cookie_value().verifier)
    table = RememberToken._meta.db_table
    inserted = 0
    result["scale"] = {}
    for target in sorted({min(args.small, args.rows), args.rows}):
        started = time.perf_counter()
        db.insert_expired_tokens(user, target - inserted, verifier_hash)
        inserted = target
        print(f"  {connection.vendor}: {target:,} expired tokens", flush=True)
        result["scale"][str(target)] = {
            "rows": db.count(table),
            "insert_seconds": round(time.perf_counter() - started, 2),
            "lookup": explain_lookup(),
            **restore_figures(full, args.restores),
        }
        if "ratios" not in result:
            print(f"  {connection.vendor}: restore vs floor vs live request", flush=True)
            result["ratios"] = restore_ratios(full, live, args.ratio_rounds)

    print(f"  {connection.vendor}: restores while purging {args.rows:,} rows", flush=True)
    result["under_purge"] = {}
    for key, options in (("default", []), ("unpaced", ["--pause", "0"])):
        if key != "default" or db.count(table) < args.rows:
            db.empty(table)
            db.insert_expired_tokens(user, args.rows, verifier_hash)
        result["under_purge"][key] = restores_during_purge(
            full, [PURGE_COMMAND, "--verbosity", "0", *options], args.load_restores
        )
        print(f"    {key}: {result['under_purge'][key]['p99_ratio']}", flush=True)

    # What Django stores for a signed-in user, with a real session auth
    # hash (a constant one would compress, and make the rows shorter).
    session_data = SessionStore().encode(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
        }
    )
    result["rows_stored"] = {"session_data_chars": len(session_data)}
    if PURGE_COMMAND not in get_commands():
        result["purge"] = None
        print(f"  {PURGE_COMMAND} is not available: purge not measured", flush=True)
    runs: dict[str, list[dict[str, Any]]] = {"purge": [], "clearsessions": []}
    for run in range(args.purge_runs):
        order = ["purge", "clearsessions"] if run % 2 == 0 else ["clearsessions", "purge"]
        for kind in order:
            if kind == "purge" and PURGE_COMMAND in get_commands():
                db.empty(table)
                db.insert_expired_tokens(user, args.rows, verifier_hash)
                if not run:
                    # The rows the purge deletes, not the live tokens the
                    # restores left.
                    result["rows_stored"]["token_row_bytes"] = row_bytes(
                        table, "revoked_at IS NULL AND expires_at <= now()"
                    )
                runs["purge"].append(
                    purge_figure(
                        "purge_remember_tokens", table, [PURGE_COMMAND, "--verbosity", "0"]
                    )
                )
            elif kind == "clearsessions":
                db.empty("django_session")
                db.insert_expired_sessions(args.rows, session_data)
                if not run:
                    result["rows_stored"]["session_row_bytes"] = row_bytes("django_session")
                runs["clearsessions"].append(
                    purge_figure(
                        "clearsessions", "django_session", ["clearsessions", "--verbosity", "0"]
                    )
                )
            print(f"  {kind} run {run + 1}/{args.purge_runs} done", flush=True)
    for kind, measured in runs.items():
        if measured:
            result[kind] = summarize(measured)

    with open(args.out, "w") as handle:
        json.dump(result, handle, indent=2)


if __name__ == "__main__":
    main()
