"""
Device binding (DBSC), at the protocol level: a client with a real device
key registers, refreshes against challenges, restores; copies of its
cookies restore nobody.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.contrib.auth import views as auth_views
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from freezegun import freeze_time
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

pytest.importorskip("cryptography", reason="device binding needs the dbsc extra")

from rememberme import signals
from rememberme.internal import dbsc
from rememberme.models import RememberToken
from tests.helpers import (
    EPOCH,
    PASSWORD,
    change_password,
    close_browser,
    login,
    receiving,
    token_cookie,
    whoami,
)
from tests.support import views
from tests.support.dbsc_client import DbscBrowser, jws, parse_registration

pytestmark = pytest.mark.django_db

urlpatterns = [
    path("accounts/", include("rememberme.urls")),
    path("password/", auth_views.PasswordChangeView.as_view(success_url="/whoami/")),
    path("whoami/", views.whoami),
]

BOUND = "rememberme_device"


def later(minutes: float):
    return freeze_time(EPOCH + datetime.timedelta(minutes=minutes))


@pytest.fixture(autouse=True)
def binding(settings):
    settings.REMEMBERME_DEVICE_BINDING = True


@pytest.fixture
def bound(user):
    """A DBSC browser signed in with "Remember me" and bound to its key at EPOCH."""
    browser = DbscBrowser()
    with freeze_time(EPOCH):
        response = login(browser.client)
        assert browser.register(response).status_code == 200
    return browser


def test_remembered_login_offers_es256_registration(user):
    response = login(Client())
    algorithms, params = parse_registration(response.headers["Secure-Session-Registration"])
    assert algorithms[0] == "ES256"
    assert params["path"] == "/accounts/device/register/"
    assert params["challenge"]


def test_unremembered_login_and_setting_off_offer_nothing(user, settings):
    assert "Secure-Session-Registration" not in login(Client(), remember=False).headers
    settings.REMEMBERME_DEVICE_BINDING = False
    assert "Secure-Session-Registration" not in login(Client()).headers
    assert Client().post("/accounts/device/refresh/").status_code == 404
    assert Client().post("/accounts/device/register/").status_code == 404


def test_registration_binds_the_series_and_sets_the_bound_cookie(bound, user):
    token = RememberToken.objects.get(user=user)
    assert token.is_device_bound
    assert token.device_bound_at is not None
    instructions = bound.instructions
    assert instructions["refresh_url"] == "/accounts/device/refresh/"
    assert instructions["scope"] == {"include_site": False, "scope_specification": []}
    (credential,) = instructions["credentials"]
    assert credential["type"] == "cookie"
    assert credential["name"] == BOUND


@pytest.mark.parametrize("secure", [False, True])
def test_bound_cookie_attributes_match_its_credentials_entry(user, settings, secure):
    settings.REMEMBERME_COOKIE_SECURE = secure
    browser = DbscBrowser()
    answer = browser.register(login(browser.client))
    morsel = answer.cookies[BOUND]
    attributes = dict(
        part.strip().partition("=")[::2] for part in browser.credential["attributes"].split(";")
    )
    assert attributes.get("Path") == morsel["path"] == "/"
    assert ("Secure" in attributes) is bool(morsel["secure"]) is secure
    assert "HttpOnly" in attributes
    assert morsel["httponly"]
    assert attributes.get("SameSite") == morsel["samesite"] == "Lax"
    assert "Domain" not in attributes
    assert not morsel["domain"]


def test_rs256_device_registers_and_refreshes(user):
    browser = DbscBrowser(algorithm="RS256")
    assert browser.register(login(browser.client)).status_code == 200
    assert browser.refresh().status_code == 200


def _registration(browser, user, **overrides):
    response = login(browser.client)
    _, params = parse_registration(response.headers["Secure-Session-Registration"])
    header = {"alg": "ES256", "typ": "dbsc+jwt", "jwk": browser.key.jwk()}
    header.update(overrides.pop("header", {}))
    payload = {"jti": overrides.pop("jti", params["challenge"])}
    return params, jws(browser.key, header, payload)


@pytest.mark.parametrize(
    "header",
    [{"typ": "JWT"}, {"alg": "none"}, {"alg": "HS256"}, {"alg": "RS256"}, {"jwk": None}],
)
def test_registration_refuses_a_proof_of_the_wrong_kind(user, header):
    browser = DbscBrowser()
    params, proof = _registration(browser, user, header=header)
    answer = browser.client.post(params["path"], HTTP_SECURE_SESSION_RESPONSE=proof)
    assert answer.status_code == 400
    assert not RememberToken.objects.get(user=user).is_device_bound


def test_registration_refuses_a_signature_by_another_key(user):
    browser = DbscBrowser()
    params, proof = _registration(browser, user)
    head, payload, _ = proof.split(".")
    forged = jws(DbscBrowser().key, json.loads("{}"), {}).split(".")[2]
    answer = browser.client.post(
        params["path"], HTTP_SECURE_SESSION_RESPONSE=f"{head}.{payload}.{forged}"
    )
    assert answer.status_code == 400


@pytest.mark.parametrize("junk", ["", "x", "a.b.c", "e30.e30.", '"unterminated', "." * 9000])
def test_junk_proofs_get_a_clean_400(user, junk):
    assert (
        Client().post("/accounts/device/register/", HTTP_SECURE_SESSION_RESPONSE=junk).status_code
        == 400
    )


def test_registration_challenge_is_single_use_and_short_lived(user):
    browser = DbscBrowser()
    with freeze_time(EPOCH):
        params, proof = _registration(browser, user)
    with later(3):
        expired = browser.client.post(params["path"], HTTP_SECURE_SESSION_RESPONSE=proof)
    assert expired.status_code == 400
    with later(1):
        assert (
            browser.client.post(params["path"], HTTP_SECURE_SESSION_RESPONSE=proof).status_code
            == 200
        )
        # Replayed, by anyone with any key: the series is bound once.
        other = DbscBrowser()
        replay = jws(other.key, {"alg": "ES256", "typ": "dbsc+jwt", "jwk": other.key.jwk()},
                     {"jti": params["challenge"]})  # fmt: skip
        assert (
            browser.client.post(params["path"], HTTP_SECURE_SESSION_RESPONSE=replay).status_code
            == 400
        )
    token = RememberToken.objects.get(user=user)
    assert bytes(token.device_key) != b""


def test_refresh_challenges_then_accepts_a_signed_challenge(bound):
    with later(11):
        first = bound.client.post(
            "/accounts/device/refresh/", HTTP_SEC_SECURE_SESSION_ID=bound.session_id
        )
        assert first.status_code == 403
        challenge = bound.challenge_of(first)
        proof = bound.proof(challenge, with_key=False)
        answer = bound.client.post(
            "/accounts/device/refresh/",
            HTTP_SEC_SECURE_SESSION_ID=bound.session_id,
            HTTP_SECURE_SESSION_RESPONSE=proof,
        )
        assert answer.status_code == 200
        assert answer.json()["session_identifier"] == bound.session_id
        assert answer.cookies[BOUND].value
        # The challenge was consumed: the same proof again is challenged anew.
        again = bound.client.post(
            "/accounts/device/refresh/",
            HTTP_SEC_SECURE_SESSION_ID=bound.session_id,
            HTTP_SECURE_SESSION_RESPONSE=proof,
        )
        assert again.status_code == 403
        assert bound.challenge_of(again) != challenge


@pytest.mark.parametrize("quoted", [False, True])
def test_refresh_accepts_quoted_and_bare_header_values(bound, quoted):
    with later(11):
        assert bound.refresh(quoted=quoted).status_code == 200


def test_an_expired_refresh_challenge_is_challenged_again(bound):
    with later(11):
        first = bound.client.post(
            "/accounts/device/refresh/", HTTP_SEC_SECURE_SESSION_ID=bound.session_id
        )
        proof = bound.proof(bound.challenge_of(first), with_key=False)
    with later(14):
        late = bound.client.post(
            "/accounts/device/refresh/",
            HTTP_SEC_SECURE_SESSION_ID=bound.session_id,
            HTTP_SECURE_SESSION_RESPONSE=proof,
        )
    assert late.status_code == 403
    assert BOUND not in late.cookies


def test_a_proof_by_another_key_ends_the_session(bound):
    thief = DbscBrowser()
    thief.instructions = bound.instructions
    with later(11):
        answer = thief.refresh()
    assert answer.status_code == 200
    assert answer.json()["continue"] is False
    assert BOUND not in answer.cookies


@pytest.mark.parametrize("session_id", ["", "1", "1:forged", '"12"'])
def test_unknown_series_ends_the_session(bound, session_id):
    answer = Client().post("/accounts/device/refresh/", HTTP_SEC_SECURE_SESSION_ID=session_id)
    assert answer.status_code == 200
    assert answer.json()["continue"] is False


def test_revoked_series_answers_continue_false(bound):
    with later(1):
        bound.client.post("/accounts/logout/", {"everywhere": "1"})
    with later(11):
        answer = bound.refresh()
    assert answer.json() == {"continue": False, "session_identifier": bound.session_id}


def test_expired_series_answers_continue_false(bound):
    with later(60 * 24 * 15):
        assert bound.refresh().json()["continue"] is False


def test_restart_restores_through_a_refresh(bound, user):
    close_browser(bound.client)
    with later(60):
        # The bound cookie has expired: a DBSC browser would defer this
        # request and refresh first; sent anyway, it restores nobody and
        # loses nothing.
        stale = bound.client.get("/whoami/")
        assert stale.json()["user"] is None
        assert "rememberme" not in stale.cookies  # not deleted
        assert RememberToken.objects.get(user=user).revoked_at is None
        # The refresh request carries the token cookie: never a restore,
        # never theft, never a deleted cookie.
        with receiving(signals.theft_detected) as thefts:
            answer = bound.refresh()
        assert answer.status_code == 200
        assert not thefts
        assert "rememberme" not in answer.cookies
        assert "sessionid" not in answer.cookies
        restored = bound.client.get("/whoami/")
    assert restored.json()["user"] == "alice"
    assert restored.cookies["rememberme"].value  # rotated as usual


def test_copied_token_cookie_alone_restores_nobody_and_is_not_theft(bound, user):
    copy = Client()
    copy.cookies["rememberme"] = token_cookie(bound.client) or ""
    with later(1), receiving(signals.theft_detected) as thefts:
        response = copy.get("/whoami/")
    assert response.json()["user"] is None
    assert not thefts
    assert RememberToken.objects.get(user=user).revoked_at is None
    # The owner is not signed out anywhere.
    close_browser(bound.client)
    with later(2):
        assert whoami(bound.client)["user"] == "alice"


def test_copied_token_and_bound_cookies_restore_nobody_after_expiry(bound):
    copy = Client()
    for name in ("rememberme", BOUND):
        copy.cookies[name] = bound.client.cookies[name].value
    with later(11):
        assert whoami(copy)["user"] is None
    # A copy refreshes nothing either: it has no key.
    thief = DbscBrowser(copy)
    thief.instructions = bound.instructions
    with later(12):
        assert thief.refresh().json()["continue"] is False
        assert whoami(copy)["user"] is None


def test_live_bound_session_needs_the_bound_cookie(bound):
    with later(1):
        # A session cookie copied alone is worth nothing.
        copy = Client()
        copy.cookies["sessionid"] = bound.client.cookies["sessionid"].value
        assert whoami(copy)["user"] is None
    with later(1), CaptureQueriesContext(connection) as queries:
        assert whoami(bound.client)["user"] == "alice"
    # The session and its user, as without binding; nothing of the token.
    assert not [q for q in queries.captured_queries if "rememberme_remembertoken" in q["sql"]]
    with later(11):
        # Its bound cookie expired: the browser would refresh first.
        assert whoami(bound.client)["user"] is None
        bound.refresh()
        assert whoami(bound.client)["user"] == "alice"


def test_copied_session_cookie_cannot_revoke_the_bound_token_by_logging_out(bound, user):
    # The middleware serves the copy anonymous; its logout() must not act on
    # the session's token either (the owner's bound series).
    copy = Client()
    copy.cookies["sessionid"] = bound.client.cookies["sessionid"].value
    with later(1):
        assert whoami(copy)["user"] is None
        assert copy.post("/accounts/logout/").status_code < 500
    token = RememberToken.objects.get(user=user)
    assert token.revoked_at is None
    with later(2):
        # The owner, with the device's bound cookie, is still remembered.
        close_browser(bound.client)
        assert whoami(bound.client)["user"] == "alice"


def test_browser_that_stops_refreshing_signs_in_with_a_password(bound, user):
    with later(30):
        assert whoami(bound.client)["user"] is None
        response = login(bound.client)
        assert response.status_code == 302
        assert whoami(bound.client)["user"] == "alice"
        # A new series, unbound and offered again; the old one is gone.
        assert "Secure-Session-Registration" in response.headers
        assert RememberToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1
        close_browser(bound.client)
        assert whoami(bound.client)["user"] == "alice"


def test_restore_of_an_unbound_token_offers_registration(user):
    browser = DbscBrowser()
    with freeze_time(EPOCH):
        login(browser.client)
    close_browser(browser.client)
    with later(1):
        response = browser.client.get("/whoami/")
        assert response.json()["user"] == "alice"
        assert browser.register(response).status_code == 200
        # The restored session is now bound too.
        copy = Client()
        copy.cookies["sessionid"] = browser.client.cookies["sessionid"].value
        assert whoami(copy)["user"] is None


def test_grace_window_works_for_a_bound_series(bound):
    close_browser(bound.client)
    with later(1):
        cookies = {name: bound.client.cookies[name].value for name in ("rememberme", BOUND)}
        tabs = [Client(), Client()]
        for tab in tabs:
            for name, value in cookies.items():
                tab.cookies[name] = value
        assert [whoami(tab)["user"] for tab in tabs] == ["alice", "alice"]


@pytest.mark.urls(__name__)
def test_password_change_keeps_the_bound_browser_signed_in_and_binds_it_afresh(bound, user):
    with later(1):
        response = change_password(bound.client)
        assert response.status_code == 302
        # A new series, offered binding; the session is not left waiting
        # for the bound cookie of the series the change revoked.
        assert bound.register(response).status_code == 200
        assert whoami(bound.client)["user"] == "alice"
    close_browser(bound.client)
    with later(20):
        bound.refresh()
        assert whoami(bound.client)["user"] == "alice"


@pytest.mark.urls(__name__)
def test_password_change_in_a_browser_that_does_not_bind_again_keeps_it_signed_in(bound):
    with later(1):
        response = change_password(bound.client)
        assert response.status_code == 302
    with later(15):
        # The old series' bound cookie has expired, and the new series is
        # not bound: the session belongs to the new series now.
        assert whoami(bound.client)["user"] == "alice"


def test_devices_page_shows_bound_browsers(bound):
    with later(1):
        page = bound.client.get("/accounts/devices/")
    assert "bound to its device" in page.content.decode()


def test_admin_shows_bound_browsers(bound, admin_client, user):
    token = RememberToken.objects.get(user=user)
    with later(1):
        listing = admin_client.get(
            "/admin/rememberme/remembertoken/?device_bound_at__isnull=False"
        )
    assert listing.status_code == 200
    assert "Active, bound to its device" in listing.content.decode()
    assert list(listing.context["cl"].result_list) == [token]
    unbound = admin_client.get("/admin/rememberme/remembertoken/?device_bound_at__isnull=True")
    assert list(unbound.context["cl"].result_list) == []


def test_setting_off_ignores_bindings(bound):
    from django.test import override_settings

    close_browser(bound.client)
    with later(60), override_settings(REMEMBERME_DEVICE_BINDING=False):
        assert whoami(bound.client)["user"] == "alice"


def test_bound_cookie_value_is_signed(bound):
    value = bound.client.cookies[BOUND].value
    series = value.split(".")[0]
    tampered = Client()
    tampered.cookies["rememberme"] = bound.client.cookies["rememberme"].value
    tampered.cookies[BOUND] = f"{series}.9999999999:forged"
    with later(1):
        assert whoami(tampered)["user"] is None
    assert dbsc.bound_cookie_name() == BOUND


# System checks ---------------------------------------------------------------


def _check_ids():
    from rememberme.checks import check_device_binding

    return [error.id for error in check_device_binding()]


def test_checks_are_silent_when_binding_is_set_up(settings):
    settings.REMEMBERME_COOKIE_SECURE = True
    assert _check_ids() == []
    settings.REMEMBERME_DEVICE_BINDING = False
    settings.REMEMBERME_COOKIE_SECURE = False
    assert _check_ids() == []


def test_check_reports_the_missing_library(settings, monkeypatch):
    from rememberme.internal import dbsc_proof

    settings.REMEMBERME_COOKIE_SECURE = True
    monkeypatch.setattr(dbsc_proof, "available", lambda: False)
    assert _check_ids() == ["rememberme.E020"]
    # Registered: manage.py check reports it.
    from django.core.checks import run_checks

    assert "rememberme.E020" in [error.id for error in run_checks()]


def test_check_reports_unmounted_endpoints(settings):
    settings.REMEMBERME_COOKIE_SECURE = True
    settings.ROOT_URLCONF = "tests.test_urls"  # rememberme.urls not included
    assert _check_ids() == ["rememberme.E021"]


def test_check_warns_of_an_insecure_cookie_outside_debug(settings):
    settings.REMEMBERME_COOKIE_SECURE = False
    assert _check_ids() == ["rememberme.W006"]
    settings.DEBUG = True
    assert _check_ids() == []


def test_the_challenge_answer_is_not_logged_as_forbidden(bound, caplog):
    with later(11), caplog.at_level("WARNING", logger="django.request"):
        first = bound.client.post(
            "/accounts/device/refresh/", HTTP_SEC_SECURE_SESSION_ID=bound.session_id
        )
    assert first.status_code == 403
    assert not [r for r in caplog.records if r.name == "django.request"]


@pytest.mark.parametrize("url", ["/accounts/device/register/", "/accounts/device/refresh/"])
def test_deeply_nested_proof_gets_no_500(bound, url):
    from tests.support.dbsc_client import b64

    nested = b64(b"[" * 5000)  # under the length limit, past the parser's recursion limit
    answer = bound.client.post(
        url,
        HTTP_SEC_SECURE_SESSION_ID=bound.session_id,
        HTTP_SECURE_SESSION_RESPONSE=f"{nested}.e30.AAAA",
    )
    assert answer.status_code < 500


_header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300)
# Bound cookie values beyond ASCII, with digits of other scripts ("²",
# "٣") where the series and expiry go.
_digits = st.text(st.characters(whitelist_categories=("Nd", "No")), min_size=1, max_size=30)
_cookie_text = st.text(
    st.characters(codec="utf-8", blacklist_characters=";"), max_size=120
) | st.builds("{}.{}.{}".format, _digits, _digits, st.text(max_size=30))


def get_with_cookies(client: Client, **cookies: str):
    """
    GET /whoami/ with ``cookies`` and the client's own, as a browser sends
    them: UTF-8 bytes, which the WSGI server hands over as ISO-8859-1 text
    (the test client's cookie jar would quote them instead).
    """
    jar = {name: morsel.value for name, morsel in client.cookies.items()} | cookies
    header = "; ".join(f"{name}={value}" for name, value in jar.items())
    client.raise_request_exception = False
    return client.get("/whoami/", HTTP_COOKIE=header.encode().decode("iso-8859-1"))


@pytest.mark.parametrize(
    "value",
    [
        "1.\u00b2.abc",
        "1.\u1369.abc",
        "1.\u00b9\u00b2\u00b3.x",
        "1." + "9" * 5000 + ".x",
        "1.9999999999.\u00e9t\u00e9",
    ],
)
def test_bound_cookie_with_any_digits_gives_no_500(bound, value):
    # "²" is a digit to str.isdigit() but not to int(), nor are 5000 digits,
    # and compare_digest() refuses a non-ASCII MAC: a 500 on every request
    # of the bound session, and on every restore.
    with later(1):
        answer = get_with_cookies(bound.client, **{BOUND: value})
        assert answer.status_code == 200
        assert answer.json()["user"] is None
    close_browser(bound.client)
    with later(1):
        answer = get_with_cookies(bound.client, **{BOUND: value})
        assert answer.status_code == 200
        assert answer.json()["user"] is None


@given(cookie=_cookie_text)
@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_bound_cookie_beyond_ascii_gives_no_5xx(bound, cookie):
    # The live bound session, then a restore of the bound series.
    with later(1):
        assert get_with_cookies(bound.client, **{BOUND: cookie}).status_code == 200
        copy = Client()
        copy.cookies["rememberme"] = bound.client.cookies["rememberme"].value
        answer = get_with_cookies(copy, **{BOUND: cookie})
        assert answer.status_code == 200
        assert answer.json()["user"] is None


def test_bound_cookie_follows_secret_key_rotation(bound, settings):
    old = settings.SECRET_KEY
    close_browser(bound.client)
    settings.SECRET_KEY = "a-new-secret-key-for-the-rotation-test-0123456789"
    settings.SECRET_KEY_FALLBACKS = [old]
    with later(1):
        # Made under the previous key, still in the fallbacks: accepted.
        assert whoami(bound.client)["user"] == "alice"
    close_browser(bound.client)
    series, expires, _ = bound.client.cookies[BOUND].value.split(".")
    payload = f"{series}.{expires}"
    bound.client.cookies[BOUND] = f"{payload}.{dbsc._cookie_mac('some other key', payload)}"
    with later(2):
        # Made under a key that is neither: worth nothing.
        assert whoami(bound.client)["user"] is None
        bound.client.cookies[BOUND] = f"{payload}.{dbsc._cookie_mac(settings.SECRET_KEY, payload)}"
        assert whoami(bound.client)["user"] == "alice"


def test_async_path_enforces_binding(bound):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    async def run():
        cookies = {name: bound.client.cookies[name].value for name in ("rememberme", BOUND)}
        # A copied session cookie alone, then the token cookie alone, then both
        # with the bound cookie (a restore), through the middleware's async path.
        copy = AsyncClient()
        copy.cookies["sessionid"] = bound.client.cookies["sessionid"].value
        alone = (await copy.get("/whoami/")).json()["user"]
        token_only = AsyncClient()
        token_only.cookies["rememberme"] = cookies["rememberme"]
        unbound = (await token_only.get("/whoami/")).json()["user"]
        owner = AsyncClient()
        for name, value in cookies.items():
            owner.cookies[name] = value
        restored = (await owner.get("/whoami/")).json()["user"]
        return alone, unbound, restored

    with later(1):
        assert async_to_sync(run)() == (None, None, "alice")


def test_registration_needs_the_series_token_cookie(user, django_user_model):
    browser = DbscBrowser()
    params, proof = _registration(browser, user)
    stranger = Client()
    # No token cookie at all: refused.
    answer = stranger.post(params["path"], HTTP_SECURE_SESSION_RESPONSE=proof)
    assert answer.status_code == 400
    # The token cookie of another series (another user's): refused.
    django_user_model.objects.create_user("bob", password=PASSWORD)
    login(stranger, "bob")
    answer = stranger.post(params["path"], HTTP_SECURE_SESSION_RESPONSE=proof)
    assert answer.status_code == 400
    assert not RememberToken.objects.get(user=user).is_device_bound
    # The browser that holds it: bound.
    answer = browser.client.post(params["path"], HTTP_SECURE_SESSION_RESPONSE=proof)
    assert answer.status_code == 200


def test_a_copied_token_cookie_cannot_sign_the_owner_out(bound, user):
    # A sign-out needs the same proof as a restore: without the device's
    # bound cookie, a copy of the token cookie revokes nothing.
    copy = Client()
    copy.cookies["rememberme"] = token_cookie(bound.client) or ""
    with later(1), receiving(signals.theft_detected) as thefts:
        response = copy.post("/accounts/logout/")
    assert response.status_code in (200, 302)
    assert not thefts
    assert RememberToken.objects.get(user=user).revoked_at is None


def test_an_older_copied_token_cookie_cannot_take_the_owner_for_a_thief(bound, user):
    # The infostealer's copy, taken before the owner's browser rotated: with
    # the owner bound, it is no proof of anything, not even of theft.
    copy = Client()
    copy.cookies["rememberme"] = token_cookie(bound.client) or ""
    close_browser(bound.client)
    with later(60):
        bound.refresh()
        assert whoami(bound.client)["restored"] is True
    with later(61):
        assert whoami(bound.client)["user"] == "alice"  # the rotation arrived
    with later(70), receiving(signals.theft_detected) as thefts:
        copy.post("/accounts/logout/")
    assert not thefts
    assert RememberToken.objects.get(user=user).revoked_at is None
