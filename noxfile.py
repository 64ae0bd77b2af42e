"""
Every task of the project, as nox sessions; ``scripts/dev.py`` is their
zero-dependency front:

    python3 scripts/dev.py tests -q tests/test_restore.py   # = nox -s tests -- -q ...
    python3 scripts/dev.py "matrix(4.2)"                    # one Django of the matrix
    python3 scripts/dev.py integrations allauth             # one integration suite

``nox --list`` shows them all. Virtual environments (``.nox/<session>``) are
reused, and a session reinstalls only when ``pyproject.toml`` or what it
installs changes, so a second run costs only the task itself.

A new session is one decorated function that calls :func:`install` with the
extras it needs, then runs its command.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import nox

ROOT = Path(__file__).resolve().parent

# (Django release line, Python) for the matrix: the oldest Python for the
# oldest Django, the newest Pythons for the newest Django.
MATRIX = [
    ("4.2", "3.10"),
    ("5.2", "3.11"),
    ("6.0", "3.12"),
    ("6.1", "3.13"),
]

DEMO_USER = ("demo", "remember-me-demo")

nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["tests"]


def install(session: nox.Session, *extras: str, packages: tuple[str, ...] = ()) -> None:
    """
    Install the project (editable) with ``extras``, plus ``packages``, into
    the session's virtualenv; skip it when nothing changed since last time.
    """
    spec = ".[" + ",".join(sorted(extras)) + "]" if extras else "."
    requirements = ["-e", spec, *packages]
    # Requirement files ("-r", path) count by their contents.
    files = [ROOT / "pyproject.toml"]
    files += [ROOT / path for flag, path in itertools.pairwise(requirements) if flag == "-r"]
    fingerprint = hashlib.sha256(
        b"".join(path.read_bytes() for path in files) + repr(requirements).encode()
    ).hexdigest()
    location = getattr(session.virtualenv, "location", None)
    stamp = Path(location) / ".rememberme-installed" if location else None
    if stamp is not None and stamp.exists() and stamp.read_text().strip() == fingerprint:
        return
    session.install("--quiet", *requirements)
    if stamp is not None:
        stamp.write_text(fingerprint + "\n")


def pytest(session: nox.Session, *args: str, env: dict[str, str] | None = None) -> None:
    session.run("python", "-m", "pytest", *args, *session.posargs, env=env)


@nox.session(python=None)
def tests(session: nox.Session) -> None:
    """Run the test suite on SQLite, on the Python that runs nox (the README's command)."""
    install(session, "test", "postgres", "dbsc")
    pytest(session)


@nox.session(python=None)
def postgres(session: nox.Session) -> None:
    """Run the test suite on PostgreSQL, with the cache session engine on Redis."""
    install(session, "test", "postgres", "dbsc")
    env = {
        "REMEMBERME_TEST_POSTGRES": "1",
        "REMEMBERME_TEST_REDIS": os.environ.get(
            "REMEMBERME_TEST_REDIS", "redis://127.0.0.1:6379/2"
        ),
    }
    pytest(session, "-p", "no:cacheprovider", env=env)


def _interpreter(version: str) -> str:
    """Return pyenv's interpreter for ``version`` if there is one, else the bare version."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = sorted(root.glob(f"{version}.*/bin/python{version}"))
    return str(candidates[-1]) if candidates else version


@nox.session
@nox.parametrize(
    ("django", "python"),
    [(django, _interpreter(python)) for django, python in MATRIX],
    ids=[django for django, _ in MATRIX],
)
def matrix(session: nox.Session, django: str) -> None:
    """Run the suite on SQLite against one supported Django, on its own Python."""
    install(session, "test", packages=(f"Django~={django}.0",))
    session.run(
        "python", "-c", "import django, sys; print('Django', django.get_version(), sys.version)"
    )
    # SQLite only, and light fuzzing: the full runs are the main legs'.
    env = {
        "REMEMBERME_TEST_POSTGRES": "",
        "REMEMBERME_FUZZ_EXAMPLES": "1000",
        "REMEMBERME_FUZZ_MACHINES": "15",
    }
    pytest(session, "-q", "-p", "no:cacheprovider", env=env)


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
    requirements = [f"tests/integrations/{app}/requirements.txt" for app in apps]
    install(session, "test", "browser", packages=tuple(a for r in requirements for a in ("-r", r)))
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


@nox.session(python=None)
def browser(session: nox.Session) -> None:
    """
    Run the real-browser tests (Playwright driving Debian's Chromium).

    The environment passes through: ``REMEMBERME_DBSC_CHROMIUM`` names the
    Chromium 150 the device-binding test needs (``.ci/run`` unpacks one).
    """
    install(session, "test", "browser", "dbsc")
    pytest(session, "-m", "browser", "tests/browser")


@nox.session(python=None)
def lint(session: nox.Session) -> None:
    """Check the code with ruff (lint rules and formatting)."""
    install(session, "test", "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=None)
def types(session: nox.Session) -> None:
    """Type-check the package (strict) and the tests with mypy."""
    install(session, "test", "lint", "dbsc")
    session.run("mypy", "rememberme", "tests")


@nox.session(python=None)
def docs(session: nox.Session) -> None:
    """Build the documentation; warnings are errors."""
    if not shutil.which("dot"):
        session.error("The diagrams need Graphviz's dot: apt-get install graphviz.")
    install(session, "docs")
    session.run(
        "sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html",
        *session.posargs,
    )  # fmt: skip


@nox.session(python=None)
def package(session: nox.Session) -> None:
    """Build the sdist and the wheel, and check they carry every data file."""
    install(session, packages=("build",))
    shutil.rmtree(ROOT / "dist", ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", "dist", ".")
    session.run("python", "scripts/check_dist.py", "dist")


@nox.session(python=None)
def sdist(session: nox.Session) -> None:
    """Build the sdist, unpack it, install it with its test extra, run its own tests there."""
    session.install("--quiet", "build")
    work = Path(tempfile.mkdtemp(prefix="rememberme-sdist-"))
    try:
        session.run("python", "-m", "build", "--sdist", "--outdir", str(work / "dist"), ".")
        (archive,) = (work / "dist").glob("django_rememberme-*.tar.gz")
        with tarfile.open(archive) as tar:
            # The "data" filter where this Python has it (3.10.12, 3.11.4).
            if hasattr(tarfile, "data_filter"):
                tar.extractall(work, filter="data")
            else:  # pragma: no cover
                tar.extractall(work)  # noqa: S202 (our own archive, just built)
        (source,) = work.glob("django_rememberme-*/")
        # Into the session's virtualenv, not editable: the tests must run
        # against what the sdist holds. Reinstalled every time, as the
        # version stays the same between two runs.
        session.install("--quiet", f"{source}[test]")
        session.install("--quiet", "--force-reinstall", "--no-deps", str(source))
        env = {
            "REMEMBERME_TEST_POSTGRES": "",
            "REMEMBERME_FUZZ_EXAMPLES": "1000",
            "REMEMBERME_FUZZ_MACHINES": "15",
        }
        with session.chdir(source):
            session.run("python", "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", env=env)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@nox.session(python=None)
def quickstart(session: nox.Session) -> None:
    """Replay the README's quick start, as written, in a new project (``--keep`` keeps it)."""
    session.run("python", ".ci/quickstart.py", *session.posargs)


@nox.session(python=None)
def messages(session: nox.Session) -> None:
    """Update the French and German catalogues from the code, then compile them."""
    install(session, "test")
    env = {"PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "tests.support.settings"}
    with session.chdir(ROOT / "rememberme"):
        session.run(
            "django-admin", "makemessages", "-l", "fr", "-l", "de", "--no-obsolete",
            "--no-location", env=env,
        )  # fmt: skip
        session.run("django-admin", "compilemessages", env=env)


@nox.session(python=None)
def bench(session: nox.Session) -> None:
    """Run the benchmark (``--quick`` for CI); see docs/performance.rst."""
    install(session, "test", "postgres", "dbsc")
    session.run("python", "-m", "bench", *session.posargs)


@nox.session(python=None)
def demo(session: nox.Session) -> None:
    """
    Run the demo site on SQLite with a demo user, in the foreground; an
    address (``8080``, ``0.0.0.0:8000``) or ``REMEMBERME_DEMO_ADDRESS`` moves it.
    """
    install(session)
    manage = str(ROOT / "example" / "manage.py")
    session.run("python", manage, "migrate", "--verbosity", "0")
    session.run("python", manage, "ensure_demo_user", *DEMO_USER)
    address, url, rest = _demo_address()(session.posargs, os.environ)
    print(
        f"\n  Demo site: {url}\n"
        f"  Sign in as {DEMO_USER[0]!r} with the password {DEMO_USER[1]!r}.\n"
        "  Tick 'Remember me', close the browser, come back: you are still signed in.\n",
        flush=True,
    )
    session.run("python", manage, "runserver", address, *rest)


def _demo_address() -> Any:
    """Return example/address.py's demo_address (standard library only)."""
    spec = importlib.util.spec_from_file_location("demo_address", ROOT / "example" / "address.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.demo_address


@nox.session(python=None)
def screenshots(session: nox.Session) -> None:
    """Retake docs/_static/screenshots/*.png from the demo site in Chromium."""
    install(session, "browser")
    session.run("python", "example/screenshots.py", *session.posargs)
