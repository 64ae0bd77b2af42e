"""``rememberme:status``: reports the session, never extends or restores anything."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from rememberme import signals
from rememberme.internal import expiry
from rememberme.models import RememberToken
from tests.helpers import EPOCH, PASSWORD, close_browser, login, token_cookie, whoami
from tests.support.engines import count_saves, engine, moves_time, session_cookie, set_cookies

__all__ = ["engine"]

pytestmark = pytest.mark.django_db

AGE = 600


@pytest.fixture
def start() -> datetime.datetime:
    """
    Now, to the second: the file engine reads real file times, which
    freezegun does not move, so tests that cover it freeze the real time.
    """
    return timezone.now().replace(microsecond=0)


def when(data: dict[str, Any], key: str = "session_expires_at") -> float:
    return datetime.datetime.fromisoformat(data[key]).timestamp()


@pytest.fixture(autouse=True)
def _ages(settings):
    settings.REMEMBERME_SESSION_AGE = AGE
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = AGE


def status(client: Client) -> Any:
    response = client.get(reverse("rememberme:status"))
    assert response.status_code == 200
    return response


def test_anonymous_without_session(client):
    response = status(client)
    assert response.json() == {
        "authenticated": False,
        "remembered": False,
        "session_expires_at": None,
        "session_expires_in": None,
        "expires_at_browser_close": False,
        "token_expires_at": None,
    }
    assert "no-store" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]
    assert set_cookies(response) == set()


def test_get_only(client, user):
    login(client)
    assert client.post(reverse("rememberme:status")).status_code == 405


def test_remembered_session_fields(client, user):
    with freeze_time(EPOCH):
        login(client)
        token = RememberToken.objects.get(user=user)
        data = status(client).json()
    assert data == {
        "authenticated": True,
        "remembered": True,
        "session_expires_at": (EPOCH + datetime.timedelta(seconds=AGE)).isoformat(),
        "session_expires_in": AGE,
        "expires_at_browser_close": False,
        "token_expires_at": token.expires_at.isoformat(),
    }


def test_token_expiry_is_the_end_the_restore_enforces(client, user, settings):
    with freeze_time(EPOCH):
        login(client)
        settings.REMEMBERME_TOKEN_AGE = datetime.timedelta(days=2)
        data = status(client).json()
    # The end the token was given at sign-in, which a restore enforces; the
    # shortened lifetime applies from the token's next use.
    assert data["token_expires_at"] == (EPOCH + datetime.timedelta(days=14)).isoformat()


def test_unremembered_browser_close_session(client, user, settings):
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = 0
    with freeze_time(EPOCH):
        login(client, remember=False)
        data = status(client).json()
    assert data["authenticated"] is True
    assert data["remembered"] is False
    assert data["expires_at_browser_close"] is True
    assert data["token_expires_at"] is None
    # The server-side bound Django keeps for a browser-close session.
    assert data["session_expires_in"] == settings.SESSION_COOKIE_AGE


def test_reports_true_expiry_and_never_extends(engine, user, settings, start):
    """
    With SESSION_SAVE_EVERY_REQUEST, polling status never moves the expiry
    (any engine): the session still ends AGE seconds after the last real
    request, status reports that moment, not "AGE seconds from now".
    """
    moves_time(engine)
    settings.SESSION_SAVE_EVERY_REQUEST = True
    client = Client()
    with freeze_time(start) as frozen:
        login(client, remember=False)
        key = session_cookie(client)
        frozen.tick(100)
        with count_saves() as saves:
            for _ in range(3):
                response = status(client)
                frozen.tick(100)
        assert saves.call_count == 0
        assert set_cookies(response) == set()
        assert session_cookie(client) == key
        data = response.json()
        assert data["authenticated"] is True
        assert when(data) == pytest.approx(start.timestamp() + AGE, abs=2)
        assert data["session_expires_in"] == pytest.approx(AGE - 300, abs=2)
        frozen.move_to(start + datetime.timedelta(seconds=AGE + 5))
        assert status(client).json()["authenticated"] is False
        assert whoami(client)["user"] is None


def test_never_saves_or_sets_a_cookie(engine, user, settings):
    """The same without moving time, so it also runs against Redis."""
    settings.SESSION_SAVE_EVERY_REQUEST = True
    client = Client()
    login(client)
    key = session_cookie(client)
    stamped = client.session[expiry.EXPIRES_KEY]
    with count_saves() as saves:
        responses = [status(client) for _ in range(3)]
    assert saves.call_count == 0
    assert all(set_cookies(response) == set() for response in responses)
    assert session_cookie(client) == key
    assert client.session[expiry.EXPIRES_KEY] == stamped
    assert responses[-1].json()["authenticated"] is True


def test_real_requests_do_extend(engine, user, settings, start):
    """The control for the test above: an ordinary request extends the session."""
    moves_time(engine)
    settings.SESSION_SAVE_EVERY_REQUEST = True
    client = Client()
    with freeze_time(start) as frozen:
        login(client, remember=False)
        frozen.tick(300)
        assert whoami(client)["user"] == "alice"
        assert status(client).json()["session_expires_in"] == pytest.approx(AGE, abs=2)
        frozen.move_to(start + datetime.timedelta(seconds=AGE + 5))
        assert whoami(client)["user"] == "alice"


def test_status_of_an_ended_session_does_not_restore(engine, user, start):
    moves_time(engine)
    client = Client()
    restored = []
    signals.session_restored.connect(
        lambda **kw: restored.append(kw), weak=False, dispatch_uid="status-test"
    )
    try:
        with freeze_time(start) as frozen:
            login(client)
            token = RememberToken.objects.get(user=user)
            cookie = token_cookie(client)
            frozen.tick(AGE + 5)
            response = status(client)
            assert response.json()["authenticated"] is False
            assert set_cookies(response) == set()
            assert token_cookie(client) == cookie
            fresh = RememberToken.objects.get(pk=token.pk)
            assert fresh.verifier_hash == token.verifier_hash
            assert fresh.last_used_at == token.last_used_at
            assert restored == []
            # The next real request restores, as it would have anyway.
            assert whoami(client) == {"user": "alice", "restored": True}
    finally:
        signals.session_restored.disconnect(dispatch_uid="status-test")


def test_no_restore_after_browser_close(client, user):
    login(client)
    close_browser(client)
    cookie = token_cookie(client)
    response = status(client)
    assert response.json()["authenticated"] is False
    assert set_cookies(response) == set()
    assert token_cookie(client) == cookie


def test_not_counted_for_revalidation(client, user, settings):
    settings.REMEMBERME_REVALIDATE_INTERVAL = 60
    with freeze_time(EPOCH) as frozen:
        login(client)
        checked = client.session["_rememberme_checked"]
        frozen.tick(120)
        with count_saves() as saves:
            assert status(client).json()["authenticated"] is True
        assert saves.call_count == 0
        assert client.session["_rememberme_checked"] == checked
        # Revoked: status reports what the next request will find, and
        # leaves the ending (and its signal) to that request.
        RememberToken.objects.get(user=user).revoke("admin")
        ended = []
        signals.session_ended.connect(
            lambda **kw: ended.append(kw["reason"]), weak=False, dispatch_uid="status-test"
        )
        try:
            assert status(client).json()["authenticated"] is False
            assert ended == []
            assert whoami(client)["user"] is None
            assert ended == ["revoked"]
        finally:
            signals.session_ended.disconnect(dispatch_uid="status-test")


def test_db_fallback_without_stamp(client, user):
    """A session saved before the stamp existed: the row's expire_date is the truth."""
    with freeze_time(EPOCH) as frozen:
        login(client, remember=False)
        key = session_cookie(client)
        row = Session.objects.get(session_key=key)
        data = row.get_decoded()
        data.pop(expiry.EXPIRES_KEY)
        store = Client().session.__class__
        Session.objects.filter(session_key=key).update(
            session_data=store().encode(data),
            expire_date=EPOCH + datetime.timedelta(seconds=123),
        )
        frozen.tick(20)
        assert status(client).json()["session_expires_in"] == 103


def test_new_key_from_fallback_secret_reaches_the_browser(client, user, settings):
    """
    Django's get_user() cycles the key of a session signed with a key in
    SECRET_KEY_FALLBACKS; status must let that new key through, or the
    browser keeps a deleted session's key.
    """
    login(client)
    old_key = session_cookie(client)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-for-the-fallback-test"
    response = status(client)
    assert response.json()["authenticated"] is True
    assert settings.SESSION_COOKIE_NAME in set_cookies(response)
    assert session_cookie(client) != old_key
    assert whoami(client)["user"] == "alice"


def test_marked_passive():
    from rememberme.status import status as view

    assert getattr(view, "rememberme_passive", False) is True


def test_stamp_written_only_with_a_save(client, user):
    login(client, remember=False)
    stamped = client.session[expiry.EXPIRES_KEY]
    assert stamped == pytest.approx(timezone.now().timestamp() + AGE, abs=2)
    # A request that saves nothing adds no write for the stamp.
    with count_saves() as saves:
        whoami(client)
    assert saves.call_count == 0


def test_asgi_never_saves_or_sets_a_cookie(user: Any, settings: Any) -> None:
    """The same under ASGI, where RememberMeMiddleware runs its async path."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    settings.SESSION_SAVE_EVERY_REQUEST = True
    client = AsyncClient()

    async def sign_in() -> Any:
        return await client.post(
            "/accounts/login/",
            {"username": "alice", "password": PASSWORD, "remember_me": "on"},
        )

    async def ask() -> Any:
        return await client.get(reverse("rememberme:status"))

    assert async_to_sync(sign_in)().status_code == 302
    with count_saves() as saves:
        response = async_to_sync(ask)()
    assert saves.call_count == 0
    assert response.status_code == 200
    assert response.json()["authenticated"] is True
    assert set_cookies(response) == set()


def test_deleted_token_ends_the_session_only_at_the_check(
    client: Client, user: Any, settings: Any
) -> None:
    settings.REMEMBERME_REVALIDATE_INTERVAL = 60
    with freeze_time(EPOCH) as frozen:
        login(client)
        RememberToken.objects.filter(user=user).delete()
        data = status(client).json()
        assert data["authenticated"] is True
        assert data["remembered"] is True
        assert data["token_expires_at"] is None
        assert whoami(client)["user"] == "alice"
        frozen.tick(61)
        assert status(client).json()["authenticated"] is False
        assert whoami(client)["user"] is None
