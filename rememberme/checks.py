"""
System checks: misconfiguration is reported by ``manage.py check``, never by
a crash at request time. The values of the settings are checked in
``settings_checks``; the installation, the cookie, the other apps and the
deployment here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from .internal.conf import app_settings
from .internal.settings_checks import check_settings

# check_settings is at home in settings_checks and named here too, beside
# the checks of the installation, the cookie and the other apps.
__all__ = [
    "check_cookie",
    "check_deployment",
    "check_device_binding",
    "check_installation",
    "check_login_url",
    "check_second_factor",
    "check_settings",
    "register",
]

MIDDLEWARE_PATH = "rememberme.middleware.RememberMeMiddleware"
AUTH_MIDDLEWARE_PATH = "django.contrib.auth.middleware.AuthenticationMiddleware"
SESSION_MIDDLEWARE_PATH = "django.contrib.sessions.middleware.SessionMiddleware"
# django-user-sessions replaces django.contrib.sessions, app and middleware.
USER_SESSIONS_MIDDLEWARE_PATH = "user_sessions.middleware.SessionMiddleware"


def register() -> None:
    checks.register(check_installation, checks.Tags.security)
    checks.register(check_settings, checks.Tags.security)
    checks.register(check_cookie, checks.Tags.security)
    checks.register(check_second_factor, checks.Tags.security, checks.Tags.urls)
    checks.register(check_login_url, checks.Tags.urls)
    checks.register(check_deployment, checks.Tags.security, deploy=True)
    checks.register(check_device_binding, checks.Tags.security, checks.Tags.urls)


def _middleware_index(path: str) -> int | None:
    """Return the position in MIDDLEWARE of ``path`` or a subclass of it."""
    try:
        target = import_string(path)
    except ImportError:
        return None
    for index, entry in enumerate(settings.MIDDLEWARE):
        try:
            candidate = import_string(entry)
        except ImportError:
            continue
        if isinstance(candidate, type) and issubclass(candidate, target):
            return index
    return None


def check_installation(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    ours = _middleware_index(MIDDLEWARE_PATH)
    auth = _middleware_index(AUTH_MIDDLEWARE_PATH)
    session = _middleware_index(SESSION_MIDDLEWARE_PATH)
    if session is None and "user_sessions" in settings.INSTALLED_APPS:
        session = _middleware_index(USER_SESSIONS_MIDDLEWARE_PATH)
    sessions_app = {"django.contrib.sessions", "user_sessions"} & set(settings.INSTALLED_APPS)
    if not sessions_app or session is None:
        errors.append(
            checks.Error(
                "django-rememberme needs Django's sessions.",
                hint=(
                    f"Add 'django.contrib.sessions' to INSTALLED_APPS and "
                    f"'{SESSION_MIDDLEWARE_PATH}' to MIDDLEWARE."
                ),
                id="rememberme.E001",
            )
        )
    if ours is None:
        errors.append(
            checks.Error(
                f"'{MIDDLEWARE_PATH}' is not in MIDDLEWARE, so no session is ever "
                "restored and no remember-me cookie is written.",
                hint=f"Add '{MIDDLEWARE_PATH}' to MIDDLEWARE after '{AUTH_MIDDLEWARE_PATH}'.",
                id="rememberme.E002",
            )
        )
    elif auth is None or ours < auth:
        errors.append(
            checks.Error(
                f"'{MIDDLEWARE_PATH}' must come after '{AUTH_MIDDLEWARE_PATH}' in MIDDLEWARE.",
                hint=f"Move '{MIDDLEWARE_PATH}' below '{AUTH_MIDDLEWARE_PATH}'.",
                id="rememberme.E003",
            )
        )
    return errors


def check_cookie(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    name = app_settings.COOKIE_NAME
    if name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
        errors.append(
            checks.Error(
                f"REMEMBERME_COOKIE_NAME {name!r} is also the name of the session or CSRF "
                "cookie; the cookies would overwrite each other.",
                hint="Give the remember-me cookie a name of its own (the default is "
                "'rememberme').",
                id="rememberme.E009",
            )
        )
    samesite = app_settings.COOKIE_SAMESITE
    if samesite is not None and samesite.lower() not in ("lax", "strict", "none"):
        errors.append(
            checks.Error(
                f"REMEMBERME_COOKIE_SAMESITE is {samesite!r}.",
                hint="Use 'Lax' (the default), 'Strict', 'None' or False.",
                id="rememberme.E010",
            )
        )
    elif samesite is not None and samesite.lower() == "none" and not app_settings.COOKIE_SECURE:
        errors.append(
            checks.Error(
                "REMEMBERME_COOKIE_SAMESITE = 'None' needs a Secure cookie; browsers drop it "
                "otherwise.",
                hint="Set REMEMBERME_COOKIE_SECURE = True (or SESSION_COOKIE_SECURE = True).",
                id="rememberme.E011",
            )
        )
    # Cookie prefixes, RFC 6265bis section 4.1.3: browsers refuse a
    # "__Secure-" cookie without Secure, and a "__Host-" cookie unless it is
    # also host-only (no Domain) with Path=/.
    if name.startswith(("__Secure-", "__Host-")) and not app_settings.COOKIE_SECURE:
        errors.append(
            checks.Error(
                f"The cookie name {name!r} requires a Secure cookie.",
                hint="Set REMEMBERME_COOKIE_SECURE = True (or SESSION_COOKIE_SECURE = True).",
                id="rememberme.E012",
            )
        )
    if name.startswith("__Host-") and (
        app_settings.COOKIE_DOMAIN is not None or app_settings.COOKIE_PATH != "/"
    ):
        errors.append(
            checks.Error(
                f"The cookie name {name!r} requires no domain and the path '/'.",
                hint="Set REMEMBERME_COOKIE_DOMAIN = None and REMEMBERME_COOKIE_PATH = '/'.",
                id="rememberme.E013",
            )
        )
    if not app_settings.COOKIE_HTTPONLY:
        errors.append(
            checks.Warning(
                "REMEMBERME_COOKIE_HTTPONLY is False: any script on the site (an XSS "
                "included) can read the remember-me token.",
                hint="Remove REMEMBERME_COOKIE_HTTPONLY; no script needs the token.",
                id="rememberme.W002",
            )
        )
    return errors


#: Apps that add a second factor to their own login, which the bundled
#: password-only login would skip.
SECOND_FACTOR_APPS = ("allauth.mfa", "django_otp", "two_factor")


def _login_view_mounted() -> bool:
    try:
        reverse("rememberme:login")
    except (NoReverseMatch, ImportError, ImproperlyConfigured):
        # Not mounted, or a URLconf that Django's own checks report.
        return False
    return True


def check_second_factor(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    installed = [name for name in SECOND_FACTOR_APPS if apps.is_installed(name)]
    if installed and app_settings.LOGIN_VIEW and _login_view_mounted():
        names = ", ".join(f"'{name}'" for name in installed)
        errors.append(
            checks.Error(
                f"The bundled login 'rememberme:login' signs users in with a password "
                f"alone, next to {names}: users who set up a second factor skip it there.",
                hint="Set REMEMBERME_LOGIN_VIEW = False (rememberme.urls then leaves the "
                "login out and keeps its other pages), and sign in through that app's own "
                "login, calling rememberme.login() or rememberme.remember() from it.",
                id="rememberme.E017",
            )
        )
    if app_settings.TRUST_SECOND_FACTOR and not apps.is_installed("django_otp"):
        errors.append(
            checks.Warning(
                "REMEMBERME_TRUST_SECOND_FACTOR is True, but django-otp is not installed: "
                "there is no verified device to remember.",
                hint="Remove the setting, or add 'django_otp' to INSTALLED_APPS.",
                id="rememberme.W004",
            )
        )
    return errors


def check_login_url(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
    if app_settings.LOGIN_VIEW or settings.LOGIN_URL != "rememberme:login":
        return []
    return [
        checks.Warning(
            "LOGIN_URL is 'rememberme:login', which REMEMBERME_LOGIN_VIEW = False removes: "
            "login_required would fail with NoReverseMatch.",
            hint="Set LOGIN_URL to the login the site uses now (e.g. 'two_factor:login').",
            id="rememberme.W005",
        )
    ]


def check_deployment(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
    if settings.DEBUG or app_settings.COOKIE_SECURE:
        return []
    return [
        checks.Warning(
            "The remember-me cookie is not Secure, so it is sent over plain HTTP, where "
            "anyone on the network can copy it and sign in for weeks.",
            hint="Serve the site over HTTPS and set SESSION_COOKIE_SECURE = True (the "
            "remember-me cookie follows it) or REMEMBERME_COOKIE_SECURE = True.",
            id="rememberme.W003",
        )
    ]


def check_device_binding(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
    """Check what ``REMEMBERME_DEVICE_BINDING`` needs: the library, the endpoints, HTTPS."""
    if not app_settings.DEVICE_BINDING:
        return []
    from .internal import dbsc_proof

    errors: list[Any] = []
    if not dbsc_proof.available():
        errors.append(
            checks.Error(
                "REMEMBERME_DEVICE_BINDING is True, but the 'cryptography' package that "
                "checks the devices' signatures is not installed.",
                hint="Install django-rememberme[dbsc] (or cryptography).",
                id="rememberme.E020",
            )
        )
    try:
        reverse("rememberme:dbsc_registration")
        reverse("rememberme:dbsc_refresh")
    except (NoReverseMatch, ImportError, ImproperlyConfigured):
        errors.append(
            checks.Error(
                "REMEMBERME_DEVICE_BINDING is True, but the device-binding endpoints "
                "'rememberme:dbsc_registration' and 'rememberme:dbsc_refresh' are not mounted.",
                hint='Include rememberme.urls: path("accounts/", include("rememberme.urls")).',
                id="rememberme.E021",
            )
        )
    if not settings.DEBUG and not app_settings.COOKIE_SECURE:
        errors.append(
            checks.Warning(
                "REMEMBERME_DEVICE_BINDING is True, but the remember-me cookie is not "
                "Secure: browsers bind sessions only over HTTPS (or on localhost).",
                hint="Serve the site over HTTPS and set SESSION_COOKIE_SECURE = True (or "
                "REMEMBERME_COOKIE_SECURE = True).",
                id="rememberme.W006",
            )
        )
    return errors
