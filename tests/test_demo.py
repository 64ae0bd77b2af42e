"""
The demo site (example/), run as ``scripts/dev.py demo`` runs it: its own
settings, a throwaway database, Django's runserver.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "example"
USER, PASSWORD = "demo", "remember-me-demo"


class Demo:
    def __init__(self, base: str, log: Path) -> None:
        self.base = base
        self.log = log
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, data: dict[str, str] | None = None) -> str:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with self.opener.open(self.base + path, data=body, timeout=30) as response:
            return str(response.read().decode())

    def sign_in(self) -> str:
        page = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        return self.get(
            "/accounts/login/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": USER,
                "password": PASSWORD,
                "remember_me": "on",
            },
        )

    def close_browser(self) -> None:
        for cookie in list(self.jar):
            if cookie.expires is None:
                self.jar.clear(cookie.domain, cookie.path, cookie.name)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Demo]:
    tmp = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "DEMO_DATABASE": str(tmp / "demo.sqlite3")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage = [sys.executable, str(EXAMPLE / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run(
        [*manage, "ensure_demo_user", USER, PASSWORD], env=env, check=True, capture_output=True
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/accounts/login/", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            yield Demo(base, log)
        finally:
            server.terminate()
            server.wait(timeout=30)


def test_the_tour_shows_the_session_state_and_restores_after_a_browser_close(demo):
    page = demo.get("/")
    assert "Not signed in" in page
    assert "Try this" in page
    page = demo.sign_in()
    assert "Remembered browser: a token restores the session" in page
    demo.close_browser()
    page = demo.get("/")
    assert "Session restored from the remember-me token on this request" in page
    # "ends at Nov. 26, 2026, 11:51 a.m.." read twice: no sentence ends in a date.
    assert ".." not in re.sub(r"<[^>]+>", "", page)
    # A restored session proves a browser, not a person: the sensitive page
    # asks for the password first.
    assert "Confirm your password" in demo.get("/email/")


def test_the_demo_server_prints_request_lines(demo):
    demo.get("/")
    time.sleep(0.5)
    assert re.search(r'"GET / HTTP/1\.1" 200', demo.log.read_text())


def _address_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("demo_address", EXAMPLE / "address.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("args", "environ", "expected"),
    [
        ([], {}, ("127.0.0.1:8000", "http://127.0.0.1:8000/", [])),
        (["8080"], {}, ("127.0.0.1:8080", "http://127.0.0.1:8080/", [])),
        (
            ["0.0.0.0:9000", "--nothreading"],
            {},
            ("0.0.0.0:9000", "http://127.0.0.1:9000/", ["--nothreading"]),
        ),
        (["localhost:8001"], {}, ("localhost:8001", "http://localhost:8001/", [])),
        (
            [],
            {"REMEMBERME_DEMO_ADDRESS": "8123"},
            ("127.0.0.1:8123", "http://127.0.0.1:8123/", []),
        ),
        (
            ["--nothreading"],
            {"REMEMBERME_DEMO_ADDRESS": "127.0.0.1:8124"},
            ("127.0.0.1:8124", "http://127.0.0.1:8124/", ["--nothreading"]),
        ),
    ],
)
def test_the_demo_address_can_be_chosen(args, environ, expected):
    assert _address_module().demo_address(args, environ) == expected


def test_a_bad_demo_address_is_a_clean_error():
    with pytest.raises(SystemExit, match="REMEMBERME_DEMO_ADDRESS"):
        _address_module().demo_address([], {"REMEMBERME_DEMO_ADDRESS": "nowhere"})
