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
from bench.harness import build_handlers  # noqa: E402
from bench.restore import restore_figures  # noqa: E402
from rememberme.crypto import hash_verifier, new_cookie_value  # noqa: E402
from rememberme.models import RememberToken  # noqa: E402

PURGE_COMMAND = "purge_remember_tokens"


def explain_lookup() -> dict[str, Any]:
    """Return the plan of the restore's lookup and whether it uses an index."""
    selector = new_cookie_value().selector
    # Exactly the restore's query: get() drops the model's default ordering.
    lookup = RememberToken.objects.select_related("user").by_selector(selector)
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


def row_bytes(table: str) -> float | None:
    """Return the table's average stored row size (PostgreSQL), for the docs."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT AVG(pg_column_size(t.*)) FROM {connection.ops.quote_name(table)} t"  # noqa: S608
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
    args = parser.parse_args()

    db.reset_database()
    db.migrate()
    user = get_user_model().objects.create_user("alice", "alice@example.com", "bench")
    _, full = build_handlers()
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

    # What Django stores for a signed-in user, with a real session auth
    # hash (a constant one would compress, and make the rows shorter).
    session_data = SessionStore().encode(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
        }
    )
    result["rows_stored"] = {
        "token_row_bytes": row_bytes(table),
        "session_data_chars": len(session_data),
    }
    if PURGE_COMMAND not in get_commands():
        result["purge"] = None
        print(f"  {PURGE_COMMAND} is not available: purge not measured", flush=True)
    runs: dict[str, list[dict[str, Any]]] = {"purge": [], "clearsessions": []}
    for run in range(args.purge_runs):
        order = ["purge", "clearsessions"] if run % 2 == 0 else ["clearsessions", "purge"]
        for kind in order:
            if kind == "purge" and PURGE_COMMAND in get_commands():
                if run:  # the first run purges the table the scale figures filled
                    db.empty(table)
                    db.insert_expired_tokens(user, args.rows, verifier_hash)
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
