from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path

from . import status, views
from .internal import dbsc_views, devices
from .internal.conf import app_settings

app_name = "rememberme"


def _urlpatterns() -> list[URLPattern]:
    patterns = [
        path("reauthenticate/", views.ReauthenticateView.as_view(), name="reauthenticate"),
        path("logout/", views.LogoutView.as_view(), name="logout"),
        path("devices/", devices.DevicesView.as_view(), name="devices"),
        path("status/", status.status, name="status"),
        # Device binding (REMEMBERME_DEVICE_BINDING); 404 while it is off.
        path("device/register/", dbsc_views.register, name="dbsc_registration"),
        path("device/refresh/", dbsc_views.refresh, name="dbsc_refresh"),
    ]
    if app_settings.LOGIN_VIEW:
        patterns.insert(0, path("login/", views.LoginView.as_view(), name="login"))
    return patterns


def __getattr__(name: str) -> Any:
    # urlpatterns is read when Django builds the URL resolver (the first
    # request, or manage.py check), not when this module is imported, so
    # REMEMBERME_LOGIN_VIEW is read then, like every other setting.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
