#!/usr/bin/env python3
"""
Screenshots of the sign-in page, the remembered browsers page and the demo's
tour, taken in Chromium (Playwright, Debian's /usr/bin/chromium) from the demo
site on a throwaway database, into docs/_static/screenshots/.

    python3 scripts/dev.py screenshots     # or, in a venv with the browser extra:
    python example/screenshots.py [OUTDIR]
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

EXAMPLE = Path(__file__).resolve().parent
ROOT = EXAMPLE.parent
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "_static" / "screenshots"
CHROMIUM = os.environ.get("REMEMBERME_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USER, PASSWORD = "demo", "remember-me-demo"
CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
OTHERS = {
    "firefox": "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "iphone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
    ),
}
# Make the other browsers look used for a while (days ago created, hours ago used).
BACKDATE = """
from datetime import timedelta
from django.utils import timezone
from rememberme.models import RememberToken
now = timezone.now()
ages = {"Firefox": (12, 2 * 3600), "iPhone": (3, 26 * 3600)}
for token in RememberToken.objects.all():
    for marker, (days, seconds) in ages.items():
        if marker in token.user_agent:
            RememberToken.objects.filter(pk=token.pk).update(
                created_at=now - timedelta(days=days),
                last_used_at=now - timedelta(seconds=seconds),
                ip_address="203.0.113.%d" % (7 if marker == "Firefox" else 42),
            )
"""
REVOKE_PHONE = """
from rememberme.models import RememberToken
for token in RememberToken.objects.active().filter(user_agent__contains="iPhone"):
    token.revoke("admin")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, str(EXAMPLE / "manage.py"), *args], env=env, check=True)


def sign_in(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", USER)
    page.fill("#id_password", PASSWORD)
    page.check("#id_remember_me")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DEMO_DATABASE": str(Path(tmp) / "demo.sqlite3"),
            "PYTHONPATH": str(ROOT),
        }
        manage("migrate", "--verbosity", "0", env=env)
        manage("ensure_demo_user", USER, PASSWORD, env=env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, str(EXAMPLE / "manage.py"), "runserver", "--noreload", str(port)],
            env=env,
            stderr=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/", timeout=2)  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.2)
            shoot(base, env)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"screenshots written to {OUT}")


def shoot(base: str, env: dict[str, str]) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        for user_agent in OTHERS.values():
            context = browser.new_context(user_agent=user_agent)
            sign_in(context.new_page(), base)
            context.close()
        manage("shell", "-c", BACKDATE, env=env)

        context = browser.new_context(
            user_agent=CHROME_MAC, viewport={"width": 1040, "height": 640}, device_scale_factor=1
        )
        page = context.new_page()
        page.goto(base + "/")
        colours = page.eval_on_selector(
            "a.rm-button", "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
        )
        assert colours[0] != colours[1], f"a link styled as a button is unreadable: {colours}"
        page.goto(base + "/accounts/login/")
        font = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert "system-ui" in font, f"rememberme.css not applied (font {font!r})"
        page.fill("#id_username", USER)
        page.check("#id_remember_me")
        page.focus("#id_password")
        ring = page.eval_on_selector("#id_password", "e => getComputedStyle(e).boxShadow")
        assert ring != "none", "no visible focus ring on the password field"
        page.screenshot(path=str(OUT / "login.png"))

        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.goto(base + "/accounts/devices/")
        page.screenshot(path=str(OUT / "devices.png"), full_page=True)

        # "Close the browser": the session cookie goes, the token restores.
        context.clear_cookies(name="sessionid")
        page.set_viewport_size({"width": 1040, "height": 900})
        page.goto(base + "/")
        page.screenshot(path=str(OUT / "tour.png"), full_page=True)

        phone = browser.new_context(
            user_agent=OTHERS["iphone"], viewport={"width": 390, "height": 800}
        )
        mobile = phone.new_page()
        sign_in(mobile, base)
        mobile.goto(base + "/accounts/devices/")
        overflow = mobile.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the devices page is {overflow}px wider than a phone"
        mobile.screenshot(path=str(OUT / "devices-mobile.png"), full_page=True)

        # An administrator revokes the phone's token: its session is deleted
        # at once, and its next page says why it is signed out.
        manage("shell", "-c", REVOKE_PHONE, env=env)
        mobile.goto(base + "/accounts/devices/")
        assert "an administrator" in mobile.content(), "no sign-out reason shown"
        mobile.screenshot(path=str(OUT / "signed-out-mobile.png"))

        # A system set to dark: the pages follow it, like the admin.
        dark = browser.new_context(
            user_agent=CHROME_MAC,
            viewport={"width": 1040, "height": 640},
            device_scale_factor=1,
            color_scheme="dark",
        )
        night = dark.new_page()
        sign_in(night, base)
        night.goto(base + "/accounts/devices/")
        background = night.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(15, 20, 27)", f"no dark scheme ({background})"
        night.screenshot(path=str(OUT / "devices-dark.png"), full_page=True)

        # The admin's token list fits a 1280-pixel window without scrolling.
        night.set_viewport_size({"width": 1280, "height": 640})
        night.goto(base + "/admin/rememberme/remembertoken/")
        overflow = night.evaluate(
            "document.querySelector('#result_list').scrollWidth"
            " - document.querySelector('#changelist .results').clientWidth"
        )
        assert overflow <= 0, f"the admin's token list is {overflow}px too wide at 1280px"
        night.screenshot(path=str(OUT / "admin-tokens.png"))
        browser.close()


if __name__ == "__main__":
    main()
