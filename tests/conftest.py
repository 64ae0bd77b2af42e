from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import setting_changed
from django.db import connections
from django.views.debug import get_default_exception_reporter_filter
from freezegun import freeze_time

from rememberme import signals
from rememberme.models import RememberToken
from tests.helpers import EPOCH, PASSWORD, login, receiving, token_cookie


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    # Django 6.1's system checks ask every database (not only "default")
    # whether it supports JSONField, which SQLite answers with a query, once
    # per connection; tests that run "check" may use "default" alone. Ask
    # each database here, where queries are allowed, so that the answer is
    # known when those tests run.
    with django_db_blocker.unblock():
        for alias in connections:
            connections[alias].features.supports_json_field


@pytest.fixture
def thefts() -> Iterator[list[dict[str, Any]]]:
    with receiving(signals.theft_detected) as calls:
        yield calls


@pytest.fixture
def ended() -> Iterator[list[dict[str, Any]]]:
    with receiving(signals.session_ended) as calls:
        yield calls


@pytest.fixture
def revoked_signals() -> Iterator[list[dict[str, Any]]]:
    with receiving(signals.token_revoked) as calls:
        yield calls


def _reset_reporter_filter(*, setting: str, **kwargs: Any) -> None:
    # Django caches the default exception reporter filter for the life of
    # the process and does not reset it when the setting is overridden.
    if setting == "DEFAULT_EXCEPTION_REPORTER_FILTER":
        get_default_exception_reporter_filter.cache_clear()  # type: ignore[attr-defined]


setting_changed.connect(_reset_reporter_filter, dispatch_uid="tests.reporter_filter")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("REMEMBERME_TEST_POSTGRES"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set REMEMBERME_TEST_POSTGRES=1")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", PASSWORD)


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.com", PASSWORD)


@pytest.fixture
def remembered(client, user):
    """A client signed in with "Remember me", and its token."""
    response = login(client)
    assert response.status_code == 302
    return client, RememberToken.objects.get(user=user)


@pytest.fixture
def old_cookie(client, user) -> str | None:
    """The token cookie of a browser signed in with "Remember me" at ``EPOCH``."""
    with freeze_time(EPOCH):
        login(client)
    return token_cookie(client)
