"""``purge_remember_tokens``: what it deletes, how (batches, no instances), and failures."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.db.models.signals import pre_delete
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rememberme import purge as purge_module
from rememberme.models import RememberToken, token_ends
from rememberme.purge import purge

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def make(
    user: Any,
    name: str,
    *,
    created: int = 0,
    used: int = 0,
    expires: int | None = None,
    revoked: int | None = None,
    reason: str = "admin",
) -> RememberToken:
    """
    A token created/used/revoked that many days ago, with the ends the
    current rules give it at its last use (or ``expires`` days from now).
    """
    now = timezone.now()
    token, _ = RememberToken.objects.issue(
        user, backend="django.contrib.auth.backends.ModelBackend"
    )
    ends = token_ends(user, created_at=now - created * DAY, last_used_at=now - used * DAY)
    fields = {
        "user_agent": name,
        "created_at": now - created * DAY,
        "last_used_at": now - used * DAY,
        "expires_at": ends.expires_at if expires is None else now + expires * DAY,
        "absolute_expires_at": ends.absolute_expires_at,
    }
    if revoked is not None:
        fields.update(revoked_at=now - revoked * DAY, revoke_reason=reason)
    RememberToken.objects.filter(pk=token.pk).update(**fields)
    return token


@pytest.fixture
def population(user):
    """Tokens of every kind, named by what the purge must do with them."""
    make(user, "keep: active")
    make(user, "keep: revoked 29 days ago", revoked=29)
    make(user, "keep: expired but revoked 3 days ago", expires=-5, revoked=3)
    make(user, "delete: past expires_at", expires=-1)
    make(user, "delete: idle", used=15)  # TOKEN_AGE is 14 days
    make(user, "delete: past its absolute end", created=31, used=1)  # MAX_AGE 30 days
    make(user, "delete: revoked 31 days ago", revoked=31)
    make(user, "delete: revoked and expired long ago", expires=-40, revoked=40)


def names() -> set[str]:
    return set(RememberToken.objects.values_list("user_agent", flat=True))


def run(*args: str) -> str:
    out = StringIO()
    call_command("purge_remember_tokens", *args, stdout=out)
    return out.getvalue()


def test_deletes_expired_and_old_revoked_tokens(population):
    output = run()
    assert names() == {
        "keep: active",
        "keep: revoked 29 days ago",
        "keep: expired but revoked 3 days ago",
    }
    assert output == "Deleted 3 expired and 2 revoked remember-me tokens.\n"


def test_keep_revoked(population):
    run("--keep-revoked", "0")
    assert names() == {"keep: active"}


def test_no_absolute_cap(user, settings):
    settings.REMEMBERME_TOKEN_MAX_AGE = None
    make(user, "keep: no absolute end", created=31, used=1)
    run()
    assert "keep: no absolute end" in names()


def test_a_lifetime_changed_since_the_last_use_applies_from_the_next_use(user, settings):
    # The purge never deletes a token that can still sign in: the end a
    # token was given at its last use is the one every reader applies.
    make(user, "keep: idle longer than the new TOKEN_AGE", used=10)
    settings.REMEMBERME_TOKEN_AGE = 7 * DAY
    run()
    assert names() == {"keep: idle longer than the new TOKEN_AGE"}
    assert RememberToken.objects.active().count() == 1


def test_dry_run_deletes_nothing(population):
    before = names()
    output = run("--dry-run", "--verbosity", "2")
    assert names() == before
    assert output == "Would delete 3 expired and 2 revoked remember-me tokens.\n"


def test_quiet_at_verbosity_0(population):
    assert run("--verbosity", "0") == ""
    assert len(names()) == 3


def test_batches_and_progress(population, user):
    for i in range(5):
        make(user, f"delete: extra {i}", expires=-2)
    with CaptureQueriesContext(connection) as captured:
        output = run("--batch-size", "2", "--verbosity", "2")
    lines = output.splitlines()
    assert lines[-1] == "Deleted 8 expired and 2 revoked remember-me tokens."
    progress = lines[:-1]
    assert progress  # one line per batch that deleted something
    counts = [int(line.split()[1]) for line in progress]
    assert sum(counts) == 10
    assert max(counts) <= 2
    assert progress[0] == f"Deleted {counts[0]} expired tokens ({counts[0]} so far)."
    assert progress[-1].endswith("(10 so far).")
    deletes = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) >= 5
    for sql in deletes:  # each bounded by a key range, never "everything that matches"
        assert '"id" <=' in sql or '"id" >' in sql
    assert len(names()) == 3


def test_never_builds_model_instances(population):
    # Even with a project-wide pre_delete receiver, which makes
    # QuerySet.delete() collect objects one by one.
    def receiver(**kwargs):
        raise AssertionError("a model instance was deleted")

    pre_delete.connect(receiver, weak=False, dispatch_uid="purge-test")
    try:
        with mock.patch.object(RememberToken, "from_db", side_effect=AssertionError("loaded")):
            run("--batch-size", "3")
    finally:
        pre_delete.disconnect(dispatch_uid="purge-test")
    assert len(names()) == 3


def test_tokens_created_during_the_purge_are_left(user):
    expired = make(user, "delete: expired", expires=-1)
    for i in range(3):
        make(user, f"delete: expired {i}", expires=-1)
    late: list[RememberToken] = []

    def on_batch(kind, deleted, total):
        if not late:  # a token that expires and is created mid-purge, past the end key
            late.append(make(user, "late", expires=-1))

    result = purge(batch_size=2, on_batch=on_batch)
    assert result.expired == 4
    assert names() == {"late"}
    assert not RememberToken.objects.filter(pk=expired.pk).exists()


def test_empty_table():
    assert run("--verbosity", "2") == "Deleted 0 expired and 0 revoked remember-me tokens.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--batch-size", "0"], "--batch-size must be at least 1."),
        (["--keep-revoked", "-1"], "--keep-revoked must be zero or more days."),
        (["--pause", "-0.5"], "--pause must be zero or more seconds."),
        (["--pause", "nan"], "--pause must be zero or more seconds."),
    ],
)
def test_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_database_error_is_a_command_error(population):
    with (
        mock.patch(
            "django.db.models.query.QuerySet._raw_delete",
            side_effect=DatabaseError("database is locked"),
        ),
        pytest.raises(CommandError, match="Purging remember-me tokens failed: database is locked"),
    ):
        run()


def test_failure_exits_non_zero(capsys):
    with pytest.raises(SystemExit) as exc:
        execute_from_command_line(["manage.py", "purge_remember_tokens", "--batch-size", "0"])
    assert exc.value.code == 1
    assert "--batch-size must be at least 1." in capsys.readouterr().err


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_batches_commit_without_waiting_for_the_wal(user):
    for i in range(5):
        make(user, f"delete: {i}", expires=-1)
    make(user, "keep")
    with CaptureQueriesContext(connection) as captured:
        run("--batch-size", "2")
    sql = [q["sql"] for q in captured.captured_queries]
    deletes = sum(s.startswith("DELETE") for s in sql)
    assert deletes >= 6  # two per window (old revocations, expired tokens)
    # Once per batch, i.e. per transaction (SET LOCAL lasts until it ends).
    assert sum("SET LOCAL synchronous_commit = off" in s for s in sql) == deletes // 2
    assert names() == {"keep"}


def deletes(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith("DELETE")]


def test_one_walk_counts_each_kind(user):
    # Expired and old revoked tokens interleaved in key order: one walk
    # deletes both and still tells them apart, batch by batch.
    for i in range(6):
        if i % 2:
            make(user, f"delete: revoked {i}", revoked=40)
        else:
            make(user, f"delete: expired {i}", expires=-1)
    make(user, "keep")
    seen: list[tuple[str, int, int]] = []
    with CaptureQueriesContext(connection) as captured:
        result = purge(batch_size=2, on_batch=lambda *args: seen.append(args))
    assert (result.expired, result.revoked) == (3, 3)
    assert names() == {"keep"}
    # Windows of two keys, each one with one token of each kind.
    assert [(kind, n) for kind, n, _ in seen] == [("revoked", 1), ("expired", 1)] * 3
    assert [total for *_, total in seen] == [1, 2, 3, 4, 5, 6]
    assert result.batches == 3
    # Two statements per window (old revocations, then expired tokens),
    # each window visited once.
    sql = deletes(captured)
    assert len(sql) == 2 * 4  # three windows of two keys, and the "keep" one
    assert all('"revoked_at" IS NOT NULL' in s for s in sql[::2])
    assert all('"revoked_at" IS NULL' in s for s in sql[1::2])


def test_summary_line_counts_each_kind(user):
    for i in range(3):
        make(user, f"delete: revoked {i}", revoked=31)
    make(user, "delete: expired", expires=-1)
    make(user, "keep: revoked recently", revoked=1)
    assert run("--batch-size", "2") == "Deleted 1 expired and 3 revoked remember-me tokens.\n"
    assert names() == {"keep: revoked recently"}


def test_dry_run_counts_each_kind_in_one_query(population):
    with CaptureQueriesContext(connection) as captured:
        result = purge(dry_run=True, keep_revoked=datetime.timedelta(days=2))
    # Every revocation in the population is now old enough: 29, 3, 31 and
    # 40 days ago.
    assert (result.expired, result.revoked) == (3, 4)
    assert len(captured.captured_queries) == 1
    assert len(names()) == 8


def test_dry_run_matches_the_real_run(population, user):
    for i in range(4):
        make(user, f"delete: extra {i}", revoked=35)
    would = run("--dry-run")
    did = run("--batch-size", "3")
    assert would == "Would delete 3 expired and 6 revoked remember-me tokens.\n"
    assert did == "Deleted 3 expired and 6 revoked remember-me tokens.\n"


def test_a_gap_in_the_keys_costs_one_step(user):
    first = make(user, "delete: first", expires=-1)
    middle = [make(user, f"gone {i}") for i in range(30)]
    last = make(user, "delete: last", expires=-1)
    RememberToken.objects.filter(pk__in=[t.pk for t in middle]).delete()
    with CaptureQueriesContext(connection) as captured:
        result = purge(batch_size=2)
    assert result.expired == 2
    assert not RememberToken.objects.filter(pk__in=[first.pk, last.pk]).exists()
    # Two windows (the first key's and the last key's), not sixteen.
    assert len(deletes(captured)) == 2 * 2


def test_batches_never_exceed_the_batch_size(user):
    for i in range(7):
        make(user, f"delete: {i}", expires=-1)
    seen: list[int] = []
    result = purge(batch_size=3, on_batch=lambda kind, n, total: seen.append(n))
    assert result.expired == 7
    assert seen == [3, 3, 1]


def test_default_batch_size_depends_on_the_database(user, monkeypatch):
    sqlite = connection.vendor == "sqlite"
    assert purge_module.default_batch_size() == (
        purge_module.DEFAULT_SQLITE_BATCH_SIZE if sqlite else purge_module.DEFAULT_BATCH_SIZE
    )
    # The command and purge() use it when no --batch-size is given.
    monkeypatch.setattr(purge_module, "DEFAULT_SQLITE_BATCH_SIZE", 2 if sqlite else 10**6)
    monkeypatch.setattr(purge_module, "DEFAULT_BATCH_SIZE", 10**6 if sqlite else 2)
    for i in range(5):
        make(user, f"delete: {i}", expires=-1)
    output = run("--verbosity", "2")
    assert output.splitlines()[:-1] == [
        "Deleted 2 expired tokens (2 so far).",
        "Deleted 2 expired tokens (4 so far).",
        "Deleted 1 expired tokens (5 so far).",
    ]


def test_pause_between_batches_that_deleted(user):
    # Paced: a pause after each batch that deleted something, none after
    # the last, so live writes get the database between batches.
    for i in range(5):
        make(user, f"delete: {i}", expires=-1)
    with mock.patch("rememberme.purge.time.sleep") as sleep:
        result = purge(batch_size=2, pause=0.25)
    assert result.expired == 5
    assert result.batches == 3
    assert [c.args for c in sleep.call_args_list] == [(0.25,), (0.25,)]


def test_command_passes_the_pause(user):
    for i in range(3):
        make(user, f"delete: {i}", expires=-1)
    with mock.patch("rememberme.purge.time.sleep") as sleep:
        run("--batch-size", "1", "--pause", "0.5")
    assert [c.args for c in sleep.call_args_list] == [(0.5,), (0.5,)]
    with mock.patch("rememberme.purge.time.sleep") as sleep:
        for i in range(3):
            make(user, f"delete: again {i}", expires=-1)
        run("--batch-size", "1", "--pause", "0")
    sleep.assert_not_called()


def test_default_pause_follows_the_database(user):
    for i in range(3):
        make(user, f"delete: {i}", expires=-1)
    expected = (
        purge_module.DEFAULT_SQLITE_PAUSE
        if connection.vendor == "sqlite"
        else purge_module.DEFAULT_PAUSE
    )
    assert purge_module.default_pause() == expected
    with mock.patch("rememberme.purge.time.sleep") as sleep:
        run("--batch-size", "1")
    assert [c.args for c in sleep.call_args_list] == ([(expected,)] * 2 if expected else [])
