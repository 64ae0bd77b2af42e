"""Settings for the Django REST framework integration suite (session authentication)."""

from __future__ import annotations

from tests.support.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework"]  # noqa: F405

ROOT_URLCONF = "tests.integrations.drf.urls"


# As docs/howto/snippets/drf_login.py says.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
}
