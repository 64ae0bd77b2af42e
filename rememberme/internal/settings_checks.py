"""
System checks of the settings' values: durations, the token cap, Argon2's
parameters, the policy, the persistent session keys and the e-mails.
Registered with the others by ``checks.register()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from ..policy import get_policy
from .conf import DEFAULT_POLICY, NOTIFY_EVENTS, app_settings

__all__ = ["PROOF_KEYS", "check_settings"]

_ARGON2_MINIMUMS = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


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
            id="rememberme.E019",
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
