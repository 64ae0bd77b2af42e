#!/usr/bin/env python3
"""
Developer entry point: needs only Python 3.10+ and its standard library.

    python3 scripts/dev.py demo      # the demo site on SQLite, with a demo user
    python3 scripts/dev.py test      # the test suite (extra args go to pytest)

``python3 scripts/dev.py NAME ARGS...`` runs the nox session NAME of
``noxfile.py`` with ARGS as its arguments (``nox -s NAME -- ARGS``); ``test``
is the session ``tests``. The first run creates ``.venv`` in the checkout
with nox in it; nox then keeps one virtualenv per session under ``.nox/``.
Run it with no NAME to list the sessions.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("REMEMBERME_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

NOX_REQUIREMENT = "nox>=2024.4"
ALIASES = {"test": "tests"}


def ensure_nox() -> None:
    """Create .venv with nox in it, once per nox requirement and Python."""
    stamp = VENV / ".rememberme-nox"
    fingerprint = f"{NOX_REQUIREMENT} {sys.version}"
    if stamp.exists() and stamp.read_text().strip() == fingerprint:
        return
    print(f"Creating a virtual environment with nox in {VENV} ...", flush=True)
    # An older .venv (another Python, or the project installed in it) is
    # replaced; a directory that is not a virtualenv is left alone.
    venv.EnvBuilder(with_pip=True, clear=(VENV / "pyvenv.cfg").exists()).create(VENV)
    command = [str(PYTHON), "-m", "pip", "install", "--quiet", NOX_REQUIREMENT]
    if subprocess.run(command, check=False).returncode:
        raise SystemExit(f"Could not install {NOX_REQUIREMENT} into {VENV}.")
    stamp.write_text(fingerprint + "\n")


def main() -> None:
    ensure_nox()
    command = [str(PYTHON), "-m", "nox", "--noxfile", str(ROOT / "noxfile.py")]
    if len(sys.argv) < 2:
        print(__doc__)
        command.append("--list")
    else:
        name, *args = sys.argv[1:]
        command += ["-s", ALIASES.get(name, name)]
        if args:
            command += ["--", *args]
    os.chdir(ROOT)
    if os.name == "nt":
        raise SystemExit(subprocess.run(command, check=False).returncode)
    # Replace this process, so that the demo server and Ctrl-C behave as if
    # nox had been started directly.
    os.execv(command[0], command)  # noqa: S606 (the command is ours, not input)


if __name__ == "__main__":
    main()
