"""Minimal settings for the test suite.

SQLite in memory by default; PostgreSQL when REMEMBERME_TEST_POSTGRES is set
(127.0.0.1:5432, user postgres, or the REMEMBERME_TEST_PG_* overrides).
"""

from __future__ import annotations

import os
from typing import Any

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rememberme",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rememberme.middleware.RememberMeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.support.urls"

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

if os.environ.get("REMEMBERME_TEST_POSTGRES"):
    DATABASES: dict[str, dict[str, Any]] = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("REMEMBERME_TEST_PG_NAME", "rememberme"),
            "USER": os.environ.get("REMEMBERME_TEST_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("REMEMBERME_TEST_PG_PASSWORD", ""),
            "HOST": os.environ.get("REMEMBERME_TEST_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("REMEMBERME_TEST_PG_PORT", "5432"),
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

# Fast password hashing: the tests are about tokens, not passwords.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

STATIC_URL = "/static/"
LOGIN_URL = "rememberme:login"
LOGIN_REDIRECT_URL = "/whoami/"
USE_I18N = True

# A second database for the read replica tests (tests/test_replica*.py,
# which route to it with tests.support.replica_router): a separate database that
# the tests fill with stale rows or, with REMEMBERME_TEST_PG_REPLICA_PORT,
# the streaming standby of the PostgreSQL server (.ci/replica.sh), which
# shows the test database once it has replayed its creation. As a MIRROR
# Django only gives it the test database's NAME: it keeps its own port.
if os.environ.get("REMEMBERME_TEST_POSTGRES") and os.environ.get(
    "REMEMBERME_TEST_PG_REPLICA_PORT"
):
    DATABASES["replica"] = {
        **DATABASES["default"],
        "PORT": os.environ["REMEMBERME_TEST_PG_REPLICA_PORT"],
        "TEST": {"MIRROR": "default"},
    }
else:
    DATABASES["replica"] = {**DATABASES["default"]}
    if DATABASES["default"]["NAME"] != ":memory:":
        DATABASES["replica"]["NAME"] = f"{DATABASES['default']['NAME']}_replica"

# Behind PgBouncer in transaction pooling mode (.ci/pgbouncer.sh), named
# cursors cannot outlive a transaction (Django's "Transaction pooling and
# server-side cursors").
if os.environ.get("REMEMBERME_TEST_PG_TRANSACTION_POOLING"):
    for _alias in DATABASES.values():
        _alias["DISABLE_SERVER_SIDE_CURSORS"] = True

# Django 6.1 sends mail through MAILERS (EMAIL_BACKEND is deprecated there)
# and warns when none is configured; older versions ignore this setting. The
# test environment replaces either with the in-memory backend.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
