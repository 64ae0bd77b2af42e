"""
Device binding in a real Chromium, with DBSC enabled and software keys
standing in for a TPM (Chromium's own feature flags, the ones its DBSC
browser tests use: ``DeviceBoundSessions`` and
``EnableBoundSessionCredentialsSoftwareKeysForManualTesting``).

A remembered sign-in registers a key; after a restart the browser refreshes
the bound cookie by signing a challenge and is restored; the token cookie
copied into another profile restores nobody.

Which Chromium: the software-key switch is a manual-testing aid, and
Chromium 153 and later ignore the registration header with it on Linux
(Debian's chromium 156 does: no ``DBSC_REGISTRATION_REQUEST`` in its net
log, no DevTools creation event). Chromium 150 honours it: Debian
bookworm's ``chromium`` 150.0.7871.100 package, unpacked with ``dpkg-deb
-x`` (not installed), is what this test ran on. Point
``REMEMBERME_DBSC_CHROMIUM`` at such a binary; with a browser that does not
register at all, the test is skipped and says so.
"""

from __future__ import annotations

import datetime
import os
import time

import pytest

pytest.importorskip("cryptography", reason="device binding needs the dbsc extra")

from rememberme.internal import dbsc
from rememberme.models import RememberToken
from tests.browser.helpers import CHROMIUM, LAUNCH_ARGS, sign_in, whoami

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DBSC_CHROMIUM = os.environ.get("REMEMBERME_DBSC_CHROMIUM", CHROMIUM)
DBSC_ARGS = [
    # RequireOriginTrialTokens/false: Chromium otherwise honours the
    # registration header only on pages with a DBSC origin-trial token;
    # RefreshQuota/false: the test refreshes more often than a site would;
    # PersistDeviceBoundSessions: sessions survive the restart;
    # DeviceBoundSessionsDevTools: the events this test waits for.
    "--enable-features=DeviceBoundSessions:RequireOriginTrialTokens/false/RefreshQuota/false,"
    "PersistDeviceBoundSessions,DeviceBoundSessionsDevTools,"
    "EnableBoundSessionCredentialsSoftwareKeysForManualTesting",
]
BOUND = "rememberme_device"


class Browser:
    """A Chromium profile with DBSC on, and the DBSC events DevTools reports."""

    def __init__(self, playwright, path) -> None:
        self.context = playwright.chromium.launch_persistent_context(
            str(path), executable_path=DBSC_CHROMIUM, headless=True, args=LAUNCH_ARGS + DBSC_ARGS
        )
        self.page = self.context.pages[0] if self.context.pages else self.context.new_page()
        self.events: list[dict] = []
        cdp = self.context.new_cdp_session(self.page)
        cdp.on("Network.deviceBoundSessionEventOccurred", lambda event: self.events.append(event))
        cdp.send("Network.enable")
        cdp.send("Network.enableDeviceBoundSessions", {"enable": True})

    def cookies(self) -> dict[str, str]:
        return {c["name"]: c["value"] for c in self.context.cookies()}

    def wait_for(self, kind: str, seconds: float = 15.0) -> dict | None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = [e for e in self.events if kind in e]
            if found:
                return found[-1]
            self.page.wait_for_timeout(200)
        return None


def test_bound_browser_restores_through_a_refresh_and_a_copy_does_not(
    playwright, live_server, settings, user, tmp_path, monkeypatch
):
    settings.REMEMBERME_DEVICE_BINDING = True
    # Short enough for the test to see the bound cookie expire and the
    # browser refresh it before the restoring request.
    monkeypatch.setattr(dbsc, "BOUND_COOKIE_AGE", datetime.timedelta(seconds=3))
    base = live_server.url

    owner = Browser(playwright, tmp_path / "owner")
    sign_in(owner.page, base, remember=True)
    created = owner.wait_for("creationEventDetails")
    if created is None:
        owner.context.close()
        pytest.skip(
            f"{DBSC_CHROMIUM} ignored Secure-Session-Registration (no DevTools creation "
            "event): Chromium 153+ does not register with software keys on Linux; set "
            "REMEMBERME_DBSC_CHROMIUM to a Chromium 150 binary (see the module docstring)."
        )
    assert created["succeeded"], created
    token = RememberToken.objects.get(user=user, revoked_at__isnull=True)
    assert token.is_device_bound
    first_bound = owner.cookies().get(BOUND)
    assert first_bound

    # Restart: the session cookie goes; the bound cookie expires meanwhile.
    owner.context.close()
    time.sleep(4)
    owner = Browser(playwright, tmp_path / "owner")
    assert whoami(owner.page, base)["user"] == "alice"
    refreshed = owner.wait_for("refreshEventDetails")
    assert refreshed is not None, "no refresh before the restore"
    assert refreshed["succeeded"], refreshed
    cookies = owner.cookies()
    assert cookies.get(BOUND) not in (None, first_bound)
    token.refresh_from_db()
    assert token.revoked_at is None
    stolen = cookies["rememberme"]
    owner.context.close()

    # The token cookie copied into another profile (cookie-store theft).
    thief = Browser(playwright, tmp_path / "thief")
    host = base.split("//", 1)[1].rsplit(":", 1)[0]
    thief.context.add_cookies(
        [{"name": "rememberme", "value": stolen, "domain": host, "path": "/"}]
    )
    assert whoami(thief.page, base)["user"] is None
    assert thief.cookies().get("rememberme") == stolen  # kept: not treated as theft
    thief.context.close()
    token.refresh_from_db()
    assert token.revoked_at is None
