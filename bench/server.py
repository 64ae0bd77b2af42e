"""
Restores per second against live requests per second, under gunicorn.

Run by ``bench.run`` as ``python -m bench.server --out FILE [--quick]`` on
PostgreSQL. A real gunicorn (2 sync workers, so two processes sharing
nothing but the database) serves the benchmark's page; client threads in
this process keep every worker busy, one new connection per request (sync
workers close it), for a few seconds at a time. Phases alternate between
live requests (a signed-in session and its token cookie) and restores
(each with a token cookie of its own and no session, so each one rotates),
so whatever else the machine does falls on both alike; the figure is the
ratio of their rates.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import db  # noqa: E402
from bench.harness import PAGE, PASSWORD, login_cookies, summary  # noqa: E402
from rememberme.internal.conf import app_settings  # noqa: E402
from rememberme.internal.cookie import new_cookie_value  # noqa: E402
from rememberme.internal.crypto import (  # noqa: E402
    backend_digest,
    hash_verifier,
    password_fingerprint,
    selector_digest,
)
from rememberme.models import RememberToken, token_ends  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
CLIENTS = 4
BACKEND = "django.contrib.auth.backends.ModelBackend"


class Gunicorn:
    def __init__(self, log: Path) -> None:
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(WORKERS),
                "--worker-class",
                "sync",
                "--bind",
                "127.0.0.1:0",
                "--backlog",
                "256",
                "bench.wsgi:application",
            ],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
        )
        self.port = self._wait()

    def _wait(self) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()}")
            text = self.log.read_text(errors="replace")
            match = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
            if match and text.count("Booting worker") >= WORKERS:
                return int(match[1])
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not start in 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()


def get(port: int, cookie: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", PAGE, headers={"Host": "testserver", "Cookie": cookie})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def phase(port: int, cookies: list[str] | str, seconds: float) -> dict[str, Any]:
    """
    Send requests from ``CLIENTS`` threads for ``seconds``: the one cookie
    header ``cookies`` every time, or each header of the list once.
    """
    lock = threading.Lock()
    pool = list(reversed(cookies)) if isinstance(cookies, list) else None
    done: list[float] = []
    failures: list[str] = []
    stop = time.perf_counter() + seconds

    def client() -> None:
        while time.perf_counter() < stop:
            if pool is None:
                header = str(cookies)
            else:
                with lock:
                    if not pool:
                        return
                    header = pool.pop()
            started = time.perf_counter()
            response = get(port, header)
            elapsed = time.perf_counter() - started
            set_cookie = response.getheader("Set-Cookie") or ""
            if response.status != 200 or (pool is not None and "sessionid=" not in set_cookie):
                failures.append(f"{response.status} {set_cookie[:80]}")
            with lock:
                done.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} benchmark requests failed, e.g. {failures[0]}")
    return {"requests": len(done), "seconds": round(wall, 3), "per_second": len(done) / wall}


def make_tokens(n: int) -> list[str]:
    """
    Return ``n`` token cookies, each of a user of its own (so that restores
    do not queue on one user's row for ``last_login``), inserted in bulk.
    """
    users = get_user_model()._default_manager
    password = make_password(PASSWORD)
    start = users.count()
    created = users.bulk_create(
        [users.model(username=f"load-{i}", password=password) for i in range(start, start + n)]
    )
    now = timezone.now()
    values = [new_cookie_value() for _ in range(n)]
    verifier = values[0].verifier
    values = [type(v)(selector=v.selector, verifier=verifier) for v in values]
    encoded = hash_verifier(verifier)  # one hash for all: each row rotates to its own
    RememberToken.objects.bulk_create(
        [
            # What RememberToken.objects.issue() stores, without its
            # per-user cap (each user has one token).
            RememberToken(
                user=user,
                selector_digest=selector_digest(value.selector),
                verifier_hash=encoded,
                password_fingerprint=password_fingerprint(password),
                backend_digest=backend_digest(BACKEND),
                created_at=now,
                last_used_at=now,
                rotated_at=now,
                **token_ends(user, created_at=now, last_used_at=now)._asdict(),
            )
            for user, value in zip(created, values, strict=True)
        ],
        batch_size=1000,
    )
    return [f"{app_settings.COOKIE_NAME}={value.encode()}" for value in values]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds, rounds = (2.0, 2) if args.quick else (5.0, 3)

    db.reset_database()
    db.migrate()
    get_user_model().objects.create_user("alice", "alice@example.com", PASSWORD)
    live_cookies = login_cookies(remember=True)
    live = "; ".join(f"{name}={value}" for name, value in live_cookies.items())
    # More than enough for the fastest plausible restore rate.
    tokens = make_tokens(int(seconds * rounds * 600))

    rates: dict[str, list[float]] = {"live": [], "restore": []}
    runs = []
    with tempfile.TemporaryDirectory(prefix="rememberme-gunicorn-") as tmp:
        server = Gunicorn(Path(tmp) / "gunicorn.log")
        try:
            phase(server.port, live, 1.0)  # warm both workers up
            for round_ in range(rounds):
                order = ["live", "restore"] if round_ % 2 == 0 else ["restore", "live"]
                for kind in order:
                    measured = phase(server.port, live if kind == "live" else tokens, seconds)
                    if kind == "restore":
                        tokens = tokens[measured["requests"] :]
                    rates[kind].append(measured["per_second"])
                    runs.append({"kind": kind, **measured})
        finally:
            server.stop()
    medians = {kind: statistics.median(values) for kind, values in rates.items()}
    result = {
        "workers": WORKERS,
        "clients": CLIENTS,
        "seconds_per_phase": seconds,
        "runs": runs,
        "live_per_second": round(medians["live"], 1),
        "restores_per_second": round(medians["restore"], 1),
        "ratio": round(medians["restore"] / medians["live"], 3),
        "live_per_second_spread": summary(rates["live"], 1.0, 1),
        "measured_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }
    print(
        f"  gunicorn: {result['restores_per_second']} restores/s, "
        f"{result['live_per_second']} live requests/s, ratio {result['ratio']}",
        flush=True,
    )
    Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
