"""REMEMBERME_POLICY: per-user eligibility and lifetimes."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import checks
from django.test import Client
from freezegun import freeze_time

from rememberme.models import RememberToken
from rememberme.policy import RememberMePolicy, get_policy
from tests.helpers import EPOCH, close_browser, login, token_cookie, whoami

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


class StaffAndShortPolicy(RememberMePolicy):
    """Staff are never remembered; users in "short" are remembered for a day only."""

    def can_remember(self, user: Any, request: Any) -> bool:
        return not user.is_staff

    def token_age(self, user: Any) -> datetime.timedelta:
        return DAY if user.username.startswith("short") else super().token_age(user)

    def token_max_age(self, user: Any) -> datetime.timedelta | None:
        return DAY if user.username.startswith("short") else super().token_max_age(user)

    def session_age(self, user: Any) -> datetime.timedelta | None:
        return datetime.timedelta(minutes=5) if user.username.startswith("short") else None

    def unremembered_session_age(self, user: Any) -> datetime.timedelta | None:
        return datetime.timedelta(minutes=30) if user.is_staff else datetime.timedelta(0)


class NotAPolicy:
    pass


@pytest.fixture(autouse=True)
def _policy(settings: Any) -> None:
    settings.REMEMBERME_POLICY = "tests.test_policy.StaffAndShortPolicy"


@pytest.fixture
def staff(user: Any) -> Any:
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def short(django_user_model: Any) -> Any:
    from tests.helpers import PASSWORD

    return django_user_model.objects.create_user("shorty", "s@example.com", PASSWORD)


def test_staff_are_never_remembered(client: Client, staff: Any) -> None:
    response = login(client)
    assert response.status_code == 302
    assert not RememberToken.objects.exists()
    assert "rememberme" not in response.cookies
    # An unremembered login: the staff's own unremembered age.
    assert client.session.get_expiry_age() == 30 * 60
    close_browser(client)
    assert whoami(client)["user"] is None


def test_short_users_are_remembered_one_day_only(client: Client, short: Any) -> None:
    with freeze_time(EPOCH) as frozen:
        response = login(client, "shorty")
        token = RememberToken.objects.get(user=short)
        assert token.expires_at == EPOCH + DAY
        assert response.cookies["rememberme"]["max-age"] == DAY.total_seconds()
        assert client.session.get_expiry_age() == 5 * 60
        # Used every few hours, the token still ends a day after the login.
        for _ in range(3):
            frozen.tick(datetime.timedelta(hours=7))
            close_browser(client)
            assert whoami(client)["restored"] is True
            assert client.session.get_expiry_age() == 5 * 60
        frozen.move_to(EPOCH + DAY + datetime.timedelta(seconds=1))
        close_browser(client)
        assert whoami(client)["user"] is None


def test_other_users_follow_the_settings(client: Client, user: Any, settings: Any) -> None:
    with freeze_time(EPOCH):
        login(client)
        token = RememberToken.objects.get(user=user)
        assert token.expires_at == EPOCH + datetime.timedelta(days=14)


def test_a_refused_token_is_not_restored_nor_revoked(client: Client, user: Any) -> None:
    login(client)
    token = RememberToken.objects.get(user=user)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    close_browser(client)
    assert whoami(client)["user"] is None
    assert token_cookie(client) is None
    token.refresh_from_db()
    assert token.revoked_at is None


def test_remember_returns_none_when_refused(rf: Any, staff: Any) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    from rememberme import remember
    from rememberme.internal.state import RequestState, attach_state

    request = rf.get("/")
    request.session = SessionStore()
    request.session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    request.user = staff
    attach_state(request, RequestState())
    assert remember(request) is None
    assert not RememberToken.objects.exists()


def test_default_policy_is_the_settings(settings: Any) -> None:
    del settings.REMEMBERME_POLICY
    policy = get_policy()
    assert type(policy) is RememberMePolicy
    settings.REMEMBERME_TOKEN_AGE = 3600
    assert policy.token_age(None) == datetime.timedelta(hours=1)
    assert policy.can_remember(None, None) is True


@pytest.mark.parametrize(
    "value",
    ["tests.test_policy.Missing", "no.such.module.Policy", "tests.test_policy.NotAPolicy", 42],
)
def test_check_reports_an_unusable_policy(settings: Any, value: Any) -> None:
    settings.REMEMBERME_POLICY = value
    ids = [message.id for message in checks.run_checks()]
    assert "rememberme.E015" in ids


def test_check_accepts_the_policy(settings: Any) -> None:
    ids = [message.id for message in checks.run_checks()]
    assert "rememberme.E015" not in ids


@pytest.mark.parametrize("value", ["theme", [1], {"theme": 1}])
def test_check_reports_persistent_keys_that_are_not_a_list(settings: Any, value: Any) -> None:
    settings.REMEMBERME_PERSISTENT_SESSION_KEYS = value
    ids = [message.id for message in checks.run_checks()]
    assert "rememberme.E016" in ids


def test_check_accepts_persistent_keys(settings: Any) -> None:
    settings.REMEMBERME_PERSISTENT_SESSION_KEYS = ("theme",)
    ids = [message.id for message in checks.run_checks()]
    assert "rememberme.E016" not in ids


def test_status_reports_the_policy_token_expiry(client: Client, short: Any) -> None:
    with freeze_time(EPOCH) as frozen:
        login(client, "shorty")
        frozen.tick(datetime.timedelta(hours=7))
        close_browser(client)
        whoami(client)  # restored: idle expiry now EPOCH + 31 h, capped at EPOCH + 1 day
        data = client.get("/accounts/status/").json()
    assert data["token_expires_at"] == (EPOCH + DAY).isoformat()
    assert data["session_expires_in"] == 5 * 60
