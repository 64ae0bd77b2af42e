"""Settings for the django-allauth integration suite (allauth 65 with MFA and user sessions)."""

from __future__ import annotations

from tests.support.settings import *  # noqa: F403

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # allauth.usersessions' list template uses it.
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "rememberme",
    # The whole integration: one line, after allauth.
    "rememberme.contrib.allauth",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "rememberme.middleware.RememberMeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

ROOT_URLCONF = "tests.integrations.allauth.urls"

# allauth's login, where Django sends people by default.
LOGIN_URL = "/accounts/login/"

ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_RATE_LIMITS = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Only allauth's login signs in here: rememberme.urls keeps its other pages.
REMEMBERME_LOGIN_VIEW = False
