"""Settings for the django-user-sessions integration suite: it replaces django.contrib.sessions."""

from __future__ import annotations

import warnings

# django-user-sessions 2.0 reads its version through pkg_resources, which
# warns that it is deprecated (and warnings are errors here): load it once,
# quietly, before Django imports the app.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    import pkg_resources  # noqa: F401

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "user_sessions",
    "django.contrib.messages",
    "rememberme",
]

MIDDLEWARE = [
    "user_sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rememberme.middleware.RememberMeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

SESSION_ENGINE = "user_sessions.backends.db"

ROOT_URLCONF = "tests.integrations.user_sessions.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "/static/"
LOGIN_REDIRECT_URL = "/whoami/"
LOGIN_URL = "rememberme:login"
LOGOUT_REDIRECT_URL = "/whoami/"
