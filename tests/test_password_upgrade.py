"""
A password change invalidates tokens; Django's own hash upgrade at login does
not (ASP.NET Core shipped that bug: aspnetcore #46185).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.test import Client

from rememberme.models import RememberToken
from tests.helpers import PASSWORD, close_browser, login, whoami

pytestmark = pytest.mark.django_db


class StrongerPBKDF2(PBKDF2PasswordHasher):
    """PBKDF2 with a raised work factor, as after a Django upgrade."""

    iterations = PBKDF2PasswordHasher.iterations + 1


NEW_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]


def test_hash_upgrade_at_login_keeps_other_browsers_remembered(remembered, user, settings):
    client, token = remembered
    # The project moves to a new preferred hasher; the next password login
    # rehashes the same password.
    settings.PASSWORD_HASHERS = NEW_HASHERS
    second = Client()
    login(second, remember=False)
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    token.refresh_from_db()
    assert token.revoked_at is None
    close_browser(client)
    assert whoami(client)["user"] == "alice"


def test_hash_upgrade_of_iterations_keeps_tokens(remembered, user, settings):
    client, token = remembered
    settings.PASSWORD_HASHERS = NEW_HASHERS
    user.set_password(PASSWORD)
    user.save()  # a real (if identical) password change: revokes
    token.refresh_from_db()
    assert token.revoke_reason == "password_change"
    login(client)  # remembered again under the PBKDF2 hash
    token = RememberToken.objects.active().get(user=user)

    # Raising the PBKDF2 work factor makes Django upgrade at the next login.
    settings.PASSWORD_HASHERS = ["tests.test_password_upgrade.StrongerPBKDF2"]
    login(Client(), remember=False)
    user.refresh_from_db()
    assert f"${StrongerPBKDF2.iterations}$" in user.password
    token.refresh_from_db()
    assert token.revoked_at is None
    settings.PASSWORD_HASHERS = NEW_HASHERS
    close_browser(client)
    assert whoami(client)["user"] == "alice"


def test_set_password_revokes_every_token(remembered, user):
    _client, _token = remembered
    other = Client()
    login(other)
    user.set_password("a brand new password")
    user.save()
    assert set(RememberToken.objects.values_list("revoke_reason", flat=True)) == {
        "password_change"
    }
    close_browser(other)
    assert whoami(other)["user"] is None


def test_direct_hash_write_is_not_mistaken_for_an_upgrade(remembered, user):
    client, token = remembered
    # Same save shape as Django's upgrade (update_fields=["password"], no
    # set_password()), but the old hash was not outdated: a real change.
    user.password = make_password("something else")
    user.save(update_fields=["password"])
    token.refresh_from_db()
    assert token.revoked_at is None  # nothing revoked eagerly...
    close_browser(client)
    assert whoami(client)["user"] is None  # ...but the fingerprint refuses it
    token.refresh_from_db()
    assert token.revoke_reason == "password_change"


def test_saving_a_user_without_touching_the_password_changes_nothing(
    remembered, user, django_assert_num_queries
):
    client, _token = remembered
    user.first_name = "Alice"
    with django_assert_num_queries(1):
        user.save()
    close_browser(client)
    assert whoami(client)["user"] == "alice"


def test_new_users_cost_no_token_query(django_user_model, django_assert_num_queries):
    with django_assert_num_queries(1):
        django_user_model.objects.create_user("carol", password=PASSWORD)
