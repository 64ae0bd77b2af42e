"""
The how-to guides' snippets (docs/howto/snippets/), executed against the
test project: each test proves the answer its page gives to one of the five
user questions.
"""

from __future__ import annotations

import datetime
import importlib.util
import logging
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from freezegun import freeze_time

from rememberme.models import RememberToken
from tests.helpers import EPOCH, close_browser, login, token_cookie, whoami
from tests.support.engines import session_cookie

pytestmark = pytest.mark.django_db

SNIPPETS = Path(__file__).resolve().parent.parent / "docs" / "howto" / "snippets"
MINUTE = datetime.timedelta(minutes=1)


def snippet(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"howto_{name}", SNIPPETS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def apply_settings(module: ModuleType, settings: Any) -> None:
    for name in dir(module):
        if name.isupper():
            setattr(settings, name, getattr(module, name))


def test_1_browser_close_but_signed_in_with_some_keys(
    client: Client, user: Any, settings: Any
) -> None:
    apply_settings(snippet("browser_close"), settings)
    response = login(client)
    # The session cookie is a browser-session cookie: no Max-Age, no Expires.
    morsel = response.cookies[settings.SESSION_COOKIE_NAME]
    assert morsel["max-age"] == ""
    assert morsel["expires"] == ""
    assert response.cookies["rememberme"]["max-age"] == 30 * 24 * 3600
    client.post("/session/", {"theme": "dark", "language": "fr", "cart": "3 apples"})

    close_browser(client)
    assert whoami(client) == {"user": "alice", "restored": True}
    session = client.session
    assert session["theme"] == "dark"
    assert session["language"] == "fr"
    assert "cart" not in session
    assert session.get_expire_at_browser_close()

    # Anonymous sessions end at browser close too.
    anonymous = Client()
    response = anonymous.post("/session/", {"cart": "1 pear"})
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""


def test_2_expiry_vs_logout(user: Any, settings: Any, caplog: Any) -> None:
    module = snippet("expiry_vs_logout")
    module.ready()
    try:
        settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = 600
        with (
            caplog.at_level(logging.INFO, logger="myproject.sessions"),
            freeze_time(EPOCH) as frozen,
        ):
            first = Client()
            login(first, remember=False)
            first.post("/accounts/logout/")
            second = Client()
            login(second, remember=False)
            frozen.tick(601)
            whoami(second)
            third = Client()
            login(third)
            RememberToken.objects.get(user=user, revoked_at__isnull=True).revoke("admin")
            frozen.tick(301)
            whoami(third)
        messages = [r.getMessage() for r in caplog.records if r.name == "myproject.sessions"]
        assert messages == [
            "alice signed out",
            "The session of alice expired",
            "The session of alice was ended remotely",
        ]
    finally:
        module.disconnect()


def test_3_signed_cookie_replay_is_bounded(user: Any, settings: Any) -> None:
    apply_settings(snippet("signed_cookies"), settings)
    with freeze_time(EPOCH) as frozen:
        victim = Client()
        login(victim)
        copied_session = session_cookie(victim)

        def replay() -> str | None:
            thief = Client()
            thief.cookies[settings.SESSION_COOKIE_NAME] = copied_session or ""
            user_name: str | None = whoami(thief)["user"]
            return user_name

        # A fresh copy works: that is what a session cookie is.
        assert replay() == "alice"
        # The victim signs out. The copied cookie is signed data that no
        # server can delete, but its token is revoked: the next check
        # (within REVALIDATE_INTERVAL, 5 minutes) ends it.
        victim.post("/accounts/logout/")
        frozen.tick(4 * MINUTE)
        assert replay() == "alice"
        frozen.tick(1 * MINUTE)
        assert replay() is None

        # Unused for 15 minutes, a copy is refused even if nobody signed
        # out: rememberme enforces the session's own age on signed cookies.
        victim = Client()
        login(victim)
        copied_session = session_cookie(victim)
        frozen.tick(15 * MINUTE + datetime.timedelta(seconds=1))
        assert replay() is None


def test_3_stolen_token_is_detected(user: Any, settings: Any) -> None:
    apply_settings(snippet("signed_cookies"), settings)
    with freeze_time(EPOCH) as frozen:
        victim = Client()
        login(victim)
        thief = Client()
        thief.cookies["rememberme"] = token_cookie(victim) or ""
        assert whoami(thief)["restored"] is True  # the thief uses it first...
        whoami(thief)  # ...and browses on with what it got
        frozen.tick(MINUTE)
        close_browser(victim)
        assert whoami(victim)["user"] is None  # ...the victim's old copy reveals it
        assert RememberToken.objects.get(user=user).revoke_reason == "theft"
        frozen.tick(5 * MINUTE)
        assert whoami(thief)["user"] is None  # and the thief's session ends


def test_4_ping_without_extending(client: Client, user: Any, settings: Any) -> None:
    module = snippet("status_ping")
    settings.SESSION_SAVE_EVERY_REQUEST = True
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = 600
    with freeze_time(EPOCH) as frozen:
        login(client, remember=False)
        for elapsed in (100, 200, 300):
            frozen.move_to(EPOCH + datetime.timedelta(seconds=elapsed))
            assert module.seconds_left(client) == 600 - elapsed
        frozen.move_to(EPOCH + datetime.timedelta(seconds=601))
        assert module.seconds_left(client) is None
        assert whoami(client)["user"] is None


def test_4_context_processor(rf: Any, user: Any) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    module = snippet("status_ping")
    request = rf.get("/")
    request.session = SessionStore()
    request.user = user
    context = module.session_expiry(request)
    assert context["session_status"]["authenticated"] is True


def test_5_two_lifetimes(client: Client, user: Any, settings: Any) -> None:
    apply_settings(snippet("lifetimes"), settings)
    with freeze_time(EPOCH):
        response = login(client)
        assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 1800
        assert response.cookies["rememberme"]["max-age"] == 1_209_600
        token = RememberToken.objects.get(user=user)
        assert token.expires_at == EPOCH + datetime.timedelta(days=14)
        assert token.absolute_expires_at == EPOCH + datetime.timedelta(days=30)


def test_5_per_user_policy(user: Any, other_user: Any, settings: Any) -> None:
    module = snippet("lifetimes")
    apply_settings(module, settings)
    # The snippet's class, importable by its dotted path as the setting needs.
    import sys

    sys.modules["howto_lifetimes"] = module
    settings.REMEMBERME_POLICY = "howto_lifetimes.ProjectPolicy"
    contractors = Group.objects.create(name="contractors")
    other_user.groups.add(contractors)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    try:
        with freeze_time(EPOCH):
            staff = Client()
            response = login(staff)
            assert "rememberme" not in response.cookies
            assert staff.session.get_expiry_age() == 15 * 60
            contractor = Client()
            response = login(contractor, "bob")
            assert response.cookies["rememberme"]["max-age"] == 24 * 3600
    finally:
        del sys.modules["howto_lifetimes"]
