"""
The second factor (django-otp, django-two-factor-auth) across a restore.

A remember-me token proves a browser, not a second factor, so a restored
session is not OTP-verified: ``request.user.is_verified()`` is false. With
``REMEMBERME_TRUST_SECOND_FACTOR = True`` the token also keeps the device
that verified the session it was issued in, and a restore marks the new
session verified with it ("trust this browser"), as long as that device
still belongs to the user and is confirmed.

Either order of ``OTPMiddleware`` and ``RememberMeMiddleware`` works.
OTPMiddleware gives ``request.user`` its ``is_verified()``; when it runs
first, it never sees the user this middleware puts on the request (a
restored user, or the anonymous user of a session that just ended), and a
view that asks ``is_verified()`` would fail with AttributeError. So every
user put on the request here gets what OTPMiddleware would have given it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.apps import apps

from .conf import app_settings

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import RememberToken

__all__ = ["prepare_user", "restore_device", "verified_device"]

OTP_APP = "django_otp"


def verified_device(request: HttpRequest) -> str:
    """
    Return the persistent id of the django-otp device that verified this
    session, for a token to keep; ``""`` unless the second factor is
    trusted, django-otp installed and the session verified.
    """
    if not app_settings.TRUST_SECOND_FACTOR or not apps.is_installed(OTP_APP):
        return ""
    # Imported here: django-otp is optional.
    from django_otp import DEVICE_ID_SESSION_KEY

    value = request.session.get(DEVICE_ID_SESSION_KEY)
    return value if isinstance(value, str) else ""


def prepare_user(request: HttpRequest) -> None:
    """
    Give ``request.user`` the ``otp_device`` and ``is_verified()`` that
    ``OTPMiddleware`` gives it (not verified), if django-otp is installed.
    """
    if not apps.is_installed(OTP_APP):
        return
    from django_otp.middleware import is_verified

    user = request.user
    user.otp_device = None  # type: ignore[union-attr]
    user.is_verified = functools.partial(is_verified, user)  # type: ignore[union-attr]


def restore_device(request: HttpRequest, token: RememberToken) -> None:
    """
    After a restore, make ``request.user`` OTP-aware and, if the second
    factor is trusted and the token keeps a device that still stands,
    verified with that device.
    """
    if not apps.is_installed(OTP_APP):
        return
    prepare_user(request)
    if not app_settings.TRUST_SECOND_FACTOR or not token.second_factor_device:
        return
    import django_otp
    from django_otp.models import Device

    device = Device.from_persistent_id(token.second_factor_device)
    user = request.user
    if device is None or device.user_id != user.pk or not device.confirmed:
        return
    django_otp.login(request, device)
