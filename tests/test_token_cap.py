"""REMEMBERME_MAX_TOKENS_PER_USER: one more token revokes the least recently used."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.core import checks
from django.db import close_old_connections, connection
from django.test import Client
from django.utils import timezone

from rememberme import signals
from rememberme.checks import check_settings
from rememberme.models import RememberToken, token_ends
from tests.helpers import BACKEND, close_browser, login, whoami

pytestmark = pytest.mark.django_db


def issue(user: Any, name: str = "") -> RememberToken:
    return RememberToken.objects.issue(user, backend=BACKEND, user_agent=name)[0]


def age(token: RememberToken, minutes: int) -> None:
    """Make ``token`` last used ``minutes`` ago, with the ends that use gave it."""
    used = timezone.now() - datetime.timedelta(minutes=minutes)
    ends = token_ends(token.user, created_at=token.created_at, last_used_at=used)
    RememberToken.objects.filter(pk=token.pk).update(last_used_at=used, **ends._asdict())


def active_names(user: Any) -> set[str]:
    return set(
        RememberToken.objects.active().filter(user=user).values_list("user_agent", flat=True)
    )


def test_default_is_ten(user, other_user):
    for i in range(10):
        age(issue(user, f"t{i}"), 100 - i)  # t0 is the least recently used
    issue(other_user, "bob's")
    assert len(active_names(user)) == 10
    received = []
    signals.token_revoked.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="c")
    try:
        issue(user, "t10")
    finally:
        signals.token_revoked.disconnect(dispatch_uid="c")
    assert active_names(user) == {f"t{i}" for i in range(1, 11)}
    assert RememberToken.objects.get(user_agent="t0").revoke_reason == "expired"
    assert [(kw["reason"], kw["token"].user_agent) for kw in received] == [("expired", "t0")]
    assert active_names(other_user) == {"bob's"}


def test_least_recently_used_not_oldest(user, settings):
    settings.REMEMBERME_MAX_TOKENS_PER_USER = 2
    first = issue(user, "first (used a minute ago)")
    second = issue(user, "second (used an hour ago)")
    age(first, 1)
    age(second, 60)
    issue(user, "third")
    assert active_names(user) == {"first (used a minute ago)", "third"}


def test_dead_tokens_do_not_count(user, settings):
    settings.REMEMBERME_MAX_TOKENS_PER_USER = 2
    dead = issue(user, "idle for 20 days")
    age(dead, 20 * 24 * 60)  # idle past TOKEN_AGE
    revoked = issue(user, "revoked")
    revoked.revoke("user")
    issue(user, "a")
    issue(user, "b")
    assert active_names(user) >= {"a", "b"}
    assert RememberToken.objects.get(pk=dead.pk).revoke_reason == ""
    assert RememberToken.objects.get(pk=revoked.pk).revoke_reason == "user"


def test_cap_of_one_through_the_login_view(user, settings):
    settings.REMEMBERME_MAX_TOKENS_PER_USER = 1
    settings.REMEMBERME_REVALIDATE_INTERVAL = 0
    a, b = Client(), Client()
    login(a)
    login(b)
    assert RememberToken.objects.active().count() == 1
    revoked = RememberToken.objects.get(revoked_at__isnull=False)
    assert revoked.revoke_reason == "expired"
    assert whoami(a)["user"] is None  # its session ends with its token
    close_browser(b)
    assert whoami(b) == {"user": "alice", "restored": True}


def test_no_cap(user, settings):
    settings.REMEMBERME_MAX_TOKENS_PER_USER = None
    for i in range(15):
        issue(user, f"t{i}")
    assert len(active_names(user)) == 15


def test_a_cap_costs_nothing_without_excess(user, settings, django_assert_max_num_queries):
    settings.REMEMBERME_MAX_TOKENS_PER_USER = 3
    issue(user)
    with django_assert_max_num_queries(5):  # savepoint, (lock), insert, count, release
        issue(user)


@pytest.mark.parametrize("value", [0, -1, "10", 2.5, True])
def test_invalid_values_are_reported(settings, value):
    settings.REMEMBERME_MAX_TOKENS_PER_USER = value
    errors = [e for e in check_settings() if e.id == "rememberme.E014"]
    assert len(errors) == 1
    assert errors[0].level == checks.ERROR
    assert "REMEMBERME_MAX_TOKENS_PER_USER" in errors[0].msg


@pytest.mark.parametrize("value", [None, 1, 50])
def test_valid_values_pass(settings, value):
    settings.REMEMBERME_MAX_TOKENS_PER_USER = value
    assert [e for e in check_settings() if e.id == "rememberme.E014"] == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_logins_never_exceed_the_cap(user, settings):
    settings.REMEMBERME_MAX_TOKENS_PER_USER = 3
    for i in range(3):
        issue(user, f"old{i}")
    workers = 8
    barrier = threading.Barrier(workers)
    failures = []

    def work(n):
        try:
            barrier.wait()
            issue(user, f"new{n}")
        except Exception as exc:
            failures.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert RememberToken.objects.active().filter(user=user).count() == 3
    assert RememberToken.objects.filter(user=user, revoke_reason="expired").count() == workers
