"""Settings of the demo site: django-rememberme installed as the README says."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "demo-only-do-not-deploy"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rememberme",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rememberme.middleware.RememberMeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "demo.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The demo's own rememberme/base.html (it extends the bundled one) puts
        # the state of the session in every page's header.
        "DIRS": [BASE_DIR / "demo" / "overrides"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "demo.context.session_state",
            ]
        },
    }
]

WSGI_APPLICATION = "demo.wsgi.application"
ASGI_APPLICATION = "demo.asgi.application"

# DEMO_DATABASE: another SQLite file (example/screenshots.py uses a throwaway one).
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DATABASE", BASE_DIR / "db.sqlite3"),
    }
}

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = True
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "rememberme:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Short sessions make the remember-me restore easy to see: every session
# ends when the browser closes (its cookie has no expiry) and, on the
# server, ten minutes after it was last saved; the token keeps you signed
# in for days.
REMEMBERME_SESSION_AGE = 0
SESSION_COOKIE_AGE = 600
REMEMBERME_TOKEN_AGE = timedelta(days=14)
REMEMBERME_PERSISTENT_SESSION_KEYS = ("theme",)
# A revocation ends the session at once (database sessions are deleted);
# with signed-cookie sessions it would take up to this many seconds.
REMEMBERME_REVALIDATE_INTERVAL = 10
# Mails (theft, a new browser) are printed in the server's console.
REMEMBERME_NOTIFY_EMAIL = ("theft", "new_browser")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Keep the token cookie out of every error report (see docs/threat-model.rst).
DEFAULT_EXCEPTION_REPORTER_FILTER = "rememberme.debug.RememberMeExceptionReporterFilter"

# disable_existing_loggers=False keeps Django's own loggers, among them
# django.server, which prints runserver's request lines.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"rememberme": {"handlers": ["console"], "level": "INFO"}},
}
