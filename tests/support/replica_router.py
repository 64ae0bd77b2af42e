"""
The primary/replica router of Django's multi-database documentation
("An example"), with the test settings' aliases: writes go to ``default``,
reads to ``replica``. Used by the replica tests, never by the main settings.
"""

from __future__ import annotations

from typing import Any

PRIMARY = "default"
REPLICAS = ["replica"]


class PrimaryReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        return REPLICAS[0]

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        db_set = {PRIMARY, *REPLICAS}
        if obj1._state.db in db_set and obj2._state.db in db_set:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: Any = None, **hints: Any) -> bool:
        return True


class WritesToReplicaRouter:
    """Send every write to the ``replica`` alias: a site whose tokens are not on ``default``."""

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "replica"
