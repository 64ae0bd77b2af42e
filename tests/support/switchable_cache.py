"""
A local-memory cache that can be switched off, as a Redis server goes down:
every read and write raises ``ConnectionError`` until it is switched on
again, with its data (a blip) or without (a restarted server).
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.locmem import LocMemCache


class SwitchableCache(LocMemCache):
    #: What fails: "" (nothing), "rw" (reads and writes), "w" (writes only).
    failing = ""

    def _fail(self, kind: str) -> None:
        if kind in type(self).failing:
            raise ConnectionError("Error 111 connecting to the session store. Connection refused.")

    def get(self, *args: Any, **kwargs: Any) -> Any:
        self._fail("r")
        return super().get(*args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> bool:
        self._fail("r")
        return super().has_key(*args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> bool:
        self._fail("w")
        return super().add(*args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> None:
        self._fail("w")
        super().set(*args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> bool:
        self._fail("w")
        return super().touch(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> bool:
        self._fail("w")
        return super().delete(*args, **kwargs)
