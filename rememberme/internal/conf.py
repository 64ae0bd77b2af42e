"""
Settings for django-rememberme, read from ``django.conf.settings`` on access.

Nothing is read at import time, and every default lives in this one file.
Values read are remembered until Django's ``setting_changed`` signal (sent by
``override_settings`` and pytest-django's ``settings`` fixture) says
otherwise: a setting that is not set costs Django a raised and caught
``AttributeError`` per read, and the middleware reads some on every request.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

__all__ = ["DEFAULT_POLICY", "NOTIFY_EVENTS", "app_settings", "to_timedelta"]

DEFAULT_POLICY = "rememberme.policy.RememberMePolicy"

#: What ``REMEMBERME_NOTIFY_EMAIL`` may hold: the events users are told of.
NOTIFY_EVENTS = ("theft", "new_browser")

# The defaults of the settings that the system checks validate as the
# project wrote them (see Settings.configured()).
_RAW_DEFAULTS: dict[str, Any] = {
    "REMEMBERME_POLICY": DEFAULT_POLICY,
    "REMEMBERME_PERSISTENT_SESSION_KEYS": (),
    "REMEMBERME_ARGON2_PARAMS": {},
}


def to_timedelta(value: Any, name: str, *, allow_none: bool = False) -> datetime.timedelta | None:
    """
    Return ``value`` (a ``timedelta`` or an ``int`` of seconds) as a
    ``timedelta``; raise ``ImproperlyConfigured`` naming ``name`` otherwise.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, datetime.timedelta):
        return value
    # bool is an int subclass; True seconds is certainly a mistake.
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.timedelta(seconds=value)
    allowed = "a datetime.timedelta, an int of seconds" + (" or None" if allow_none else "")
    raise ImproperlyConfigured(f"{name} must be {allowed}, not {value!r}.")


_MISSING = object()
_cache: dict[str, Any] = {}


def _read(name: str, default: Any) -> Any:
    value = _cache.get(name, _MISSING)
    if value is _MISSING:
        value = _cache[name] = getattr(django_settings, name, default)
    return value


def _forget_cached_settings(**kwargs: Any) -> None:
    # Any setting may be a default here (the cookie attributes follow
    # SESSION_COOKIE_*), so any change clears everything.
    _cache.clear()


setting_changed.connect(_forget_cached_settings, dispatch_uid="rememberme.internal.conf")


def _required(value: datetime.timedelta | None) -> datetime.timedelta:
    assert value is not None
    return value


class Settings:
    """Typed, lazily read ``REMEMBERME_*`` settings."""

    def configured(self, name: str) -> Any:
        """Return setting ``name`` as the project wrote it, or its default (for checks)."""
        return _read(name, _RAW_DEFAULTS[name])

    @property
    def COOKIE_NAME(self) -> str:
        return str(_read("REMEMBERME_COOKIE_NAME", "rememberme"))

    @property
    def TOKEN_AGE(self) -> datetime.timedelta:
        value = _read("REMEMBERME_TOKEN_AGE", datetime.timedelta(days=14))
        return _required(to_timedelta(value, "REMEMBERME_TOKEN_AGE"))

    @property
    def TOKEN_MAX_AGE(self) -> datetime.timedelta | None:
        value = _read("REMEMBERME_TOKEN_MAX_AGE", datetime.timedelta(days=30))
        return to_timedelta(value, "REMEMBERME_TOKEN_MAX_AGE", allow_none=True)

    @property
    def SESSION_AGE(self) -> datetime.timedelta | None:
        # Why an hour: see docs/settings.rst, REMEMBERME_SESSION_AGE.
        value = _read("REMEMBERME_SESSION_AGE", datetime.timedelta(hours=1))
        return to_timedelta(value, "REMEMBERME_SESSION_AGE", allow_none=True)

    @property
    def UNREMEMBERED_SESSION_AGE(self) -> datetime.timedelta | None:
        value = _read("REMEMBERME_UNREMEMBERED_SESSION_AGE", 0)
        return to_timedelta(value, "REMEMBERME_UNREMEMBERED_SESSION_AGE", allow_none=True)

    @property
    def ROTATION_GRACE(self) -> datetime.timedelta:
        # Why 30 seconds: see docs/security.rst, "The grace window".
        value = _read("REMEMBERME_ROTATION_GRACE", 30)
        return _required(to_timedelta(value, "REMEMBERME_ROTATION_GRACE"))

    @property
    def REVALIDATE_INTERVAL(self) -> datetime.timedelta:
        # Why 5 minutes: see docs/security.rst, "Revocation reaches live sessions".
        value = _read("REMEMBERME_REVALIDATE_INTERVAL", 300)
        return _required(to_timedelta(value, "REMEMBERME_REVALIDATE_INTERVAL"))

    @property
    def POLICY(self) -> str:
        # Per-user rules; see rememberme/policy.py.
        return str(self.configured("REMEMBERME_POLICY"))

    @property
    def PERSISTENT_SESSION_KEYS(self) -> tuple[str, ...]:
        return tuple(self.configured("REMEMBERME_PERSISTENT_SESSION_KEYS"))

    @staticmethod
    def _session_cookie_follower(attribute: str) -> Any:
        # REMEMBERME_COOKIE_<attribute>, by default SESSION_COOKIE_<attribute>.
        default = getattr(django_settings, f"SESSION_COOKIE_{attribute}")
        return _read(f"REMEMBERME_COOKIE_{attribute}", default)

    @property
    def NOTIFY_EMAIL(self) -> tuple[str, ...]:
        # Opt-in e-mails to the user, any of NOTIFY_EVENTS; checks.py reports
        # unknown names, notifications.py sends them.
        value = _read("REMEMBERME_NOTIFY_EMAIL", ())
        if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
            raise ImproperlyConfigured(
                f"REMEMBERME_NOTIFY_EMAIL must be a list or tuple of event names, not {value!r}."
            )
        return tuple(value)

    @property
    def COOKIE_SECURE(self) -> bool:
        return bool(self._session_cookie_follower("SECURE"))

    @property
    def COOKIE_HTTPONLY(self) -> bool:
        # Unlike the others this does not follow SESSION_COOKIE_HTTPONLY: no
        # script ever needs to read the token, so it is always on by default.
        return bool(_read("REMEMBERME_COOKIE_HTTPONLY", True))

    @property
    def COOKIE_SAMESITE(self) -> str | None:
        value = self._session_cookie_follower("SAMESITE")
        return None if value in (None, False) else str(value)

    @property
    def COOKIE_DOMAIN(self) -> str | None:
        value = self._session_cookie_follower("DOMAIN")
        return None if value is None else str(value)

    @property
    def COOKIE_PATH(self) -> str:
        return str(self._session_cookie_follower("PATH"))

    @property
    def LOGIN_VIEW(self) -> bool:
        # Whether rememberme.urls mounts the bundled password-only login.
        return bool(_read("REMEMBERME_LOGIN_VIEW", True))

    @property
    def REAUTHENTICATE_URL(self) -> str:
        # A URL name or path, passed to resolve_url() when needed.
        return str(_read("REMEMBERME_REAUTHENTICATE_URL", "rememberme:reauthenticate"))

    @property
    def TRUST_SECOND_FACTOR(self) -> bool:
        # Off by default: a token proves a browser, not a second factor.
        return bool(_read("REMEMBERME_TRUST_SECOND_FACTOR", False))

    @property
    def DEVICE_BINDING(self) -> bool:
        # Off by default: it needs the dbsc extra and HTTPS; see dbsc.py.
        return bool(_read("REMEMBERME_DEVICE_BINDING", False))

    @property
    def MAX_TOKENS_PER_USER(self) -> int | None:
        # Why 10: more browsers than anyone uses, few enough that a list of
        # them stays readable; see docs/settings.rst.
        value = _read("REMEMBERME_MAX_TOKENS_PER_USER", 10)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ImproperlyConfigured(
                f"REMEMBERME_MAX_TOKENS_PER_USER must be a positive int or None, not {value!r}."
            )
        return value

    @property
    def ARGON2_PARAMS(self) -> dict[str, int]:
        # argon2-cffi's floor (one pass over 8 KiB, one lane): a verifier is
        # 256 random bits, which no hash rate can search, so stretching buys
        # nothing (the arithmetic is in docs/security.rst, the measurements
        # in docs/performance.rst).
        params = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
        params.update(self.configured("REMEMBERME_ARGON2_PARAMS"))
        return params


app_settings = Settings()
