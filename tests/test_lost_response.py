"""
A rotation whose response never reaches the browser.

The browser keeps the replaced cookie; a retry inside the grace window gets
a session but no cookie. Without more, the browser's next restore, after
that session ends, would present the replaced cookie outside the window and
be taken for theft (Chromium abandons requests at start-up, so this
happens). The grace session therefore hands its browser a cookie of its own
once the window is over.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rememberme.models import RememberToken
from tests.helpers import an_hour_later, browser_with, token_cookie

pytestmark = pytest.mark.django_db


def grace_session(old_cookie: str) -> str:
    """Restore with a response that is lost, then retry inside the window."""
    with an_hour_later(0):
        lost = browser_with(old_cookie).get("/whoami/")
    assert lost.cookies["rememberme"].value not in ("", old_cookie)
    with an_hour_later(5):
        retry = browser_with(old_cookie).get("/whoami/")
    assert retry.json()["user"] == "alice"
    assert "rememberme" not in retry.cookies
    return retry.cookies["sessionid"].value


def test_grace_session_replaces_the_lost_cookie_after_the_window(old_cookie, thefts):
    session = grace_session(old_cookie)
    with an_hour_later(20):
        # Inside the window: nothing to do yet.
        early = browser_with(old_cookie, session=session).get("/whoami/")
    assert "rememberme" not in early.cookies
    with an_hour_later(40):
        healed = browser_with(old_cookie, session=session).get("/whoami/")
    assert healed.json()["user"] == "alice"
    new_cookie = healed.cookies["rememberme"].value
    assert new_cookie not in ("", old_cookie)
    # The browser closes: the cookie it now holds restores it, no theft.
    with an_hour_later(4000):
        restored = browser_with(new_cookie).get("/whoami/")
    assert restored.json() == {"user": "alice", "restored": True}
    assert thefts == []


def test_without_the_heal_the_old_cookie_is_repaired_at_the_next_restore(old_cookie, thefts):
    grace_session(old_cookie)
    # The same browser, had it kept the replaced cookie and never made an
    # ordinary request with its grace session: nothing shows the rotation's
    # response arrived, so its next restore is a repair, not theft.
    with an_hour_later(4000):
        back = browser_with(old_cookie).get("/whoami/")
    assert back.json() == {"user": "alice", "restored": True}
    assert back.cookies["rememberme"].value not in ("", old_cookie)
    assert thefts == []


def test_heal_happens_once_and_stops_when_the_new_cookie_arrives(old_cookie):
    session = grace_session(old_cookie)
    with an_hour_later(40):
        first = browser_with(old_cookie, session=session).get("/whoami/")
    new_cookie = first.cookies["rememberme"].value
    with an_hour_later(45):
        # Parallel requests that still carry the old cookie: no second
        # rotation inside the window.
        again = browser_with(old_cookie, session=session).get("/whoami/")
    assert "rememberme" not in again.cookies
    with an_hour_later(50):
        settled = browser_with(new_cookie, session=session).get("/whoami/")
    assert "rememberme" not in settled.cookies
    assert "_rememberme_grace" not in settled.wsgi_request.session


def test_a_lost_heal_is_retried_after_another_window(old_cookie):
    session = grace_session(old_cookie)
    with an_hour_later(40):
        lost_again = browser_with(old_cookie, session=session).get("/whoami/")
    assert lost_again.cookies["rememberme"].value
    with an_hour_later(80):
        retried = browser_with(old_cookie, session=session).get("/whoami/")
    healed = retried.cookies["rememberme"].value
    assert healed not in ("", old_cookie, lost_again.cookies["rememberme"].value)
    with an_hour_later(4000):
        assert browser_with(healed).get("/whoami/").json()["user"] == "alice"


def test_parallel_tabs_that_got_the_new_cookie_record_it_once(old_cookie):
    with an_hour_later(0):
        new_cookie = browser_with(old_cookie).get("/whoami/").cookies["rememberme"].value
    with an_hour_later(2):
        tab = browser_with(old_cookie).get("/whoami/")
    session = tab.cookies["sessionid"].value
    with an_hour_later(40), CaptureQueriesContext(connection) as queries:
        # The browser now shows the rotation's cookie: the mark is dropped
        # and the arrival recorded (one UPDATE, no read, once).
        response = browser_with(new_cookie, session=session).get("/whoami/")
    assert "rememberme" not in response.cookies
    token_queries = [q["sql"] for q in queries.captured_queries if "remembertoken" in q["sql"]]
    assert len(token_queries) == 1
    assert token_queries[0].startswith("UPDATE")
    assert "_rememberme_grace" not in response.wsgi_request.session
    assert RememberToken.objects.get().rotation_arrived
    with an_hour_later(50), CaptureQueriesContext(connection) as queries:
        browser_with(new_cookie, session=session).get("/whoami/")
    assert not [q for q in queries.captured_queries if "remembertoken" in q["sql"]]


def test_a_revoked_token_is_not_healed(old_cookie):
    session = grace_session(old_cookie)
    RememberToken.objects.all().revoke("admin")
    with an_hour_later(40):
        response = browser_with(old_cookie, session=session).get("/whoami/")
    # No new cookie for a revoked token; the session itself ends at its
    # next revalidation, like any session of a revoked token.
    assert "rememberme" not in response.cookies
    with an_hour_later(400):
        assert browser_with(old_cookie, session=session).get("/whoami/").json()["user"] is None


def test_a_grace_replay_gets_no_lasting_cookie_once_the_owner_shows_the_new_one(
    old_cookie, thefts
):
    # The owner restores with the old cookie and gets the new one.
    with an_hour_later(0):
        owner = browser_with(old_cookie)
        owner.get("/whoami/")
    new_cookie = token_cookie(owner)
    assert new_cookie not in (None, old_cookie)
    # Someone else, holding a copy of the old cookie, is accepted in the
    # window: a session, no cookie.
    with an_hour_later(5):
        other = browser_with(old_cookie)
        replay = other.get("/whoami/")
    assert replay.json()["user"] == "alice"
    assert "rememberme" not in replay.cookies
    # The owner uses the session the rotation gave it.
    with an_hour_later(10):
        assert owner.get("/whoami/").json()["user"] == "alice"
    # After the window, the copy is theft, session or not.
    with an_hour_later(40):
        later = other.get("/whoami/")
    assert not token_cookie(other) or token_cookie(other) == old_cookie
    assert "rememberme" not in later.cookies or later.cookies["rememberme"].value == ""
    assert len(thefts) == 1
    assert not RememberToken.objects.filter(revoked_at__isnull=True).exists()


def test_a_grace_replay_gets_no_lasting_cookie_once_the_new_cookie_restores(old_cookie, thefts):
    with an_hour_later(0):
        owner = browser_with(old_cookie)
        owner.get("/whoami/")
    new_cookie = token_cookie(owner)
    with an_hour_later(5):
        other = browser_with(old_cookie)
        other.get("/whoami/")
    # The owner's browser restarts and restores with the rotation's cookie.
    with an_hour_later(3000):
        assert browser_with(str(new_cookie)).get("/whoami/").json()["restored"] is True
    with an_hour_later(3100):
        other.get("/whoami/")
    assert token_cookie(other) in (None, old_cookie)
    assert len(thefts) == 1


def test_a_grace_replay_is_theft_when_a_parallel_tab_shows_the_new_cookie(old_cookie, thefts):
    # The owner's page and an asset leave with the old cookie; the page
    # rotates, the asset is accepted in the window and its session cookie
    # replaces the page's: the browser shows the new token cookie with the
    # asset's session.
    with an_hour_later(0):
        owner = browser_with(old_cookie)
        owner.get("/whoami/")
    with an_hour_later(1):
        asset = browser_with(old_cookie).get("/whoami/")
    owner.cookies["sessionid"] = asset.cookies["sessionid"].value
    with an_hour_later(5):
        other = browser_with(old_cookie)
        other.get("/whoami/")
    with an_hour_later(10):
        assert owner.get("/whoami/").json()["user"] == "alice"
    with an_hour_later(40):
        other.get("/whoami/")
    assert token_cookie(other) in (None, old_cookie)
    assert len(thefts) == 1


def test_a_restored_session_records_the_arrival_once_then_costs_nothing(old_cookie):
    with an_hour_later(0):
        owner = browser_with(old_cookie)
        owner.get("/whoami/")
    with an_hour_later(1), CaptureQueriesContext(connection) as first:
        assert owner.get("/whoami/").json()["user"] == "alice"
    token_queries = [q["sql"] for q in first.captured_queries if "remembertoken" in q["sql"]]
    assert len(token_queries) == 1
    assert token_queries[0].startswith("UPDATE")
    assert RememberToken.objects.get().rotation_arrived
    for seconds in (2, 60, 120):
        with an_hour_later(seconds), CaptureQueriesContext(connection) as later:
            owner.get("/whoami/")
        assert not [q for q in later.captured_queries if "remembertoken" in q["sql"]]


def test_a_repair_made_for_a_copy_is_theft_once_the_owner_uses_its_session(old_cookie, thefts):
    # The owner restores and gets the new cookie, then stays idle.
    with an_hour_later(0):
        owner = browser_with(old_cookie)
        owner.get("/whoami/")
    assert token_cookie(owner) not in (None, old_cookie)
    # A copy of the old cookie is accepted in the window, and after it,
    # nothing having shown the owner's arrival yet, is repaired.
    with an_hour_later(5):
        other = browser_with(old_cookie)
        other.get("/whoami/")
    with an_hour_later(40):
        repaired = other.get("/whoami/")
    copy_cookie = repaired.cookies["rememberme"].value
    assert copy_cookie not in ("", old_cookie)
    # The owner's session, with the rotation's cookie of the same series,
    # shows that the repair was not made for it: theft.
    with an_hour_later(45):
        assert owner.get("/whoami/").json()["user"] is None
    assert len(thefts) == 1
    with an_hour_later(4000):
        assert browser_with(copy_cookie).get("/whoami/").json()["user"] is None


def test_a_database_error_while_recording_the_arrival_is_retried(old_cookie, monkeypatch):
    # The arrival must not be lost with the error: else the token would stay
    # open to a repair for a copy of the replaced cookie for good.
    from django.db import DatabaseError

    from rememberme.internal.managers import RememberTokenQuerySet

    record_arrival = RememberTokenQuerySet.record_arrival

    def failing(*args, **kwargs):
        raise DatabaseError("injected")

    with an_hour_later(0):
        owner = browser_with(old_cookie)
        owner.get("/whoami/")
    monkeypatch.setattr(RememberTokenQuerySet, "record_arrival", failing)
    with an_hour_later(1):
        assert owner.get("/whoami/").json()["user"] == "alice"
    assert not RememberToken.objects.get().rotation_arrived
    monkeypatch.setattr(RememberTokenQuerySet, "record_arrival", record_arrival)
    with an_hour_later(2):
        assert owner.get("/whoami/").json()["user"] == "alice"
    assert RememberToken.objects.get().rotation_arrived
