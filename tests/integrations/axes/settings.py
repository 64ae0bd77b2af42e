"""django-axes installed, resetting failures on success, locking out by username."""

from __future__ import annotations

from tests.support.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "axes"]  # noqa: F405
MIDDLEWARE = [*MIDDLEWARE, "axes.middleware.AxesMiddleware"]  # noqa: F405
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AXES_FAILURE_LIMIT = 3
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_VERBOSE = False
