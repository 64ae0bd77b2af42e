"""Settings for the django-allauth integration suite (allauth 65 with MFA and user sessions)."""

from __future__ import annotations

from tests.support.settings import *  # noqa: F403

INSTALLED_APPS = [
    *INSTALLED_APPS,  # noqa: F405
    # allauth.usersessions' list template uses it.
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.headless",
    # The whole integration: one line, after allauth.
    "rememberme.contrib.allauth",
]

MIDDLEWARE = [*MIDDLEWARE, "allauth.account.middleware.AccountMiddleware"]  # noqa: F405

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
# allauth.headless serves both kinds of client: browsers (a single-page app
# on cookies) and apps (X-Session-Token).
HEADLESS_CLIENTS = ("browser", "app")
