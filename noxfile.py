"""
The Django version matrix: the main test suite (SQLite) once per supported
Django, each on its own Python.

    python3 scripts/dev.py matrix            # every session
    python3 scripts/dev.py matrix -s "tests-4.2"

The integration suites (``tests/integrations/<app>/``, each against the real
third-party package) run in the session "integrations":

    python3 scripts/dev.py matrix -s integrations               # every suite
    python3 scripts/dev.py matrix -s integrations -- allauth    # just one

Interpreters are found on ``PATH`` or under ``~/.pyenv/versions/``. Virtual
environments (``.nox/``) are reused, and a session reinstalls only when
``pyproject.toml`` or its Django line changes, so a second run costs just
the tests.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent

# (Django release line, Python): the oldest Python for the oldest Django,
# the newest Pythons for the newest Django.
MATRIX = [
    ("4.2", "3.10"),
    ("5.2", "3.11"),
    ("6.0", "3.12"),
    ("6.1", "3.13"),
]

nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["tests"]


def _interpreter(version: str) -> str:
    """Return pyenv's interpreter for ``version`` if there is one, else the bare version."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = sorted(root.glob(f"{version}.*/bin/python{version}"))
    return str(candidates[-1]) if candidates else version


def _install(session: nox.Session, django: str) -> None:
    """Install the project and its test extra with ``django``, once per change."""
    spec = f"Django~={django}.0"
    fingerprint = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + spec.encode()
    ).hexdigest()
    location = getattr(session.virtualenv, "location", None)
    stamp = Path(location) / ".rememberme-installed" if location else None
    if stamp is not None and stamp.exists() and stamp.read_text().strip() == fingerprint:
        return
    session.install("--quiet", "-e", ".[test]", spec)
    if stamp is not None:
        stamp.write_text(fingerprint + "\n")


@nox.session
@nox.parametrize(
    ("django", "python"),
    [(django, _interpreter(python)) for django, python in MATRIX],
    ids=[f"{django}-py{python}" for django, python in MATRIX],
)
def tests(session: nox.Session, django: str) -> None:
    """Run the main suite on SQLite against one Django release line."""
    _install(session, django)
    session.run(
        "python", "-c", "import django, sys; print('Django', django.get_version(), sys.version)"
    )
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        # SQLite only, and lighter fuzzing: the full runs are the main legs'.
        env={
            "REMEMBERME_TEST_POSTGRES": "",
            "REMEMBERME_FUZZ_EXAMPLES": "1000",
            "REMEMBERME_FUZZ_MACHINES": "15",
        },
    )


INTEGRATIONS = ROOT / "tests" / "integrations"
INTEGRATIONS_PYTHON = "3.12"


def _integration_apps() -> list[str]:
    """Return the integration suites: every ``tests/integrations/<app>/requirements.txt``."""
    return sorted(path.parent.name for path in INTEGRATIONS.glob("*/requirements.txt"))


@nox.session(python=_interpreter(INTEGRATIONS_PYTHON))
def integrations(session: nox.Session) -> None:
    """
    Run each integration suite under its own settings (posargs: the suites
    to run, default all), with the browser tests where Chromium exists.

    One virtual environment serves every suite: the requirements are
    installed together (pip refuses an incompatible set), which costs one
    install instead of one per suite.
    """
    apps = _integration_apps()
    selected = session.posargs or apps
    unknown = sorted(set(selected) - set(apps))
    if unknown:
        session.error(f"No integration suite {', '.join(unknown)}; there are: {', '.join(apps)}.")
    requirements = [INTEGRATIONS / app / "requirements.txt" for app in apps]
    fingerprint = hashlib.sha256(
        b"".join(path.read_bytes() for path in [ROOT / "pyproject.toml", *requirements])
    ).hexdigest()
    location = getattr(session.virtualenv, "location", None)
    stamp = Path(location) / ".rememberme-integrations" if location else None
    if stamp is None or not stamp.exists() or stamp.read_text().strip() != fingerprint:
        args = [arg for path in requirements for arg in ("-r", str(path))]
        session.install("--quiet", "-e", ".[test,browser]", *args)
        if stamp is not None:
            stamp.write_text(fingerprint + "\n")
    browser = Path(os.environ.get("REMEMBERME_CHROMIUM", "/usr/bin/chromium")).exists()
    for app in selected:
        session.log(f"integration: {app}")
        session.run(
            "python",
            "-m",
            "pytest",
            f"tests/integrations/{app}",
            "--ds",
            f"tests.integrations.{app}.settings",
            "-p",
            "no:cacheprovider",
            "-q",
            # Browser tests too where Chromium is installed (skipped otherwise).
            *(["-m", "browser or not browser"] if browser else []),
            env={"REMEMBERME_INTEGRATION": app, "REMEMBERME_TEST_POSTGRES": ""},
        )
