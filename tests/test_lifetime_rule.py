"""
One lifetime rule: whatever decides a token's end (the settings or a
per-user policy) is the rule the restore, the purge, the devices page, the
admin's filters, the token cap and the status endpoint all apply.

The purge never deletes a token that could still sign someone in, and the
devices page lists every token that can.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from rememberme.internal.conf import app_settings
from rememberme.models import RememberToken
from rememberme.policy import RememberMePolicy
from rememberme.purge import purge
from tests.helpers import EPOCH, PASSWORD, close_browser, login, token_cookie, whoami

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


class LongForSome(RememberMePolicy):
    """Users whose name starts with "long" are remembered 60 days idle, 90 at most."""

    def token_age(self, user: Any) -> datetime.timedelta:
        return 60 * DAY if user.username.startswith("long") else super().token_age(user)

    def token_max_age(self, user: Any) -> datetime.timedelta | None:
        return 90 * DAY if user.username.startswith("long") else super().token_max_age(user)


@pytest.fixture(autouse=True)
def _policy(settings: Any) -> None:
    settings.REMEMBERME_POLICY = "tests.test_lifetime_rule.LongForSome"


@pytest.fixture
def longue(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("longue", "l@example.com", PASSWORD)


@pytest.fixture
def issued(longue: Any) -> tuple[Client, RememberToken]:
    """The long-lived user remembered at EPOCH (their browser, their token)."""
    browser = Client()
    with freeze_time(EPOCH):
        login(browser, "longue")
    return browser, RememberToken.objects.get(user=longue)


def copy_of(browser: Client) -> Client:
    other = Client()
    other.cookies[app_settings.COOKIE_NAME] = token_cookie(browser) or ""
    return other


def devices_listed(username: str) -> set[int]:
    viewer = Client()
    login(viewer, username, remember=False)
    response = viewer.get("/accounts/devices/")
    assert response.status_code == 200
    return {browser.token.pk for browser in response.context["browsers"]}


def admin_listed(admin_client: Client, state: str) -> set[int]:
    response = admin_client.get("/admin/rememberme/remembertoken/", {"state": state})
    assert response.status_code == 200
    return {token.pk for token in response.context["cl"].result_list}


def test_restores_at_day_20(issued: tuple[Client, RememberToken]) -> None:
    browser, _token = issued
    with freeze_time(EPOCH + 20 * DAY):
        close_browser(browser)
        assert whoami(browser) == {"user": "longue", "restored": True}


def test_purge_keeps_a_token_the_policy_keeps_alive(issued: tuple[Client, RememberToken]) -> None:
    _browser, token = issued
    with freeze_time(EPOCH + 20 * DAY):
        result = purge()
    assert result.expired == 0
    assert RememberToken.objects.filter(pk=token.pk).exists()


def test_devices_page_lists_it(issued: tuple[Client, RememberToken]) -> None:
    _browser, token = issued
    with freeze_time(EPOCH + 20 * DAY):
        assert token.pk in devices_listed("longue")


def test_admin_active_filter_counts_it(
    issued: tuple[Client, RememberToken], admin_client: Client
) -> None:
    _browser, token = issued
    with freeze_time(EPOCH + 20 * DAY):
        assert token.pk in admin_listed(admin_client, "active")
        assert token.pk not in admin_listed(admin_client, "expired")


def test_token_cap_counts_it(issued: tuple[Client, RememberToken], settings: Any) -> None:
    browser, token = issued
    settings.REMEMBERME_MAX_TOKENS_PER_USER = 1
    with freeze_time(EPOCH + 20 * DAY):
        login(Client(), "longue")
        token.refresh_from_db()
        assert token.revoke_reason == "expired"  # retired by the cap
        close_browser(browser)
        assert whoami(browser)["user"] is None
        assert RememberToken.objects.active().filter(user=token.user).count() == 1


def test_status_reports_the_policy_end(issued: tuple[Client, RememberToken]) -> None:
    browser, _token = issued
    with freeze_time(EPOCH + 20 * DAY):
        close_browser(browser)
        whoami(browser)  # restored: idle end day 80, absolute end day 90
        data = browser.get("/accounts/status/").json()
    assert data["token_expires_at"] == (EPOCH + 80 * DAY).isoformat()


def test_is_expired_does_not_depend_on_the_user_being_loaded(
    issued: tuple[Client, RememberToken],
) -> None:
    _browser, token = issued
    bare = RememberToken.objects.get(pk=token.pk)
    loaded = RememberToken.objects.select_related("user").get(pk=token.pk)
    for day in (1, 20, 59, 61):
        now = EPOCH + day * DAY
        assert bare.is_expired(now) is loaded.is_expired(now) is (day >= 60), day
        assert bare.ends_at() == loaded.ends_at() == EPOCH + 60 * DAY
        assert bare.absolute_expires_at == loaded.absolute_expires_at == EPOCH + 90 * DAY


@pytest.mark.parametrize("day", [1, 13, 15, 20, 31, 59, 61, 100])
def test_every_reader_agrees_with_the_restore(
    issued: tuple[Client, RememberToken], admin_client: Client, day: int
) -> None:
    browser, token = issued
    alive = day < 60
    with freeze_time(EPOCH + day * DAY):
        assert (token.pk in admin_listed(admin_client, "active")) is alive
        assert (token.pk in admin_listed(admin_client, "expired")) is not alive
        assert (token.pk in devices_listed("longue")) is alive
        assert RememberToken.objects.active().filter(pk=token.pk).exists() is alive
        purge()
        assert RememberToken.objects.filter(pk=token.pk).exists() is alive
        assert (whoami(copy_of(browser))["user"] == "longue") is alive


@pytest.mark.parametrize("day", [1, 13, 15, 29, 31])
def test_users_without_the_long_lifetime_follow_the_settings(
    user: Any, admin_client: Client, day: int
) -> None:
    browser = Client()
    with freeze_time(EPOCH):
        login(browser)
    token = RememberToken.objects.get(user=user)
    alive = day < 14
    with freeze_time(EPOCH + day * DAY):
        assert (token.pk in admin_listed(admin_client, "active")) is alive
        assert (token.pk in devices_listed("alice")) is alive
        purge()
        assert RememberToken.objects.filter(pk=token.pk).exists() is alive
        assert (whoami(copy_of(browser))["user"] == "alice") is alive


def test_the_absolute_end_holds_however_often_it_is_used(
    issued: tuple[Client, RememberToken], admin_client: Client
) -> None:
    browser, token = issued
    with freeze_time(EPOCH) as frozen:
        for _ in range(4):  # used every 20 days: idle never runs out
            frozen.tick(20 * DAY)
            close_browser(browser)
            assert whoami(browser)["user"] == "longue"
        token.refresh_from_db()
        assert token.ends_at() == EPOCH + 90 * DAY
        frozen.move_to(EPOCH + 90 * DAY + datetime.timedelta(seconds=1))
        assert timezone.now() > token.ends_at()
        assert token.pk not in admin_listed(admin_client, "active")
        assert token.pk not in devices_listed("longue")
        close_browser(browser)
        assert whoami(copy_of(browser))["user"] is None
