"""System checks: every misconfiguration has an id and a hint."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from rememberme import checks
from rememberme.middleware import RememberMeMiddleware

OURS = "rememberme.middleware.RememberMeMiddleware"
AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
SESSION = "django.contrib.sessions.middleware.SessionMiddleware"


class SubclassedMiddleware(RememberMeMiddleware):
    pass


def ids(results) -> list[str]:
    return [r.id for r in results]


def run_all(deploy: bool = False) -> list[str]:
    found = checks.check_installation() + checks.check_settings() + checks.check_cookie()
    if deploy:
        found += checks.check_deployment()
    return ids(found)


def test_default_configuration_is_clean():
    assert run_all(deploy=False) == []


def test_every_problem_has_a_hint(settings):
    settings.MIDDLEWARE = []
    settings.REMEMBERME_COOKIE_NAME = "sessionid"
    settings.REMEMBERME_ROTATION_GRACE = datetime.timedelta(days=30)
    settings.REMEMBERME_COOKIE_HTTPONLY = False
    found = checks.check_installation() + checks.check_settings() + checks.check_cookie()
    assert len(found) >= 4
    assert all(result.hint for result in found)


def test_middleware_missing(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != OURS]
    assert "rememberme.E002" in run_all()


def test_middleware_before_authentication(settings):
    rest = [m for m in settings.MIDDLEWARE if m not in (OURS, AUTH)]
    settings.MIDDLEWARE = [*rest, OURS, AUTH]
    assert "rememberme.E003" in run_all()


def test_authentication_middleware_missing(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != AUTH]
    assert "rememberme.E003" in run_all()


def test_subclass_counts_as_the_middleware(settings):
    settings.MIDDLEWARE = [
        SESSION,
        AUTH,
        "tests.test_checks.SubclassedMiddleware",
    ]
    assert run_all() == []


def test_sessions_missing(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != SESSION]
    assert "rememberme.E001" in run_all()
    settings.INSTALLED_APPS = [
        a for a in settings.INSTALLED_APPS if a != "django.contrib.sessions"
    ]
    assert "rememberme.E001" in run_all()


@pytest.mark.parametrize("name", ["sessionid", "csrftoken"])
def test_cookie_name_clash(settings, name):
    settings.REMEMBERME_COOKIE_NAME = name
    assert "rememberme.E009" in run_all()


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("REMEMBERME_TOKEN_AGE", "14 days", "rememberme.E004"),
        ("REMEMBERME_SESSION_AGE", 1.5, "rememberme.E004"),
        ("REMEMBERME_TOKEN_AGE", 0, "rememberme.E005"),
        ("REMEMBERME_ROTATION_GRACE", datetime.timedelta(days=14), "rememberme.E006"),
        ("REMEMBERME_ROTATION_GRACE", -1, "rememberme.E006"),
        ("REMEMBERME_REVALIDATE_INTERVAL", -5, "rememberme.E007"),
        ("REMEMBERME_TOKEN_MAX_AGE", datetime.timedelta(days=1), "rememberme.W001"),
        ("REMEMBERME_ARGON2_PARAMS", [1, 2], "rememberme.E008"),
        ("REMEMBERME_ARGON2_PARAMS", {"salt_len": 4}, "rememberme.E008"),
        ("REMEMBERME_ARGON2_PARAMS", {"memory_cost": 1}, "rememberme.E008"),
        ("REMEMBERME_ARGON2_PARAMS", {"time_cost": "1"}, "rememberme.E008"),
        ("REMEMBERME_COOKIE_SAMESITE", "Sometimes", "rememberme.E010"),
        ("REMEMBERME_COOKIE_SAMESITE", "None", "rememberme.E011"),
        ("REMEMBERME_COOKIE_NAME", "__Secure-remember", "rememberme.E012"),
        ("REMEMBERME_COOKIE_NAME", "__Host-remember", "rememberme.E012"),
        ("REMEMBERME_COOKIE_HTTPONLY", False, "rememberme.W002"),
    ],
)
def test_bad_settings(settings, setting, value, expected):
    setattr(settings, setting, value)
    assert expected in run_all()


def test_grace_equal_to_token_age_is_refused(settings):
    settings.REMEMBERME_TOKEN_AGE = 60
    settings.REMEMBERME_ROTATION_GRACE = 60
    assert "rememberme.E006" in run_all()


def test_host_prefix_needs_root_path_and_no_domain(settings):
    settings.REMEMBERME_COOKIE_NAME = "__Host-remember"
    settings.REMEMBERME_COOKIE_SECURE = True
    assert run_all() == []
    settings.REMEMBERME_COOKIE_DOMAIN = "example.com"
    assert "rememberme.E013" in run_all()
    settings.REMEMBERME_COOKIE_DOMAIN = None
    settings.REMEMBERME_COOKIE_PATH = "/app/"
    assert "rememberme.E013" in run_all()


def test_insecure_cookie_is_a_deployment_warning(settings):
    settings.DEBUG = False
    assert "rememberme.W003" in run_all(deploy=True)
    settings.SESSION_COOKIE_SECURE = True
    assert "rememberme.W003" not in run_all(deploy=True)
    settings.SESSION_COOKIE_SECURE = False
    settings.DEBUG = True
    assert "rememberme.W003" not in run_all(deploy=True)


@pytest.mark.django_db
def test_deployment_check_runs_with_check_deploy_only(settings):
    settings.DEBUG = False
    out = StringIO()
    call_command("check", stdout=out)
    assert "rememberme.W003" not in out.getvalue()
    with pytest.raises(SystemCheckError) as excinfo:
        call_command("check", "--deploy", "--fail-level", "WARNING", stdout=out, stderr=out)
    assert "rememberme.W003" in str(excinfo.value)


@pytest.mark.django_db
def test_errors_stop_management_commands(settings):
    settings.REMEMBERME_COOKIE_NAME = "sessionid"
    with pytest.raises(SystemCheckError, match=r"rememberme\.E009"):
        call_command("check", stdout=StringIO())


def test_bundled_login_next_to_a_second_factor_app(settings, monkeypatch):
    # Any installed app stands in for django_otp here; the integration
    # suites (tests/integrations/) run this check with the real apps.
    monkeypatch.setattr(checks, "SECOND_FACTOR_APPS", ("allauth.mfa", "django.contrib.admin"))
    found = checks.check_second_factor()
    assert ids(found) == ["rememberme.E017"]
    assert "'django.contrib.admin'" in found[0].msg
    assert "REMEMBERME_LOGIN_VIEW = False" in found[0].hint

    settings.REMEMBERME_LOGIN_VIEW = False
    assert checks.check_second_factor() == []


def test_bundled_login_not_mounted(settings, monkeypatch):
    monkeypatch.setattr(checks, "SECOND_FACTOR_APPS", ("django.contrib.admin",))
    settings.ROOT_URLCONF = "tests.test_urls"  # rememberme.urls not included
    assert checks.check_second_factor() == []


def test_no_second_factor_app_no_error():
    assert checks.check_second_factor() == []


def test_trusting_a_second_factor_without_django_otp(settings):
    settings.REMEMBERME_TRUST_SECOND_FACTOR = True
    assert ids(checks.check_second_factor()) == ["rememberme.W004"]


def test_second_factor_check_is_registered(settings, monkeypatch):
    monkeypatch.setattr(checks, "SECOND_FACTOR_APPS", ("django.contrib.admin",))
    with pytest.raises(SystemCheckError, match=r"rememberme\.E017"):
        call_command("check", stdout=StringIO(), stderr=StringIO())


def test_login_url_naming_a_removed_login(settings):
    settings.REMEMBERME_LOGIN_VIEW = False
    settings.LOGIN_URL = "rememberme:login"
    assert ids(checks.check_login_url()) == ["rememberme.W005"]
    settings.LOGIN_URL = "two_factor:login"
    assert checks.check_login_url() == []
    settings.REMEMBERME_LOGIN_VIEW = True
    settings.LOGIN_URL = "rememberme:login"
    assert checks.check_login_url() == []
