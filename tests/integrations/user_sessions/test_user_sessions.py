"""django-user-sessions as the session app: no false check; "delete session" reaches the token."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core import checks
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from user_sessions.models import Session

from rememberme.models import RememberToken
from tests.helpers import close_browser, login, whoami

pytestmark = pytest.mark.django_db


@pytest.fixture
def laptop(user) -> Client:
    client = Client(HTTP_USER_AGENT="laptop")
    assert login(client).status_code == 302
    return client


@pytest.fixture
def phone(user) -> Client:
    client = Client(HTTP_USER_AGENT="phone")
    assert login(client).status_code == 302
    return client


def token_of(client: Client) -> RememberToken:
    return RememberToken.objects.get(pk=client.session["_rememberme_token"])


def test_no_system_check_complains() -> None:
    messages = checks.run_checks()
    assert [message.id for message in messages] == []
    call_command("check", stdout=StringIO())


def test_remembered_browser_is_restored(laptop: Client) -> None:
    close_browser(laptop)
    assert whoami(laptop) == {"user": "alice", "restored": True}
    # The restored session is one of django-user-sessions' rows, with its user.
    assert Session.objects.get(session_key=laptop.session.session_key).user.username == "alice"


def test_deleting_a_session_revokes_its_token(laptop: Client, phone: Client) -> None:
    laptops = token_of(laptop)
    key = laptop.session.session_key

    response = phone.post(f"/account/sessions/{key}/delete/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()

    laptops.refresh_from_db()
    assert laptops.revoke_reason == "user"
    assert whoami(laptop)["user"] is None
    close_browser(laptop)
    assert whoami(laptop)["user"] is None
    # The phone is untouched.
    assert token_of(phone).revoked_at is None
    assert whoami(phone)["user"] == "alice"


def test_deleting_all_other_sessions_revokes_their_tokens(laptop: Client, phone: Client) -> None:
    laptops, phones = token_of(laptop), token_of(phone)

    response = phone.post("/account/sessions/other/delete/")
    assert response.status_code == 302

    laptops.refresh_from_db()
    phones.refresh_from_db()
    assert laptops.revoked_at is not None
    assert phones.revoked_at is None
    assert whoami(laptop)["user"] is None
    close_browser(phone)
    assert whoami(phone) == {"user": "alice", "restored": True}


def test_a_restored_session_deleted_from_the_list_stays_signed_out(
    laptop: Client, phone: Client
) -> None:
    close_browser(laptop)
    assert whoami(laptop)["restored"] is True
    laptops = token_of(laptop)

    phone.post(f"/account/sessions/{laptop.session.session_key}/delete/")
    laptops.refresh_from_db()
    assert laptops.revoked_at is not None
    assert whoami(laptop)["user"] is None


def test_deleting_the_current_session_signs_out_and_forgets(laptop: Client) -> None:
    laptops = token_of(laptop)
    laptop.post(f"/account/sessions/{laptop.session.session_key}/delete/")
    laptops.refresh_from_db()
    assert laptops.revoked_at is not None
    close_browser(laptop)
    assert whoami(laptop)["user"] is None


def test_clearsessions_keeps_the_tokens_of_expired_sessions(laptop: Client) -> None:
    laptops = token_of(laptop)
    Session.objects.filter(session_key=laptop.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    call_command("clearsessions")
    assert not Session.objects.exists()

    laptops.refresh_from_db()
    assert laptops.revoked_at is None
    assert whoami(laptop) == {"user": "alice", "restored": True}


def test_a_new_session_key_keeps_the_token(laptop: Client) -> None:
    laptops = token_of(laptop)
    old_key = laptop.session.session_key
    laptop.get("/cycle/")
    assert laptop.session.session_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    laptops.refresh_from_db()
    assert laptops.revoked_at is None
    assert whoami(laptop) == {"user": "alice", "restored": False}


@pytest.mark.parametrize("restored", [False, True], ids=["login", "restore"])
def test_signing_out_other_browsers_deletes_their_sessions_at_once(
    laptop: Client, phone: Client, django_capture_on_commit_callbacks, restored: bool
) -> None:
    # django-user-sessions lists sessions: a browser signed out is gone from
    # the list there and then, not at its next revalidation.
    if restored:
        close_browser(phone)
        assert whoami(phone) == {"user": "alice", "restored": True}
    key = phone.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = laptop.post("/accounts/devices/", {"action": "others"})
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert whoami(phone)["user"] is None
    assert whoami(laptop)["user"] == "alice"
