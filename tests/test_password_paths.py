"""
Password change, whatever the path: any change of the stored password
invalidates the user's tokens; only Django's own rehash of the same password
at login keeps them.

A change is tried the ways a project or an attacker-controlled admin script
makes it, before and after a raise of the hasher's work factor (after which
Django's rehash and a real change look alike at save time).
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.test import Client

from rememberme.internal.conf import app_settings
from rememberme.models import RememberToken
from tests.helpers import PASSWORD, close_browser, login, token_cookie, whoami

pytestmark = pytest.mark.django_db


class WeakPBKDF2(PBKDF2PasswordHasher):
    """PBKDF2 at a work factor a test can afford."""

    iterations = 1_000


class StrongerPBKDF2(WeakPBKDF2):
    """The same algorithm with more iterations, as after a Django upgrade."""

    iterations = 2_000


WEAK = ["tests.test_password_paths.WeakPBKDF2"]
STRONG = ["tests.test_password_paths.StrongerPBKDF2"]


@pytest.fixture
def stolen(client: Client, user: Any, settings: Any) -> Client:
    """A copy of the token cookie of a user whose hash is PBKDF2 at N iterations."""
    settings.PASSWORD_HASHERS = WEAK
    user.set_password(PASSWORD)
    user.save()
    login(client)
    assert RememberToken.objects.active().filter(user=user).exists()
    thief = Client()
    thief.cookies[app_settings.COOKIE_NAME] = token_cookie(client) or ""
    return thief


def _change(user: Any, how: str, update_fields: bool) -> None:
    if how == "raw_update":
        type(user).objects.filter(pk=user.pk).update(password=make_password("a new password"))
        return
    if how == "make_password":
        user.password = make_password("a new password")
    else:
        user.set_unusable_password()
    if update_fields:
        user.save(update_fields=["password"])
    else:
        user.save()


@pytest.mark.parametrize("hasher_raised", [False, True], ids=["same-hasher", "hasher-raised"])
@pytest.mark.parametrize(
    ("how", "update_fields"),
    [
        ("make_password", True),
        ("make_password", False),
        ("unusable", True),
        ("unusable", False),
        ("raw_update", False),
    ],
)
def test_a_changed_password_ends_every_token(
    stolen: Client, user: Any, settings: Any, how: str, update_fields: bool, hasher_raised: bool
) -> None:
    if hasher_raised:
        settings.PASSWORD_HASHERS = STRONG
    _change(user, how, update_fields)
    assert whoami(stolen)["user"] is None


def test_a_change_after_a_rehash_at_login_still_ends_tokens(
    stolen: Client, user: Any, settings: Any
) -> None:
    # Django rehashes at login (tokens kept), then the password is changed
    # through the same save shape: the second save is a change.
    settings.PASSWORD_HASHERS = STRONG
    login(Client(), remember=False)
    user.refresh_from_db()
    assert f"${StrongerPBKDF2.iterations}$" in user.password
    assert whoami(stolen)["user"] == "alice"
    close_browser(stolen)
    settings.PASSWORD_HASHERS = [*STRONG, *WEAK]
    user.refresh_from_db()
    user.password = make_password("a new password", hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert whoami(stolen)["user"] is None


def test_check_password_rehash_keeps_tokens(stolen: Client, user: Any, settings: Any) -> None:
    settings.PASSWORD_HASHERS = STRONG
    assert user.check_password(PASSWORD)
    user.refresh_from_db()
    assert f"${StrongerPBKDF2.iterations}$" in user.password
    assert whoami(stolen)["user"] == "alice"


def test_a_wrong_password_at_check_password_changes_nothing(
    stolen: Client, user: Any, settings: Any
) -> None:
    settings.PASSWORD_HASHERS = STRONG
    assert not user.check_password("not the password")
    user.refresh_from_db()
    assert f"${WeakPBKDF2.iterations}$" in user.password
    assert whoami(stolen)["user"] == "alice"


def test_a_save_of_a_new_hash_inside_check_password_of_another_user_is_a_change(
    stolen: Client, user: Any, other_user: Any, settings: Any
) -> None:
    # The rehash marker belongs to the instance being checked: a password
    # written to another user meanwhile (by a receiver, say) is a change.
    settings.PASSWORD_HASHERS = STRONG
    other_user.password = WeakPBKDF2().encode(PASSWORD, WeakPBKDF2().salt())
    user.password = make_password("a new password")
    original = type(other_user).set_password

    def set_password(self: Any, raw: str | None) -> None:
        original(self, raw)
        if self.pk == other_user.pk:
            user.save(update_fields=["password"])

    type(other_user).set_password = set_password
    try:
        assert other_user.check_password(PASSWORD)
    finally:
        type(other_user).set_password = original
    assert whoami(stolen)["user"] is None


def test_acheck_password_rehash_keeps_tokens(stolen: Client, user: Any, settings: Any) -> None:
    if not hasattr(user, "acheck_password"):
        pytest.skip("Django without acheck_password()")
    settings.PASSWORD_HASHERS = STRONG
    assert async_to_sync(user.acheck_password)(PASSWORD)
    user.refresh_from_db()
    assert f"${StrongerPBKDF2.iterations}$" in user.password
    assert whoami(stolen)["user"] == "alice"


def _lock_inside_check(raw: str | None, user: Any) -> None:
    user.set_unusable_password()
    user.save(update_fields=["password"])


def _change_inside_check(raw: str | None, user: Any) -> None:
    user.password = make_password("a password the site chose")
    user.save(update_fields=["password"])


@pytest.mark.parametrize("inside", [_lock_inside_check, _change_inside_check])
@pytest.mark.parametrize("hasher_raised", [False, True], ids=["same-hasher", "hasher-raised"])
def test_a_check_password_that_locks_or_changes_the_password_ends_tokens(
    stolen: Client, user: Any, settings: Any, monkeypatch: Any, inside: Any, hasher_raised: bool
) -> None:
    # A user model whose own check_password() expires passwords: it locks
    # (or replaces) the password inside the check, with the very save shape
    # of Django's rehash. That is a change like any other.
    from django.contrib.auth.base_user import AbstractBaseUser

    from rememberme.internal.receivers import watch_password_rehash

    if hasher_raised:
        settings.PASSWORD_HASHERS = STRONG

    def check_password(self: Any, raw: str | None) -> bool:
        inside(raw, self)
        return AbstractBaseUser.check_password(self, raw)

    model = type(user)
    monkeypatch.setattr(model, "check_password", check_password)
    watch_password_rehash(model)  # as ready() does for a model's own check_password()
    user.check_password(PASSWORD)
    assert whoami(stolen)["user"] is None
    assert not RememberToken.objects.active().filter(user=user).exists()


def test_an_acheck_password_that_locks_the_password_ends_tokens(
    stolen: Client, user: Any, monkeypatch: Any
) -> None:
    from django.contrib.auth.base_user import AbstractBaseUser

    from rememberme.internal.receivers import watch_password_rehash

    if not hasattr(user, "acheck_password"):
        pytest.skip("Django without acheck_password()")

    async def acheck_password(self: Any, raw: str | None) -> bool:
        self.set_unusable_password()
        await self.asave(update_fields=["password"])
        return await AbstractBaseUser.acheck_password(self, raw)

    model = type(user)
    monkeypatch.setattr(model, "acheck_password", acheck_password)
    watch_password_rehash(model)
    async_to_sync(user.acheck_password)(PASSWORD)
    assert whoami(stolen)["user"] is None
