"""
Deleting dead tokens in bounded batches, for ``purge_remember_tokens``.

The table is walked in windows of ``batch_size`` primary keys, once per
kind of dead token, in key order; each window is cleared by one short
``DELETE`` of the rows in its key range that match the condition. No model
instance is ever built and every batch commits on its own: memory stays
flat and no lock outlives a batch, so the site keeps serving while the
purge runs.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from .conf import app_settings
from .models import RememberToken, RememberTokenQuerySet

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_KEEP_REVOKED_DAYS",
    "PurgeResult",
    "delete_in_batches",
    "expired_condition",
    "expired_tokens",
    "purge",
    "revoked_tokens",
]

#: Revoked tokens are kept this long so that "why was I signed out?" (the
#: reason, when, from which browser) can still be answered.
DEFAULT_KEEP_REVOKED_DAYS = 30
#: Large enough that per-batch costs (round trips, and on SQLite a synced
#: commit) stay small next to the deletes, small enough that a batch takes
#: tens of milliseconds. Its row locks fall only on dead rows, which no
#: request touches; on SQLite it holds the database's write lock that long.
DEFAULT_BATCH_SIZE = 5000

OnBatch = Callable[[str, int, int], None]


@dataclass
class PurgeResult:
    expired: int = 0
    revoked: int = 0
    batches: int = 0

    @property
    def total(self) -> int:
        return self.expired + self.revoked


def expired_condition(now: datetime.datetime) -> Q:
    """
    Return the condition "past its idle or absolute lifetime at ``now``".

    The current settings apply as well as the stored ``expires_at``, as in
    ``RememberToken.is_expired()``: a lifetime shortened since a token's
    last use already counts.
    """
    condition = Q(expires_at__lte=now) | Q(last_used_at__lte=now - app_settings.TOKEN_AGE)
    max_age = app_settings.TOKEN_MAX_AGE
    if max_age is not None:
        condition |= Q(created_at__lte=now - max_age)
    return condition


def expired_tokens(now: datetime.datetime, using: str = "default") -> RememberTokenQuerySet:
    """
    Return the unrevoked tokens past their idle or absolute lifetime;
    revoked ones are left to the retention rule.
    """
    tokens = RememberToken.objects.db_manager(using).get_queryset()
    return tokens.filter(expired_condition(now), revoked_at__isnull=True)


def revoked_tokens(
    now: datetime.datetime, keep: datetime.timedelta, using: str = "default"
) -> RememberTokenQuerySet:
    """Return the tokens revoked longer than ``keep`` ago."""
    return (
        RememberToken.objects.db_manager(using).get_queryset().filter(revoked_at__lte=now - keep)
    )


def delete_in_batches(
    queryset: RememberTokenQuerySet,
    *,
    batch_size: int,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """
    Delete the rows of ``queryset``, walking the table ``batch_size``
    primary keys at a time; return how many were deleted.
    """
    using = queryset.db
    table = RememberToken.objects.db_manager(using).order_by("pk").values_list("pk", flat=True)
    # Rows created after the purge started are live: stop where it began.
    end = table.last()
    total = 0
    low: int | None = None
    while end is not None:
        window = table if low is None else table.filter(pk__gt=low)
        # The key that closes this window: an index-only step over
        # batch_size keys, whatever the condition, so no planner can choose
        # to sort all matching rows first (SQLite does, for "cond ORDER BY
        # pk LIMIT n", when the condition has an index of its own).
        high = window.filter(pk__lte=end)[batch_size - 1 : batch_size].first()
        if high is None:
            high = end
        rows = queryset.filter(pk__lte=high)
        if low is not None:
            rows = rows.filter(pk__gt=low)
        # A key range plus the condition, never "pk IN (...)" (SQLite builds
        # may allow as few as 999 parameters) nor one DELETE of everything.
        # _raw_delete() is what QuerySet.delete() runs when it may skip
        # collecting objects; calling it directly keeps that so even when a
        # project listens to pre_delete/post_delete for every model.
        with transaction.atomic(using=using):
            _relax_durability(using)
            deleted = rows._raw_delete(using)
        total += deleted
        if deleted and on_batch is not None:
            on_batch(deleted)
        if high == end:
            break
        low = high
    return total


def _relax_durability(using: str) -> None:
    """
    On PostgreSQL, let this transaction commit without waiting for its WAL
    flush. A crash can then lose only the last few batches' deletions,
    never corrupt anything (PostgreSQL docs, "Asynchronous Commit"), and a
    lost deletion is simply redone by the next purge; in exchange a batch
    no longer waits for a disk flush, which is most of its cost.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def purge(
    *,
    keep_revoked: datetime.timedelta = datetime.timedelta(days=DEFAULT_KEEP_REVOKED_DAYS),
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    using: str = "default",
    now: datetime.datetime | None = None,
    on_batch: OnBatch | None = None,
) -> PurgeResult:
    """
    Delete expired tokens and tokens revoked longer than ``keep_revoked``
    ago (or only count them, with ``dry_run``); return the counts.

    ``on_batch(kind, deleted, total_so_far)`` is called after each batch,
    ``kind`` being ``"expired"`` or ``"revoked"``.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    now = now or timezone.now()
    result = PurgeResult()
    for kind, queryset in (
        ("expired", expired_tokens(now, using)),
        ("revoked", revoked_tokens(now, keep_revoked, using)),
    ):
        if dry_run:
            setattr(result, kind, queryset.count())
            continue

        def report(deleted: int, kind: str = kind) -> None:
            result.batches += 1
            setattr(result, kind, getattr(result, kind) + deleted)
            if on_batch is not None:
                on_batch(kind, deleted, result.total)

        delete_in_batches(queryset, batch_size=batch_size, on_batch=report)
    return result
