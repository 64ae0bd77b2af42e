"""
The token cookie's attributes, as the ``Set-Cookie`` header carries them.

HttpOnly always (by default), ``SameSite=Lax`` by default and configurable,
``Secure`` following ``SESSION_COOKIE_SECURE``, a ``Max-Age`` equal to the
token's remaining lifetime, and cookie-name prefixes (``__Host-``,
``__Secure-``, RFC 6265bis 4.1.3) both honoured on the wire and enforced by
system checks.
"""

from __future__ import annotations

import datetime
from http.cookies import SimpleCookie
from typing import Any

import pytest
from django.test import Client
from freezegun import freeze_time

from rememberme.checks import check_cookie
from tests.helpers import login

pytestmark = pytest.mark.django_db

DAYS_14 = 14 * 24 * 3600


def header(response: Any, name: str) -> str:
    """Return the raw ``Set-Cookie`` header for ``name``."""
    morsel = response.cookies[name]
    return str(morsel.output(header="")).strip()


def attributes(response: Any, name: str) -> dict[str, str]:
    """Parse the header back, as a browser would, into lower-cased attributes."""
    raw = header(response, name)
    parts = [part.strip() for part in raw.split(";")]
    result = {"value": parts[0].split("=", 1)[1]}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        result[key.lower()] = value or "true"
    return result


def ids(errors: list[Any]) -> set[str]:
    return {error.id for error in errors}


@pytest.fixture
def remembered_cookie(client, user):
    with freeze_time("2026-06-01 12:00:00"):
        response = login(client)
    return response


def test_default_attributes(remembered_cookie):
    attrs = attributes(remembered_cookie, "rememberme")
    assert attrs["httponly"] == "true"
    assert attrs["samesite"] == "Lax"
    assert attrs["path"] == "/"
    assert "domain" not in attrs
    assert "secure" not in attrs  # SESSION_COOKIE_SECURE is False in the tests
    # Max-Age: the token's lifetime (14 days idle, under the 30-day cap).
    assert int(attrs["max-age"]) == DAYS_14
    assert attrs["expires"].endswith("GMT")
    # Round trip through a real cookie parser.
    jar: SimpleCookie = SimpleCookie()
    jar.load(header(remembered_cookie, "rememberme"))
    assert jar["rememberme"]["httponly"] is True


def test_httponly_does_not_follow_the_session_cookie(client, user, settings):
    settings.SESSION_COOKIE_HTTPONLY = False
    assert attributes(login(client), "rememberme")["httponly"] == "true"


def test_secure_follows_session_cookie_secure(client, user, settings):
    settings.SESSION_COOKIE_SECURE = True
    attrs = attributes(login(client), "rememberme")
    assert attrs["secure"] == "true"


def test_rememberme_cookie_secure_overrides(client, user, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.REMEMBERME_COOKIE_SECURE = False
    assert "secure" not in attributes(login(client), "rememberme")


@pytest.mark.parametrize("value", ["Strict", "None", "Lax"])
def test_samesite_is_configurable(client, user, settings, value):
    settings.REMEMBERME_COOKIE_SAMESITE = value
    settings.REMEMBERME_COOKIE_SECURE = True  # SameSite=None needs it
    assert attributes(login(client), "rememberme")["samesite"] == value


def test_samesite_follows_the_session_cookie_when_unset(client, user, settings):
    settings.SESSION_COOKIE_SAMESITE = "Strict"
    assert attributes(login(client), "rememberme")["samesite"] == "Strict"


def test_rotation_keeps_the_attributes_and_the_remaining_lifetime(client, user, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.REMEMBERME_TOKEN_MAX_AGE = datetime.timedelta(days=20)
    with freeze_time("2026-06-01 12:00:00"):
        login(client)
    client.cookies.pop("sessionid")
    with freeze_time("2026-06-11 12:00:00"):
        response = client.get("/whoami/")
    attrs = attributes(response, "rememberme")
    assert (attrs["httponly"], attrs["samesite"], attrs["secure"], attrs["path"]) == (
        "true",
        "Lax",
        "true",
        "/",
    )
    # Ten days after the password login, the 20-day cap leaves ten.
    assert int(attrs["max-age"]) == 10 * 24 * 3600


def test_host_prefixed_cookie_on_the_wire(client, user, settings):
    settings.REMEMBERME_COOKIE_NAME = "__Host-remember"
    settings.SESSION_COOKIE_SECURE = True
    assert check_cookie() == []
    attrs = attributes(login(client), "__Host-remember")
    assert attrs["secure"] == "true"
    assert attrs["path"] == "/"
    assert "domain" not in attrs
    # A bad value is deleted with a header the browser accepts for a
    # __Host- cookie: Secure, Path=/, no Domain.
    stranger = Client()
    stranger.cookies["__Host-remember"] = "junk"
    deletion = attributes(stranger.get("/whoami/"), "__Host-remember")
    assert deletion["value"] in ("", '""')
    assert deletion["max-age"] == "0"
    assert deletion["secure"] == "true"
    assert deletion["path"] == "/"
    assert "domain" not in deletion


@pytest.mark.parametrize("prefix", ["__Host-", "__Secure-"])
def test_prefixed_name_without_secure_is_an_error(settings, prefix):
    settings.REMEMBERME_COOKIE_NAME = prefix + "remember"
    settings.SESSION_COOKIE_SECURE = False
    assert "rememberme.E012" in ids(check_cookie())
    settings.REMEMBERME_COOKIE_SECURE = True
    assert "rememberme.E012" not in ids(check_cookie())


@pytest.mark.parametrize(
    ("domain", "path"), [("example.com", "/"), (None, "/accounts/"), (".example.com", "/x")]
)
def test_host_prefix_needs_no_domain_and_root_path(settings, domain, path):
    settings.REMEMBERME_COOKIE_NAME = "__Host-remember"
    settings.REMEMBERME_COOKIE_SECURE = True
    settings.REMEMBERME_COOKIE_DOMAIN = domain
    settings.REMEMBERME_COOKIE_PATH = path
    assert "rememberme.E013" in ids(check_cookie())


def test_secure_prefix_allows_a_domain_and_path(settings):
    settings.REMEMBERME_COOKIE_NAME = "__Secure-remember"
    settings.REMEMBERME_COOKIE_SECURE = True
    settings.REMEMBERME_COOKIE_DOMAIN = "example.com"
    settings.REMEMBERME_COOKIE_PATH = "/app/"
    assert check_cookie() == []


def test_host_prefix_follows_session_cookie_domain(settings):
    """The token cookie inherits SESSION_COOKIE_DOMAIN, which a __Host- name forbids."""
    settings.REMEMBERME_COOKIE_NAME = "__Host-remember"
    settings.SESSION_COOKIE_SECURE = True
    settings.SESSION_COOKIE_DOMAIN = ".example.com"
    assert "rememberme.E013" in ids(check_cookie())
    # Set explicitly to None, the token cookie is host-only again.
    settings.REMEMBERME_COOKIE_DOMAIN = None
    assert check_cookie() == []


def test_samesite_none_without_secure_is_an_error(settings):
    settings.REMEMBERME_COOKIE_SAMESITE = "None"
    settings.SESSION_COOKIE_SECURE = False
    assert "rememberme.E011" in ids(check_cookie())
