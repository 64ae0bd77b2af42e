"""Check that the built sdist and wheel carry the package's data files."""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path

REQUIRED = [
    "rememberme/py.typed",
    "rememberme/migrations/0001_initial.py",
    "rememberme/templates/rememberme/login.html",
    "rememberme/templates/rememberme/base.html",
]
REQUIRED_GLOBS = [
    "rememberme/static/rememberme/*.js",
    "rememberme/static/rememberme/*.css",
    "rememberme/templates/rememberme/email/*.txt",
    "rememberme/locale/*/LC_MESSAGES/django.po",
    "rememberme/locale/*/LC_MESSAGES/django.mo",
]


# The sdist is a source release whose tests run (the nox session sdist runs them).
SDIST_REQUIRED = [
    "CHANGELOG.rst",
    "MANIFEST.in",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/support/settings.py",
    "tests/support/urls.py",
    "tests/support/engines.py",
    "tests/browser/conftest.py",
    "docs/conf.py",
    "docs/changelog.rst",
]


def check(names: list[str], label: str, required: list[str] = REQUIRED) -> list[str]:
    problems = [f"{label}: missing {path}" for path in required if path not in names]
    for pattern in REQUIRED_GLOBS:
        if not any(Path(name).match(pattern) for name in names):
            problems.append(f"{label}: nothing matches {pattern}")
    return problems


def main(folder: str) -> None:
    dist = Path(folder)
    wheels = sorted(dist.glob("django_rememberme-*.whl"))
    sdists = sorted(dist.glob("django_rememberme-*.tar.gz"))
    if not wheels or not sdists:
        raise SystemExit(f"no wheel or sdist in {dist}")
    problems: list[str] = []
    with zipfile.ZipFile(wheels[-1]) as wheel:
        problems += check(wheel.namelist(), wheels[-1].name)
    with tarfile.open(sdists[-1]) as sdist:
        # Strip the "django_rememberme-X.Y/" prefix.
        names = [name.split("/", 1)[1] for name in sdist.getnames() if "/" in name]
        problems += check(names, sdists[-1].name, REQUIRED + SDIST_REQUIRED)
    if problems:
        raise SystemExit("\n".join(problems))
    print(f"{wheels[-1].name} and {sdists[-1].name} carry every data file.")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "dist")
