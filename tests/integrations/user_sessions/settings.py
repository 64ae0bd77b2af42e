"""Settings for the django-user-sessions integration suite: it replaces django.contrib.sessions."""

from __future__ import annotations

import warnings

# django-user-sessions 2.0 reads its version through pkg_resources, which
# warns that it is deprecated (and warnings are errors here): load it once,
# quietly, before Django imports the app.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    import pkg_resources  # noqa: F401

from tests.support.settings import *  # noqa: F403

# Its sessions app in place of Django's. No admin: its check (admin.E410)
# asks for Django's own SessionMiddleware, which this site replaces.
INSTALLED_APPS = [
    "user_sessions" if app == "django.contrib.sessions" else app
    for app in INSTALLED_APPS  # noqa: F405
    if app != "django.contrib.admin"
]

# Its session store in place of Django's, everything else as in the suite.
MIDDLEWARE = [
    "user_sessions.middleware.SessionMiddleware"
    if path == "django.contrib.sessions.middleware.SessionMiddleware"
    else path
    for path in MIDDLEWARE  # noqa: F405
]

SESSION_ENGINE = "user_sessions.backends.db"

ROOT_URLCONF = "tests.integrations.user_sessions.urls"

LOGOUT_REDIRECT_URL = "/whoami/"
