"""
An exception reporter filter that hides the remember-me cookie too.

Django's ``SafeExceptionReporterFilter`` hides the session cookie and the
cookies whose names look secret (``TOKEN``, ``KEY``, ...), but not
``rememberme``. Without this filter, the report of any server error on a
request from a remembered browser (mailed to ``ADMINS``, sent to an error
tracker, shown on the ``DEBUG`` page) carries that browser's working token
cookie. Use it with::

    DEFAULT_EXCEPTION_REPORTER_FILTER = (
        "rememberme.debug.RememberMeExceptionReporterFilter"
    )
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter

from .internal.conf import app_settings

__all__ = ["RememberMeExceptionReporterFilter"]


class RememberMeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's safe filter, with the remember-me cookie's value hidden."""

    def get_safe_cookies(self, request: HttpRequest) -> dict[str, Any]:
        cookies: dict[str, Any] = dict(super().get_safe_cookies(request))
        name = app_settings.COOKIE_NAME
        if name in cookies:
            cookies[name] = self.cleansed_substitute
        return cookies
