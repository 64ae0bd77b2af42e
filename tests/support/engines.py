"""
Every Django session engine, for tests that must hold whatever the engine.

The cache engines use the local-memory cache, whose expiry follows
freezegun; set ``REMEMBERME_TEST_REDIS`` (e.g. ``redis://127.0.0.1:6379/2``)
to run them against Redis too (the tests that move time skip Redis, whose
clock freezegun cannot move).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.backends import file as file_backend
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django.utils.module_loading import import_string

ENGINES = ["db", "cached_db", "cache", "file", "signed_cookies"]
REDIS_URL = os.environ.get("REMEMBERME_TEST_REDIS")
ENGINE_PARAMS = ENGINES + (["cache-redis"] if REDIS_URL else [])


def configure(name: str, settings_fixture: Any, tmp_path: Any) -> str:
    """Point ``settings`` at the session engine ``name``; return the engine path."""
    engine = name.split("-")[0]
    settings_fixture.SESSION_ENGINE = f"django.contrib.sessions.backends.{engine}"
    settings_fixture.SESSION_FILE_PATH = str(tmp_path)
    if name.endswith("-redis"):
        settings_fixture.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": f"rm-lifecycle-{os.getpid()}",
            }
        }
    else:
        settings_fixture.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        }
    cache.clear()
    return str(settings_fixture.SESSION_ENGINE)


@pytest.fixture(params=ENGINE_PARAMS)
def engine(request: Any, settings: Any, tmp_path: Any, monkeypatch: Any) -> Iterator[str]:
    configure(request.param, settings, tmp_path)
    if request.param == "file":
        follow_frozen_time_in_files(monkeypatch)
    yield request.param
    cache.clear()


def follow_frozen_time_in_files(monkeypatch: Any) -> None:
    """
    Give session files the (possibly frozen) time of their save as their
    modification time, as the file system does in real time: freezegun
    moves ``timezone.now()`` but not file times.
    """
    real_save = file_backend.SessionStore.save

    def save(self: Any, must_create: bool = False) -> None:
        real_save(self, must_create=must_create)
        if self.session_key is not None:
            stamp = timezone.now().timestamp()
            os.utime(self._key_to_file(), (stamp, stamp))

    monkeypatch.setattr(file_backend.SessionStore, "save", save)


def moves_time(engine_name: str) -> None:
    if engine_name.endswith("-redis"):
        pytest.skip("freezegun cannot move Redis's clock")


def store_class() -> type[SessionBase]:
    cls: type[SessionBase] = import_string(settings.SESSION_ENGINE + ".SessionStore")
    return cls


@contextlib.contextmanager
def count_saves() -> Iterator[mock.MagicMock]:
    """Count the calls of the engine's ``SessionStore.save`` (``.call_count``)."""
    cls = store_class()
    with mock.patch.object(cls, "save", autospec=True, side_effect=cls.save) as save:
        yield save


def session_cookie(client: Client) -> str | None:
    morsel = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return morsel.value if morsel is not None and morsel.value else None


def set_cookies(response: Any) -> set[str]:
    """Return the names of the cookies a response sets or deletes."""
    return set(response.cookies.keys())
