"""Settings for the django-hijack integration suite (hijack 3, the bundled login)."""

from __future__ import annotations

from tests.support.settings import *  # noqa: F403

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "hijack",
    "rememberme",
    # The whole integration: one line.
    "rememberme.contrib.hijack",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rememberme.middleware.RememberMeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "hijack.middleware.HijackUserMiddleware",
]

ROOT_URLCONF = "tests.integrations.hijack.urls"
