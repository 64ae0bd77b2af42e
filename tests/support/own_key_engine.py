"""A session engine that draws its keys its own way (a prefix, say)."""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.utils.crypto import get_random_string


class SessionStore(db.SessionStore):
    def _get_new_session_key(self) -> str:
        while True:
            key = "own" + get_random_string(29)
            if not self.exists(key):
                return key
