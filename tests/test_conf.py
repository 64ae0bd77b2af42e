from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from rememberme.internal.conf import app_settings


def test_defaults():
    assert app_settings.COOKIE_NAME == "rememberme"
    assert datetime.timedelta(days=14) == app_settings.TOKEN_AGE
    assert datetime.timedelta(days=30) == app_settings.TOKEN_MAX_AGE
    assert datetime.timedelta(hours=1) == app_settings.SESSION_AGE
    assert datetime.timedelta(0) == app_settings.UNREMEMBERED_SESSION_AGE
    assert datetime.timedelta(seconds=30) == app_settings.ROTATION_GRACE
    assert datetime.timedelta(minutes=5) == app_settings.REVALIDATE_INTERVAL
    assert app_settings.PERSISTENT_SESSION_KEYS == ()
    assert app_settings.COOKIE_HTTPONLY is True
    assert app_settings.COOKIE_SAMESITE == "Lax"
    assert app_settings.COOKIE_SECURE is False
    assert app_settings.COOKIE_PATH == "/"
    assert app_settings.COOKIE_DOMAIN is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3600, datetime.timedelta(hours=1)),
        (datetime.timedelta(days=2), datetime.timedelta(days=2)),
        (0, datetime.timedelta(0)),
    ],
)
def test_durations_accept_seconds_or_timedelta(settings, value, expected):
    settings.REMEMBERME_TOKEN_AGE = value
    assert expected == app_settings.TOKEN_AGE


@pytest.mark.parametrize("value", ["3600", 3600.5, True, [1]])
def test_durations_refuse_anything_else(settings, value):
    settings.REMEMBERME_TOKEN_AGE = value
    with pytest.raises(ImproperlyConfigured, match="REMEMBERME_TOKEN_AGE"):
        app_settings.TOKEN_AGE


def test_none_means_no_cap_or_djangos_rules(settings):
    settings.REMEMBERME_TOKEN_MAX_AGE = None
    settings.REMEMBERME_UNREMEMBERED_SESSION_AGE = None
    assert app_settings.TOKEN_MAX_AGE is None
    assert app_settings.UNREMEMBERED_SESSION_AGE is None


def test_none_is_refused_where_it_means_nothing(settings):
    settings.REMEMBERME_TOKEN_AGE = None
    with pytest.raises(ImproperlyConfigured):
        app_settings.TOKEN_AGE


def test_cookie_attributes_follow_session_settings(settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.SESSION_COOKIE_SAMESITE = "Strict"
    settings.SESSION_COOKIE_DOMAIN = ".example.com"
    settings.SESSION_COOKIE_PATH = "/app/"
    settings.SESSION_COOKIE_HTTPONLY = False
    assert app_settings.COOKIE_SECURE is True
    assert app_settings.COOKIE_SAMESITE == "Strict"
    assert app_settings.COOKIE_DOMAIN == ".example.com"
    assert app_settings.COOKIE_PATH == "/app/"
    # HttpOnly does not follow: no script ever needs the token.
    assert app_settings.COOKIE_HTTPONLY is True


def test_own_cookie_settings_win(settings):
    settings.SESSION_COOKIE_SECURE = False
    settings.REMEMBERME_COOKIE_SECURE = True
    settings.REMEMBERME_COOKIE_SAMESITE = False
    assert app_settings.COOKIE_SECURE is True
    assert app_settings.COOKIE_SAMESITE is None


def test_settings_are_read_on_access(settings):
    settings.REMEMBERME_COOKIE_NAME = "keep"
    assert app_settings.COOKIE_NAME == "keep"
    settings.REMEMBERME_COOKIE_NAME = "other"
    assert app_settings.COOKIE_NAME == "other"
