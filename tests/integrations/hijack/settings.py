"""Settings for the django-hijack integration suite (hijack 3, the bundled login)."""

from __future__ import annotations

from tests.support.settings import *  # noqa: F403

INSTALLED_APPS = [
    *INSTALLED_APPS,  # noqa: F405
    "hijack",
    # The whole integration: one line.
    "rememberme.contrib.hijack",
]

MIDDLEWARE = [*MIDDLEWARE, "hijack.middleware.HijackUserMiddleware"]  # noqa: F405

ROOT_URLCONF = "tests.integrations.hijack.urls"
