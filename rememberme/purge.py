"""
Deleting dead tokens in bounded batches, for ``purge_remember_tokens``.

The table is walked once, in windows of ``batch_size`` consecutive primary
keys; each window is cleared in one short transaction by two ``DELETE``
statements bounded by its key range, one per kind of dead token (old
revocations, found through a small partial index, then expired tokens).
No model instance is ever built and every batch commits on its own: memory
stays flat and no lock outlives a batch, so the site keeps serving while
the purge runs.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from .internal.lifetime import expired_condition
from .internal.managers import RememberTokenQuerySet
from .models import RememberToken

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_KEEP_REVOKED_DAYS",
    "DEFAULT_PAUSE",
    "DEFAULT_SQLITE_BATCH_SIZE",
    "DEFAULT_SQLITE_PAUSE",
    "PurgeResult",
    "default_batch_size",
    "default_pause",
    "expired_condition",
    "expired_tokens",
    "purge",
    "revoked_tokens",
    "token_database",
]

#: Revoked tokens are kept this long so that "why was I signed out?" (the
#: reason, when, from which browser) can still be answered.
DEFAULT_KEEP_REVOKED_DAYS = 30
#: The default ``batch_size`` on PostgreSQL (and any database but SQLite).
#: A batch of this size takes tens of milliseconds, and its row locks fall
#: only on dead rows, which no request touches.
DEFAULT_BATCH_SIZE = 50_000
#: The default on SQLite, where a batch holds the database's only write
#: lock until it commits, so every other writer waits for it: about 0.2 s
#: at this size on a small server. Each commit also rewrites every index
#: page that the batch touched (selector digests are time-ordered, so
#: those pages are few; the user index's are not), which is why larger
#: batches go faster there; see docs/commands.rst.
DEFAULT_SQLITE_BATCH_SIZE = 10_000

#: The default ``pause`` on PostgreSQL: seconds to wait after each batch
#: that deleted something. A batch of 50,000 rows writes tens of megabytes
#: of WAL, committed without waiting for the flush; a request that commits
#: meanwhile waits until all of it is on disk. The pause lets the WAL
#: writer catch up before the next batch, so live commits do not queue
#: behind a growing backlog (restore p99 during a purge of a million rows
#: went from about 3 to 1.6 times idle, p50 back to idle, in the
#: measurement in docs/commands.rst), for one second per million rows.
DEFAULT_PAUSE = 0.05
#: The default on SQLite: no pause. A batch there holds the only write lock,
#: and a writer that waited for it sleeps in steps of up to 100 ms (SQLite's
#: busy handler), so a short pause would rarely let it in while a long one
#: would stretch the purge; what bounds the wait is the batch size.
DEFAULT_SQLITE_PAUSE = 0.0

OnBatch = Callable[[str, int, int], None]


@dataclass
class PurgeResult:
    expired: int = 0
    revoked: int = 0
    batches: int = 0

    @property
    def total(self) -> int:
        return self.expired + self.revoked


def token_database(using: str | None = None) -> str:
    """
    Return ``using``, or else the database that writes tokens: on a site
    with replicas, the primary (``router.db_for_write``), never "default"
    by assumption.
    """
    return using or RememberToken.objects.for_write().db


def default_batch_size(using: str | None = None) -> int:
    """Return the default ``batch_size`` for the database ``using``."""
    if connections[token_database(using)].vendor == "sqlite":
        return DEFAULT_SQLITE_BATCH_SIZE
    return DEFAULT_BATCH_SIZE


def default_pause(using: str | None = None) -> float:
    """Return the default ``pause`` for the database ``using``."""
    if connections[token_database(using)].vendor == "sqlite":
        return DEFAULT_SQLITE_PAUSE
    return DEFAULT_PAUSE


def _expired(now: datetime.datetime) -> Q:
    # The one lifetime rule (lifetime.expired_condition: the stored end, which
    # a per-user policy decided at the token's last use). Revoked tokens are
    # left to the retention rule.
    return expired_condition(now) & Q(revoked_at__isnull=True)


def _revoked(now: datetime.datetime, keep: datetime.timedelta) -> Q:
    # "isnull=False" as well, which the comparison implies, so that every
    # database sees the partial index of revoked tokens applies.
    return Q(revoked_at__isnull=False, revoked_at__lte=now - keep)


def expired_tokens(now: datetime.datetime, using: str | None = None) -> RememberTokenQuerySet:
    """Return the unrevoked tokens past their idle or absolute lifetime."""
    tokens = RememberToken.objects.db_manager(token_database(using)).get_queryset()
    return tokens.filter(_expired(now))


def revoked_tokens(
    now: datetime.datetime, keep: datetime.timedelta, using: str | None = None
) -> RememberTokenQuerySet:
    """Return the tokens revoked longer than ``keep`` ago."""
    tokens = RememberToken.objects.db_manager(token_database(using)).get_queryset()
    return tokens.filter(_revoked(now, keep))


def purge(
    *,
    keep_revoked: datetime.timedelta = datetime.timedelta(days=DEFAULT_KEEP_REVOKED_DAYS),
    batch_size: int | None = None,
    dry_run: bool = False,
    using: str | None = None,
    now: datetime.datetime | None = None,
    on_batch: OnBatch | None = None,
    pause: float | None = None,
) -> PurgeResult:
    """
    Delete expired tokens and tokens revoked longer than ``keep_revoked``
    ago (or only count them, with ``dry_run``); return the counts.

    ``batch_size`` (the most rows one statement deletes) defaults to
    ``default_batch_size(using)``. ``on_batch(kind, deleted, total_so_far)``
    is called after each batch for each kind it deleted, ``kind`` being
    ``"revoked"`` or ``"expired"``. ``pause`` is how many seconds to wait
    after each batch that deleted something, before the next; it defaults
    to ``default_pause(using)``.
    """
    using = token_database(using)
    if batch_size is None:
        batch_size = default_batch_size(using)
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    if pause is None:
        pause = default_pause(using)
    if not pause >= 0:  # also refuses nan
        raise ValueError("pause must be zero or more seconds.")
    now = now or timezone.now()
    expired, revoked = _expired(now), _revoked(now, keep_revoked)
    tokens = RememberToken.objects.db_manager(using).order_by()
    result = PurgeResult()
    if dry_run:
        # One read that takes no lock: with nothing deleted, there is
        # nothing to split into batches.
        counts = tokens.aggregate(
            expired=Count("pk", filter=expired), revoked=Count("pk", filter=revoked)
        )
        result.expired, result.revoked = counts["expired"], counts["revoked"]
        return result

    bounds = tokens.aggregate(first=Min("pk"), last=Max("pk"))
    if bounds["first"] is None:
        return result
    # Rows created after the purge started are live: stop where it began.
    low, end = bounds["first"] - 1, bounds["last"]
    while low < end:
        # batch_size consecutive keys hold at most batch_size rows, whatever
        # the gaps: each batch is bounded without a query to find its end.
        high = min(low + batch_size, end)
        deleted = _delete_window(using, low, high, revoked=revoked, expired=expired)
        if any(deleted.values()):
            result.batches += 1
        for kind, count in deleted.items():
            if count:
                setattr(result, kind, getattr(result, kind) + count)
                if on_batch is not None:
                    on_batch(kind, count, result.total)
        # The next window starts at the next key, so a long run of keys
        # deleted long ago costs one step, not one empty batch per window.
        following = tokens.filter(pk__gt=high, pk__lte=end).aggregate(next=Min("pk"))
        if following["next"] is None:
            break
        low = following["next"] - 1
        if pause and any(deleted.values()):
            time.sleep(pause)
    return result


def _delete_window(using: str, low: int, high: int, **conditions: Q) -> dict[str, int]:
    """
    Delete the rows with ``low < pk <= high`` that match each condition, in
    one transaction; return how many went for each.
    """
    window = RememberToken.objects.db_manager(using).filter(pk__gt=low, pk__lte=high)
    deleted = {}
    with transaction.atomic(using=using):
        _relax_durability(using)
        for kind, condition in conditions.items():
            # A key range plus the condition, never "pk IN (...)" (SQLite
            # builds may allow as few as 999 parameters) nor one DELETE of
            # everything. One statement per kind, rather than one with both
            # conditions, gives each kind's count without RETURNING every
            # deleted row (which costs PostgreSQL more than the deletion).
            # _raw_delete() is what QuerySet.delete() runs when it may skip
            # collecting objects; calling it directly keeps that so even
            # when a project listens to pre_delete/post_delete for every
            # model.
            deleted[kind] = int(window.filter(condition)._raw_delete(using))
    return deleted


def _relax_durability(using: str) -> None:
    """
    On PostgreSQL, let this transaction commit without waiting for its WAL
    flush. A crash can then lose only the last few batches' deletions,
    never corrupt anything (PostgreSQL docs, "Asynchronous Commit"), and a
    lost deletion is simply redone by the next purge; in exchange a batch
    no longer waits for a disk flush.
    """
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
