#!/usr/bin/env python3
"""
Developer entry point: needs only Python 3.10+ and its standard library.

    python3 scripts/dev.py demo      # the demo site on SQLite, with a demo user
    python3 scripts/dev.py test      # the test suite (extra args go to pytest)

Each command creates the virtual environment it needs (``.venv`` in the
checkout) and installs the project into it, once; it reinstalls only when
``pyproject.toml`` changes. The other commands (lint, types, docs, browser,
matrix, bench) are the extra CI legs that ``.ci/run`` calls.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("REMEMBERME_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

DEMO_URL = "http://127.0.0.1:8000/"
DEMO_USER = ("demo", "remember-me-demo")


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env, check=False)
    if completed.returncode:
        raise SystemExit(completed.returncode)


def ensure_venv(*extras: str) -> None:
    """Create .venv if needed and install the project with ``extras`` into it."""
    spec = ".[" + ",".join(sorted(extras)) + "]" if extras else "."
    fingerprint = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + spec.encode() + sys.version.encode()
    ).hexdigest()
    stamp = VENV / ".rememberme-installed"
    if stamp.exists() and fingerprint in stamp.read_text().split():
        return
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", spec)
    previous = stamp.read_text() if stamp.exists() else ""
    stamp.write_text(previous + fingerprint + "\n")


def cmd_demo(args: list[str]) -> None:
    ensure_venv()
    manage = ROOT / "example" / "manage.py"
    run(PYTHON, manage, "migrate", "--verbosity", "0")
    run(PYTHON, manage, "ensure_demo_user", DEMO_USER[0], DEMO_USER[1])
    print(
        f"\n  Demo site: {DEMO_URL}\n"
        f"  Sign in as {DEMO_USER[0]!r} with the password {DEMO_USER[1]!r}.\n"
        "  Tick 'Remember me', close the browser, come back: you are still signed in.\n",
        flush=True,
    )
    run(PYTHON, manage, "runserver", "127.0.0.1:8000", *args)


def cmd_test(args: list[str]) -> None:
    ensure_venv("test", "postgres")
    run(PYTHON, "-m", "pytest", *args)


def cmd_browser(args: list[str]) -> None:
    ensure_venv("test", "browser")
    run(PYTHON, "-m", "pytest", "-m", "browser", "tests/browser", *args)


def cmd_matrix(args: list[str]) -> None:
    """The main suite once per supported Django (noxfile.py; extra args go to nox)."""
    ensure_venv("matrix")
    run(PYTHON, "-m", "nox", "--noxfile", ROOT / "noxfile.py", *args)


def cmd_lint(args: list[str]) -> None:
    ensure_venv("test", "lint")
    run(PYTHON, "-m", "ruff", "check", ".")
    run(PYTHON, "-m", "ruff", "format", "--check", ".")


def cmd_types(args: list[str]) -> None:
    ensure_venv("test", "lint")
    run(PYTHON, "-m", "mypy", "rememberme", "tests")


def cmd_docs(args: list[str]) -> None:
    ensure_venv("docs")
    run(PYTHON, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


def cmd_messages(args: list[str]) -> None:
    """Extract the package's strings, fill the catalogues and compile them."""
    ensure_venv("test")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    command = [str(BIN / "django-admin"), "makemessages", "-l", "fr", "-l", "de"]
    completed = subprocess.run(
        [*command, "--no-obsolete", "--no-location"],
        cwd=ROOT / "rememberme",
        env=env,
        check=False,
    )
    if completed.returncode:
        raise SystemExit(completed.returncode)
    run(sys.executable, "scripts/translations.py")


def cmd_package(args: list[str]) -> None:
    """Build the sdist and the wheel, and check they carry every data file."""
    ensure_venv("test")
    run(PYTHON, "-m", "pip", "install", "--quiet", "build")
    run(PYTHON, "-m", "build", "--outdir", "dist", ".")
    run(PYTHON, "scripts/check_dist.py", "dist")


def cmd_bench(args: list[str]) -> None:
    """Run the benchmark (``--quick`` for CI); see docs/performance.rst."""
    ensure_venv("test", "postgres")
    run(PYTHON, "-m", "bench", *args)


def main() -> None:
    commands = {
        name[len("cmd_") :]: func for name, func in globals().items() if name.startswith("cmd_")
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        print("commands:", ", ".join(sorted(commands)))
        raise SystemExit(2)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
