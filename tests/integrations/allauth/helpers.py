"""Helpers of the allauth integration suite."""

from __future__ import annotations

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
)
from django.test import Client

from tests.helpers import PASSWORD


def totp_code(secret: str) -> str:
    """Return the code an authenticator app shows now for ``secret``."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def allauth_login(client: Client, *, remember: bool, username: str = "alice"):
    """Post allauth's login form; return the response."""
    data = {"login": username, "password": PASSWORD}
    if remember:
        data["remember"] = "on"
    return client.post("/accounts/login/", data)
