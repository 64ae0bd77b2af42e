"""
Real-browser harness: Python Playwright driving Debian's Chromium.

Tests here are marked ``browser``; they are skipped, with the reason shown,
where Playwright or ``/usr/bin/chromium`` is missing. They use
pytest-django's ``live_server`` (a real threaded WSGI server on 127.0.0.1)
and a persistent user-data directory per "browser profile", so closing and
relaunching the browser drops session cookies and keeps persistent ones,
exactly as for a user.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.helpers import CHROMIUM, LAUNCH_ARGS

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")

if not shutil.which(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


# Playwright's sync API keeps an event loop running in the main thread for
# the whole session, which makes Django refuse the (synchronous) ORM calls
# of fixtures and tests. Those calls really are synchronous, so the check is
# lifted; it is why browser tests run in a pytest process of their own
# (``python3 scripts/dev.py browser``, the nox session ``browser``), never
# beside the ASGI tests.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def playwright() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        yield p


class Profile:
    """A browser profile on disk that can be launched, closed and relaunched."""

    def __init__(self, playwright: object, path: Path) -> None:
        self.playwright = playwright
        self.path = path
        self.context = None

    def launch(self):
        self.context = self.playwright.chromium.launch_persistent_context(  # type: ignore[attr-defined]
            str(self.path),
            executable_path=CHROMIUM,
            headless=True,
            args=LAUNCH_ARGS,
        )
        return self.context

    def page(self):
        context = self.context or self.launch()
        return context.pages[0] if context.pages else context.new_page()

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None

    def relaunch(self):
        """Close the browser (session cookies go) and start it again."""
        self.close()
        self.launch()
        return self.page()

    def cookies(self) -> dict[str, str]:
        assert self.context is not None
        return {c["name"]: c["value"] for c in self.context.cookies()}


@pytest.fixture
def profile_factory(playwright, tmp_path) -> Iterator[object]:
    profiles: list[Profile] = []

    def make(name: str = "profile") -> Profile:
        profile = Profile(playwright, tmp_path / name)
        profiles.append(profile)
        return profile

    yield make
    for profile in profiles:
        profile.close()
