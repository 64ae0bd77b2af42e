"""
ASGI: the restore, rotation, theft and logout flows through Django's
``AsyncClient`` (the middleware's async path) and under a real ASGI server
(uvicorn on 127.0.0.1), with parallel requests carrying one cookie.

Any ``SynchronousOnlyOperation`` (ORM from the event loop) or thread-safety
error fails the request, and so the test: the async client re-raises
exceptions, and the server's responses must all be 200.
"""

from __future__ import annotations

import asyncio
import datetime
import gc
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.asgi import get_asgi_application
from django.db import connection
from django.test import AsyncClient
from freezegun import freeze_time

from rememberme.models import RememberToken, RevokeReason
from tests.helpers import EPOCH, PASSWORD, browser_with


def at(seconds: float) -> Any:
    return freeze_time(EPOCH + datetime.timedelta(seconds=seconds))


def run(coroutine_function: Any, *args: Any, **kwargs: Any) -> Any:
    return async_to_sync(coroutine_function)(*args, **kwargs)


async def whoami(client: AsyncClient) -> dict[str, Any]:
    response = await client.get("/whoami/")
    assert response.status_code == 200
    return dict(response.json())


def cookie(client: AsyncClient) -> str | None:
    morsel = client.cookies.get("rememberme")
    return morsel.value if morsel is not None and morsel.value else None


@pytest.mark.django_db
class TestAsyncClient:
    def sign_in(self, client: AsyncClient) -> None:
        async def post() -> Any:
            return await client.post(
                "/accounts/login/",
                {"username": "alice", "password": PASSWORD, "remember_me": "on"},
            )

        with at(0):
            assert run(post).status_code == 302
        assert cookie(client)

    def test_restore_and_rotation(self, user):
        client = AsyncClient()
        self.sign_in(client)
        first = cookie(client)
        client.cookies.pop("sessionid")
        with at(60):
            assert run(whoami, client) == {"user": "alice", "restored": True}
        assert cookie(client) not in (None, first)
        # The new session carries on without the token.
        with at(61):
            assert run(whoami, client) == {"user": "alice", "restored": False}

    def test_grace_and_theft(self, user):
        client = AsyncClient()
        self.sign_in(client)
        first = cookie(client)
        assert first is not None
        client.cookies.pop("sessionid")
        with at(60):
            run(whoami, client)
            # The restored browser goes on: the rotation's response arrived.
            run(whoami, client)
        with at(70):
            # A tab that left before the rotation: inside the grace window.
            late = browser_with(first, client_class=AsyncClient)
            assert run(whoami, late) == {"user": "alice", "restored": True}
            assert cookie(late) == first  # no cookie sent back
        with at(600):
            thief = browser_with(first, client_class=AsyncClient)
            assert run(whoami, thief) == {"user": None, "restored": False}
        token = RememberToken.objects.get(user=user)
        assert token.revoke_reason == RevokeReason.THEFT
        client.cookies.pop("sessionid")
        with at(601):
            assert run(whoami, client)["user"] is None

    def test_logout_revokes(self, user):
        client = AsyncClient()
        self.sign_in(client)

        async def sign_out() -> Any:
            return await client.post("/accounts/logout/")

        with at(5):
            assert run(sign_out).status_code in (200, 302)
        assert cookie(client) is None
        token = RememberToken.objects.get(user=user)
        assert token.revoke_reason == RevokeReason.LOGOUT

    def test_parallel_requests_with_one_cookie(self, user):
        client = AsyncClient()
        self.sign_in(client)
        value = cookie(client)
        assert value is not None

        async def burst() -> list[Any]:
            tabs = [browser_with(value, client_class=AsyncClient) for _ in range(8)]
            return list(await asyncio.gather(*(tab.get("/whoami/") for tab in tabs)))

        with at(60):
            responses = run(burst)
        assert [r.json()["user"] for r in responses] == ["alice"] * 8
        assert sum(1 for r in responses if "rememberme" in r.cookies) == 1
        assert not RememberToken.objects.filter(revoked_at__isnull=False).exists()


# -- A real ASGI server ---------------------------------------------------------


class Uvicorn:
    """uvicorn serving the test project in a thread, on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        import uvicorn

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(
            get_asgi_application(),
            lifespan="off",
            ws="none",
            http="h11",
            log_level="warning",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                pytest.fail("uvicorn did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture
def uvicorn_server(transactional_db: None) -> Iterator[Uvicorn]:
    pytest.importorskip("uvicorn")
    server = Uvicorn()
    try:
        yield server
    finally:
        server.stop()
        # Django gives each request's worker thread its own connection and
        # never closes one to an in-memory SQLite database: collect them
        # here, inside this test, rather than at some later test.
        gc.collect()


async def fetch(port: int, path: str, cookies: dict[str, str], body: bytes = b"") -> Any:
    """One HTTP/1.1 request over a fresh connection; return (status, headers, body)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    method = "POST" if body else "GET"
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    request = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Cookie: {header}\r\nContent-Length: {len(body)}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    ).encode() + body
    writer.write(request)
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 20)
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    set_cookies: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "set-cookie":
            jar: SimpleCookie = SimpleCookie()
            jar.load(value.strip())
            set_cookies.update({key: morsel.value for key, morsel in jar.items()})
    return status, set_cookies, payload


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_flows_under_uvicorn(uvicorn_server, user):
    port = uvicorn_server.port
    # Each request runs in a thread of its own. SQLite's shared in-memory
    # test database refuses concurrent writers ("database table is
    # locked") where a real database waits, so there the burst is sent one
    # request after another; on PostgreSQL it is sent all at once.
    concurrent = connection.vendor == "postgresql"

    async def burst(cookie: str, size: int) -> list[Any]:
        if concurrent:
            requests = (fetch(port, "/whoami/", {"rememberme": cookie}) for _ in range(size))
            return list(await asyncio.gather(*requests))
        return [await fetch(port, "/whoami/", {"rememberme": cookie}) for _ in range(size)]

    async def flow() -> None:
        # Sign in with "Remember me" (the test project's CSRF check is on:
        # fetch a token first).
        status, jar, _ = await fetch(port, "/accounts/login/", {})
        assert status == 200, status
        csrf = jar["csrftoken"]
        body = (
            f"username=alice&password={PASSWORD.replace(' ', '+')}&remember_me=on"
            f"&csrfmiddlewaretoken={csrf}"
        ).encode()
        status, jar, _ = await fetch(port, "/accounts/login/", {"csrftoken": csrf}, body)
        assert status == 302, status
        first = jar["rememberme"]

        # A burst of restores with that cookie and no session.
        replies = await burst(first, 8)
        assert all(status == 200 for status, _, _ in replies), replies
        assert [json.loads(p)["user"] for _, _, p in replies] == ["alice"] * 8
        rotated = [jar["rememberme"] for _, jar, _ in replies if jar.get("rememberme")]
        assert len(rotated) == 1
        newest = rotated[0]

        # The newest cookie works; then sign out with it.
        status, jar, payload = await fetch(port, "/whoami/", {"rememberme": newest})
        assert json.loads(payload)["user"] == "alice"
        session = jar["sessionid"]
        status, jar, _ = await fetch(port, "/accounts/login/", {"sessionid": session})
        csrf = jar.get("csrftoken", csrf)
        status, jar, _ = await fetch(
            port,
            "/accounts/logout/",
            {"sessionid": session, "rememberme": newest, "csrftoken": csrf},
            f"csrfmiddlewaretoken={csrf}".encode(),
        )
        assert status in (200, 302), status
        assert jar.get("rememberme") == ""
        status, _, payload = await fetch(port, "/whoami/", {"rememberme": newest})
        assert json.loads(payload)["user"] is None

    asyncio.run(flow())
    assert not RememberToken.objects.filter(revoke_reason=RevokeReason.THEFT).exists()
    assert RememberToken.objects.get(user=user).revoke_reason == RevokeReason.LOGOUT
