"""
Status pings count as the rotation arriving, and a page that only polls
status never ends with its owner taken for a thief.

The status endpoint stays passive: recording that a rotation's response
arrived is neither an extension nor a restore nor a rotation, so the
session is not saved, its cookie is not sent, and no token rotates.
"""

from __future__ import annotations

import pytest
from django.test import Client

from rememberme.models import RememberToken
from tests.helpers import an_hour_later, browser_with, token_cookie

pytestmark = pytest.mark.django_db


def ping(client: Client) -> dict:
    response = client.get("/accounts/status/")
    assert response.status_code == 200
    # Passive: neither the session cookie nor the token cookie is sent.
    assert response.cookies == {} or all(
        name not in response.cookies for name in ("sessionid", "rememberme")
    )
    return response.json()


@pytest.mark.parametrize("save_every_request", [False, True])
def test_a_polling_owner_makes_a_replayed_copy_theft(
    old_cookie, thefts, settings, save_every_request
):
    settings.SESSION_SAVE_EVERY_REQUEST = save_every_request
    with an_hour_later(0):
        owner = browser_with(old_cookie)
        owner.get("/whoami/")
    new_cookie = token_cookie(owner)
    assert new_cookie not in (None, old_cookie)
    rotated_at = RememberToken.objects.get().rotated_at
    # The owner's page is left open: it only polls status.
    with an_hour_later(2):
        assert ping(owner)["authenticated"] is True
    token = RememberToken.objects.get()
    assert token.rotation_arrived
    assert token.rotated_at == rotated_at  # no rotation
    # A copy of the old cookie, replayed in the window: a session, no cookie.
    with an_hour_later(5):
        copy = browser_with(old_cookie)
        assert copy.get("/whoami/").json()["user"] == "alice"
    for seconds in (10, 20, 30):
        with an_hour_later(seconds):
            ping(owner)
    # After the window the copy is theft, not repaired into a cookie.
    with an_hour_later(40):
        later = copy.get("/whoami/")
    assert "rememberme" not in later.cookies or later.cookies["rememberme"].value == ""
    assert later.json()["user"] is None
    assert len(thefts) == 1
    # An hour later, from a new browser: nothing.
    with an_hour_later(3600):
        assert browser_with(old_cookie).get("/whoami/").json()["user"] is None


def test_status_records_the_arrival_once(old_cookie, django_assert_max_num_queries):
    with an_hour_later(0):
        owner = browser_with(old_cookie)
        owner.get("/whoami/")
    with an_hour_later(1):
        ping(owner)
    assert RememberToken.objects.get().rotation_arrived
    # Later pings find it recorded: no write.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with an_hour_later(2), CaptureQueriesContext(connection) as queries:
        ping(owner)
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


def test_a_lost_restore_response_then_only_polling_is_never_theft(old_cookie, thefts):
    # The restore's response is lost: the browser keeps the old cookie.
    with an_hour_later(0):
        lost = browser_with(old_cookie).get("/whoami/")
    assert lost.cookies["rememberme"].value not in ("", old_cookie)
    # A retry in the window gets a session, no cookie; the page then only
    # polls status, for an hour.
    with an_hour_later(5):
        retry = browser_with(old_cookie).get("/whoami/")
    session = retry.cookies["sessionid"].value
    page = browser_with(old_cookie, session=session)
    for seconds in range(10, 3600, 300):
        with an_hour_later(seconds):
            ping(page)
    # The browser closes and comes back: its cookie still restores it.
    with an_hour_later(4000):
        back = browser_with(old_cookie)
        assert back.get("/whoami/").json() == {"user": "alice", "restored": True}
    assert thefts == []
    healed = token_cookie(back)
    assert healed not in (None, old_cookie)
    with an_hour_later(9000):
        assert browser_with(str(healed)).get("/whoami/").json()["user"] == "alice"
    assert thefts == []


def test_a_grace_session_polling_with_the_new_cookie_records_the_arrival(old_cookie, thefts):
    # A tab left with the old cookie and got a grace session; the browser
    # then received the rotation's cookie (the other tab's response), and
    # this page only polls.
    with an_hour_later(0):
        new_cookie = browser_with(old_cookie).get("/whoami/").cookies["rememberme"].value
    with an_hour_later(2):
        tab = browser_with(old_cookie).get("/whoami/")
    page = browser_with(new_cookie, session=tab.cookies["sessionid"].value)
    with an_hour_later(5):
        ping(page)
    assert RememberToken.objects.get().rotation_arrived
    with an_hour_later(40):
        assert browser_with(old_cookie).get("/whoami/").json()["user"] is None
    assert len(thefts) == 1
