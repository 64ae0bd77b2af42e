"""``manage.py purge_remember_tokens``: delete dead remember-me tokens."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.translation import gettext as _

from rememberme.purge import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_KEEP_REVOKED_DAYS,
    DEFAULT_PAUSE,
    DEFAULT_SQLITE_BATCH_SIZE,
    DEFAULT_SQLITE_PAUSE,
    purge,
)


class Command(BaseCommand):
    help = (
        "Delete expired remember-me tokens, and revoked ones older than the retention "
        "period, in small batches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep-revoked",
            type=int,
            default=DEFAULT_KEEP_REVOKED_DAYS,
            metavar="DAYS",
            help=(
                "Keep revoked tokens for this many days after their revocation "
                f"(default: {DEFAULT_KEEP_REVOKED_DAYS}); 0 deletes them at once."
            ),
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            metavar="N",
            help=(
                "Delete at most N rows per statement, each batch in a transaction of its own "
                f"(default: {DEFAULT_SQLITE_BATCH_SIZE} on SQLite, {DEFAULT_BATCH_SIZE} on "
                "other databases)."
            ),
        )
        parser.add_argument(
            "--pause",
            type=float,
            default=None,
            metavar="SECONDS",
            help=(
                "Wait this long after each batch, so that the site's own writes keep their "
                f"latency (default: {DEFAULT_PAUSE:g} on PostgreSQL and other databases, "
                f"{DEFAULT_SQLITE_PAUSE:g} on SQLite); 0 runs the batches back to back."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count what would be deleted, delete nothing.",
        )
        parser.add_argument(
            "--database",
            default=None,
            help=(
                "The database to purge (default: the one the database routers write "
                'remember-me tokens to, "default" without routers).'
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        keep_days: int = options["keep_revoked"]
        batch_size: int | None = options["batch_size"]
        verbosity: int = options["verbosity"]
        if keep_days < 0:
            raise CommandError(_("--keep-revoked must be zero or more days."))
        if batch_size is not None and batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        pause: float | None = options["pause"]
        if pause is not None and not pause >= 0:  # also refuses nan
            raise CommandError(_("--pause must be zero or more seconds."))

        def progress(kind: str, deleted: int, total: int) -> None:
            if verbosity >= 2:
                message = (
                    _("Deleted %(count)d expired tokens (%(total)d so far).")
                    if kind == "expired"
                    else _("Deleted %(count)d revoked tokens (%(total)d so far).")
                )
                self.stdout.write(message % {"count": deleted, "total": total})

        try:
            result = purge(
                keep_revoked=datetime.timedelta(days=keep_days),
                batch_size=batch_size,
                dry_run=options["dry_run"],
                using=options["database"],
                on_batch=progress,
                pause=pause,
            )
        except DatabaseError as exc:
            raise CommandError(
                _("Purging remember-me tokens failed: %(error)s") % {"error": exc}
            ) from exc

        if verbosity >= 1:
            counts = {"expired": result.expired, "revoked": result.revoked}
            if options["dry_run"]:
                message = _(
                    "Would delete %(expired)d expired and %(revoked)d revoked remember-me tokens."
                )
            else:
                message = _(
                    "Deleted %(expired)d expired and %(revoked)d revoked remember-me tokens."
                )
            self.stdout.write(message % counts)
