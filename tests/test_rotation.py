"""Rotation, the grace window, racing tabs, replay and theft detection."""

from __future__ import annotations

import datetime
import logging
from unittest import mock

import pytest
from argon2 import PasswordHasher
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from rememberme import signals
from rememberme.internal import crypto
from rememberme.internal.cookie import CookieValue, new_cookie_value
from rememberme.models import RememberToken
from tests.helpers import (
    EPOCH,
    browser_with,
    close_browser,
    login,
    parsed,
    receiving,
    token_cookie,
    whoami,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(client, user):
    """The cookie of a token issued at EPOCH, and the token."""
    with freeze_time(EPOCH):
        login(client)
    return token_cookie(client), RememberToken.objects.get(user=user)


def at(seconds: float):
    return freeze_time(EPOCH + datetime.timedelta(minutes=10, seconds=seconds))


def test_grace_request_gets_a_session_and_no_cookie(issued):
    cookie, _ = issued
    with at(0):
        first = browser_with(cookie).get("/whoami/")
    assert first.json()["user"] == "alice"
    assert "rememberme" in first.cookies
    with at(5):
        late = browser_with(cookie).get("/whoami/")
    assert late.json()["user"] == "alice"
    # Neither the old cookie nor the new one: the browser keeps the newest
    # cookie it was given (the Symfony bug was re-sending the old one).
    assert "rememberme" not in late.cookies
    assert "sessionid" in late.cookies


def test_three_tabs_racing_with_one_cookie(issued, thefts):
    cookie, _token = issued
    responses = []
    with at(0):
        for _ in range(3):
            responses.append(browser_with(cookie).get("/whoami/"))
    assert [r.json()["user"] for r in responses] == ["alice"] * 3
    set_cookies = [r.cookies["rememberme"].value for r in responses if "rememberme" in r.cookies]
    assert len(set_cookies) == 1
    assert thefts == []
    # The cookie the one rotation handed out keeps working afterwards.
    with at(3600):
        assert browser_with(set_cookies[0]).get("/whoami/").json()["user"] == "alice"


def test_rotated_at_most_once_per_grace_window(issued):
    cookie, token = issued
    with at(0):
        new_cookie = browser_with(cookie).get("/whoami/").cookies["rememberme"].value
    token.refresh_from_db()
    rotated_hash = token.verifier_hash
    with at(10):
        # Even the new cookie does not rotate again inside the window.
        response = browser_with(new_cookie).get("/whoami/")
    assert response.json()["user"] == "alice"
    assert "rememberme" not in response.cookies
    token.refresh_from_db()
    assert token.verifier_hash == rotated_hash
    with at(31):
        response = browser_with(new_cookie).get("/whoami/")
    assert response.cookies["rememberme"].value not in ("", new_cookie)


def test_lost_response_retried_within_the_window_succeeds(issued, thefts):
    cookie, _ = issued
    with at(0):
        browser_with(cookie).get("/whoami/")  # the response never arrives
    with at(20):
        retried = browser_with(cookie).get("/whoami/")
    assert retried.json()["user"] == "alice"
    assert thefts == []


def test_replay_after_the_window_is_theft(issued, thefts, caplog, other_user):
    cookie, token = issued
    # The user's other remembered browser goes down with the series.
    other = Client()
    with freeze_time(EPOCH):
        login(other)
    other_token = RememberToken.objects.exclude(pk=token.pk).get()
    with at(0):
        owner = browser_with(cookie)
        new_cookie = owner.get("/whoami/").cookies["rememberme"].value
        # The owner goes on: the rotation's response arrived.
        owner.get("/whoami/")
    with (
        receiving(signals.token_revoked) as revoked,
        at(31),
        caplog.at_level(logging.WARNING, logger="rememberme"),
    ):
        replay = browser_with(cookie).get("/whoami/")
    assert replay.json()["user"] is None
    assert replay.cookies["rememberme"].value == ""
    assert len(thefts) == 1
    assert thefts[0]["token"].pk == token.pk
    assert {kw["token"].pk for kw in revoked} == {token.pk, other_token.pk}
    assert {kw["reason"] for kw in revoked} == {"theft"}
    assert any("theft" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    # The legitimate browser's newest cookie is dead too: nobody can tell
    # which of the two was the thief.
    with at(40):
        assert browser_with(new_cookie).get("/whoami/").json()["user"] is None
        close_browser(other)
        assert whoami(other)["user"] is None


def test_older_than_previous_verifier_is_theft_even_in_the_window(issued, thefts):
    cookie, _ = issued
    with at(0):
        second = browser_with(cookie).get("/whoami/").cookies["rememberme"].value
    with at(40):
        browser_with(second).get("/whoami/")
    with at(45):
        # `cookie` is two rotations old: only the immediate predecessor counts.
        assert browser_with(cookie).get("/whoami/").json()["user"] is None
    assert len(thefts) == 1


def test_random_verifier_for_a_known_selector_is_theft(issued, thefts):
    cookie, token = issued
    forged = CookieValue(parsed(cookie).selector, new_cookie_value().verifier)
    with at(0):
        assert browser_with(forged.encode()).get("/whoami/").json()["user"] is None
    assert len(thefts) == 1
    token.refresh_from_db()
    assert token.revoke_reason == "theft"


def test_zero_grace_means_no_second_chance(issued, thefts, settings):
    settings.REMEMBERME_ROTATION_GRACE = 0
    cookie, _ = issued
    with at(0):
        owner = browser_with(cookie)
        owner.get("/whoami/")
        owner.get("/whoami/")  # the rotation's response arrived
        assert browser_with(cookie).get("/whoami/").json()["user"] is None
    assert len(thefts) == 1


def test_fresh_token_rotates_on_first_use(issued):
    cookie, _ = issued
    # Issuing is not a rotation: a browser restarted seconds after sign-in
    # still gets a new verifier.
    with freeze_time(EPOCH + datetime.timedelta(seconds=2)):
        response = browser_with(cookie).get("/whoami/")
    assert response.cookies["rememberme"].value not in ("", cookie)


def test_losing_a_rotation_race_is_a_grace_accept(issued, thefts):
    cookie, token = issued
    real_hash = crypto.hash_verifier

    def competitor_rotates_first(verifier):
        # Between this request's read and its UPDATE, another request with
        # the same cookie rotates the row.
        current = RememberToken.objects.get(pk=token.pk)
        RememberToken.objects.filter(pk=token.pk).update(
            previous_verifier_hash=current.verifier_hash,
            verifier_hash=real_hash("competitor"),
            rotated_at=timezone.now(),
        )
        return real_hash(verifier)

    with (
        at(0),
        mock.patch(
            "rememberme.internal.tokens.hash_verifier", side_effect=competitor_rotates_first
        ),
    ):
        response = browser_with(cookie).get("/whoami/")
    assert response.json()["user"] == "alice"
    assert "rememberme" not in response.cookies
    assert thefts == []
    token.refresh_from_db()
    assert crypto.verify_verifier(token.verifier_hash, "competitor")


def test_revoked_between_read_and_write_signs_nobody_in(issued):
    cookie, token = issued
    real_hash = crypto.hash_verifier

    def revoked_meanwhile(verifier):
        RememberToken.objects.filter(pk=token.pk).revoke("admin")
        return real_hash(verifier)

    with (
        at(0),
        mock.patch("rememberme.internal.tokens.hash_verifier", side_effect=revoked_meanwhile),
    ):
        response = browser_with(cookie).get("/whoami/")
    assert response.json()["user"] is None
    assert response.cookies["rememberme"].value == ""


def test_old_parameters_are_upgraded_at_rotation(issued, settings):
    cookie, token = issued
    verifier = parsed(cookie).verifier
    heavy = PasswordHasher(time_cost=2, memory_cost=8192, parallelism=2)
    RememberToken.objects.filter(pk=token.pk).update(
        verifier_hash=crypto.pack_hash(heavy.hash(verifier))
    )
    with at(0):
        response = browser_with(cookie).get("/whoami/")
    assert response.json()["user"] == "alice"
    token.refresh_from_db()
    assert "$m=8,t=1,p=1$" in crypto.unpack_hash(token.verifier_hash)
    assert "$m=8192,t=2,p=2$" in crypto.unpack_hash(token.previous_verifier_hash)


def test_earlier_salt_and_tag_lengths_are_narrowed_at_rotation(issued):
    # A hash as tokens issued before the narrowing hold it (16-byte salt,
    # 32-byte tag: 60 bytes packed) still verifies, and the rotation that
    # follows stores the new verifier's hash at the current lengths.
    cookie, token = issued
    verifier = parsed(cookie).verifier
    wide = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, salt_len=16, hash_len=32)
    old_hash = crypto.pack_hash(wide.hash(verifier))
    assert len(old_hash) == 60
    RememberToken.objects.filter(pk=token.pk).update(verifier_hash=old_hash)
    with at(0):
        browser = browser_with(cookie)
        assert browser.get("/whoami/").json()["user"] == "alice"
    token.refresh_from_db()
    assert bytes(token.previous_verifier_hash) == old_hash
    assert len(bytes(token.verifier_hash)) == 36  # 11 + 1 + 8 of salt + 16 of tag
    assert crypto.verify_verifier(token.verifier_hash, parsed(token_cookie(browser)).verifier)


def test_rotation_updates_usage_details(issued):
    cookie, token = issued
    with at(0):
        browser_with(cookie).get(
            "/whoami/", HTTP_USER_AGENT="NewBrowser/2.0", REMOTE_ADDR="192.0.2.7"
        )
    token.refresh_from_db()
    assert token.user_agent == "NewBrowser/2.0"
    assert token.ip_address == "192.0.2.7"
    assert token.last_used_at == EPOCH + datetime.timedelta(minutes=10)
    assert token.created_at == EPOCH


def test_a_theft_stays_revoked_when_a_receiver_fails(issued):
    # The theft rule commits on its own: nothing that happens after it (a
    # theft_detected receiver failing on the database, say) takes it back.
    cookie, token = issued
    with at(0):
        owner = browser_with(cookie)
        owner.get("/whoami/")
        owner.get("/whoami/")  # the rotation's response arrived

    def fail(**kwargs):
        raise DatabaseError("the mail queue's table is gone")

    signals.theft_detected.connect(fail, dispatch_uid="test-failing-theft-receiver")
    try:
        with at(31):
            replay = browser_with(cookie).get("/whoami/")
    finally:
        signals.theft_detected.disconnect(dispatch_uid="test-failing-theft-receiver")
    assert replay.json()["user"] is None
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoke_reason == "theft"
