"""allauth.usersessions: its sign-out reaches remembered browsers; restores are listed."""

from __future__ import annotations

import datetime

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from rememberme.models import RememberToken
from tests.helpers import close_browser, whoami
from tests.integrations.allauth.helpers import allauth_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def laptop(user) -> Client:
    client = Client()
    allauth_login(client, remember=True)
    return client


@pytest.fixture
def phone(user) -> Client:
    client = Client()
    allauth_login(client, remember=True)
    return client


def laptop_token(laptop: Client) -> RememberToken:
    return RememberToken.objects.get(pk=laptop.session["_rememberme_token"])


def test_sign_out_other_sessions_revokes_their_tokens(laptop: Client, phone: Client) -> None:
    laptops = laptop_token(laptop)
    phones = laptop_token(phone)

    response = phone.post("/accounts/sessions/")
    assert response.status_code == 302

    laptops.refresh_from_db()
    assert laptops.revoke_reason == "user"
    # The token does not sign the laptop back in.
    assert whoami(laptop)["user"] is None
    close_browser(laptop)
    assert whoami(laptop)["user"] is None
    # The phone that asked stays signed in and remembered.
    phones.refresh_from_db()
    assert phones.revoked_at is None
    close_browser(phone)
    assert whoami(phone) == {"user": "alice", "restored": True}


def test_restored_sessions_are_listed(laptop: Client, user) -> None:
    close_browser(laptop)
    assert whoami(laptop)["restored"] is True
    assert UserSession.objects.filter(user=user, session_key=laptop.session.session_key).exists()
    response = laptop.get("/accounts/sessions/")
    assert response.status_code == 200
    assert laptop.session.session_key in {s.session_key for s in response.context["sessions"]}


def test_restored_sessions_can_be_signed_out_from_another_browser(
    laptop: Client, phone: Client
) -> None:
    close_browser(laptop)
    assert whoami(laptop)["restored"] is True
    laptops = laptop_token(laptop)

    phone.post("/accounts/sessions/")
    laptops.refresh_from_db()
    assert laptops.revoked_at is not None
    assert whoami(laptop)["user"] is None


def test_expired_sessions_dropped_from_the_list_keep_their_tokens(
    laptop: Client, phone: Client
) -> None:
    # The laptop's session expires and clearsessions deletes it: the list
    # then forgets it (allauth purges rows of dead sessions), which is not
    # a sign-out, so the laptop's token keeps working.
    laptops = laptop_token(laptop)
    Session.objects.filter(session_key=laptop.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    Session.objects.filter(expire_date__lt=timezone.now()).delete()
    assert phone.get("/accounts/sessions/").status_code == 200
    allauth_login(Client(), remember=False)

    laptops.refresh_from_db()
    assert laptops.revoked_at is None
    assert whoami(laptop) == {"user": "alice", "restored": True}


def test_a_new_session_key_keeps_the_token(laptop: Client) -> None:
    laptops = laptop_token(laptop)
    old_key = laptop.session.session_key
    laptop.get("/cycle/")
    assert laptop.session.session_key != old_key
    laptops.refresh_from_db()
    assert laptops.revoked_at is None
    assert whoami(laptop) == {"user": "alice", "restored": False}
