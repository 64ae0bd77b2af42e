"""
System checks: misconfiguration is reported by ``manage.py check``, never by
a crash at request time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from .conf import DEFAULT_POLICY, NOTIFY_EVENTS, app_settings
from .policy import get_policy

__all__ = ["register"]

MIDDLEWARE_PATH = "rememberme.middleware.RememberMeMiddleware"
AUTH_MIDDLEWARE_PATH = "django.contrib.auth.middleware.AuthenticationMiddleware"
SESSION_MIDDLEWARE_PATH = "django.contrib.sessions.middleware.SessionMiddleware"
# django-user-sessions replaces django.contrib.sessions, app and middleware.
USER_SESSIONS_MIDDLEWARE_PATH = "user_sessions.middleware.SessionMiddleware"

_ARGON2_MINIMUMS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def register() -> None:
    checks.register(check_installation, checks.Tags.security)
    checks.register(check_settings, checks.Tags.security)
    checks.register(check_cookie, checks.Tags.security)
    checks.register(check_second_factor, checks.Tags.security, checks.Tags.urls)
    checks.register(check_login_url, checks.Tags.urls)
    checks.register(check_deployment, checks.Tags.security, deploy=True)


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


def check_settings(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
    errors: list[Any] = []
    try:
        token_age = app_settings.TOKEN_AGE
        max_age = app_settings.TOKEN_MAX_AGE
        grace = app_settings.ROTATION_GRACE
        interval = app_settings.REVALIDATE_INTERVAL
        for name in ("SESSION_AGE", "UNREMEMBERED_SESSION_AGE"):
            getattr(app_settings, name)
    except ImproperlyConfigured as exc:
        return [
            checks.Error(
                str(exc),
                hint="Durations are a datetime.timedelta or an int of seconds.",
                id="rememberme.E004",
            )
        ]
    if token_age.total_seconds() <= 0:
        errors.append(
            checks.Error(
                "REMEMBERME_TOKEN_AGE must be positive.",
                hint="Set it to how long an unused token stays valid, e.g. timedelta(days=14).",
                id="rememberme.E005",
            )
        )
    if grace.total_seconds() < 0 or grace >= token_age:
        errors.append(
            checks.Error(
                "REMEMBERME_ROTATION_GRACE must be zero or more and shorter than "
                "REMEMBERME_TOKEN_AGE.",
                hint="Keep the grace window to tens of seconds (the default is 30).",
                id="rememberme.E006",
            )
        )
    if interval.total_seconds() < 0:
        errors.append(
            checks.Error(
                "REMEMBERME_REVALIDATE_INTERVAL must not be negative.",
                hint="Use 0 to re-check the token on every request.",
                id="rememberme.E007",
            )
        )
    if max_age is not None and max_age < token_age:
        errors.append(
            checks.Warning(
                "REMEMBERME_TOKEN_MAX_AGE is shorter than REMEMBERME_TOKEN_AGE, so the "
                "idle lifetime never applies.",
                hint="Raise REMEMBERME_TOKEN_MAX_AGE, lower REMEMBERME_TOKEN_AGE, or set "
                "REMEMBERME_TOKEN_MAX_AGE = None for no absolute cap.",
                id="rememberme.W001",
            )
        )
    try:
        getattr(app_settings, "MAX_TOKENS_PER_USER")  # noqa: B009 (read to validate it)
    except ImproperlyConfigured as exc:
        errors.append(
            checks.Error(
                str(exc),
                hint="Use the most browsers a user may stay remembered in at once (the "
                "default is 10), or None for no limit.",
                id="rememberme.E014",
            )
        )
    errors.extend(_check_argon2_params())
    errors.extend(_check_policy())
    errors.extend(_check_persistent_keys())
    errors.extend(_check_notify_email())
    return errors


def _check_policy() -> list[Any]:
    path = app_settings.configured("REMEMBERME_POLICY")
    try:
        if not isinstance(path, str):
            raise TypeError("not a dotted path")
        get_policy()
    except (ImportError, TypeError) as exc:
        return [
            checks.Error(
                f"REMEMBERME_POLICY {path!r} cannot be used: {exc}.",
                hint=f"Name a subclass of {DEFAULT_POLICY} by its dotted path, "
                "e.g. 'myproject.policies.StaffPolicy'.",
                id="rememberme.E015",
            )
        ]
    return []


def _check_persistent_keys() -> list[Any]:
    keys = app_settings.configured("REMEMBERME_PERSISTENT_SESSION_KEYS")
    if isinstance(keys, (list, tuple)) and all(isinstance(key, str) for key in keys):
        return _check_proof_keys(keys)
    return [
        checks.Error(
            f"REMEMBERME_PERSISTENT_SESSION_KEYS must be a list or tuple of session keys, "
            f"not {keys!r}.",
            hint="For one key, write ('theme',) with the comma.",
            id="rememberme.E016",
        )
    ]


#: Session keys that record who signed in and what they proved: a restore
#: must start without them (the token proves a browser, not a person).
PROOF_KEYS = (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY, "otp_device_id")


def _check_proof_keys(keys: Sequence[str]) -> list[Any]:
    bad = [key for key in keys if key in PROOF_KEYS or key.startswith("_rememberme")]
    if not bad:
        return []
    return [
        checks.Error(
            f"REMEMBERME_PERSISTENT_SESSION_KEYS lists {', '.join(repr(key) for key in bad)}: "
            "a restored session would get back the signed-in user, a fresh login or a "
            "verified second factor that only a password or the device can prove.",
            hint="Remove these keys; REMEMBERME_TRUST_SECOND_FACTOR is the way to keep "
            "the second factor across a restore.",
            id="rememberme.E018",
        )
    ]


def _check_notify_email() -> list[Any]:
    try:
        events = app_settings.NOTIFY_EMAIL
    except ImproperlyConfigured as exc:
        unknown = [str(exc)]
    else:
        unknown = [
            f"REMEMBERME_NOTIFY_EMAIL has an unknown event {event!r}."
            for event in events
            if event not in NOTIFY_EVENTS
        ]
    return [
        checks.Error(
            message,
            hint=f"Use any of {', '.join(map(repr, NOTIFY_EVENTS))}; for one, write "
            "('theft',) with the comma.",
            id="rememberme.E025",
        )
        for message in unknown
    ]


def _check_argon2_params() -> list[Any]:
    params = app_settings.configured("REMEMBERME_ARGON2_PARAMS")
    if not isinstance(params, dict):
        return [
            checks.Error(
                "REMEMBERME_ARGON2_PARAMS must be a dict.",
                hint="For example {'time_cost': 1, 'memory_cost': 8, 'parallelism': 1}.",
                id="rememberme.E008",
            )
        ]
    errors: list[Any] = []
    for key, value in params.items():
        minimum = _ARGON2_MINIMUMS.get(key)
        if minimum is None:
            errors.append(
                checks.Error(
                    f"REMEMBERME_ARGON2_PARAMS has an unknown key {key!r}.",
                    hint="Only 'time_cost', 'memory_cost' and 'parallelism' can be set.",
                    id="rememberme.E008",
                )
            )
        elif not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            errors.append(
                checks.Error(
                    f"REMEMBERME_ARGON2_PARAMS[{key!r}] must be an int of at least {minimum}.",
                    hint="memory_cost is in KiB and must be at least 8 x parallelism.",
                    id="rememberme.E008",
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
