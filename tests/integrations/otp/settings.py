"""django-otp installed, its middleware placed before RememberMeMiddleware."""

from __future__ import annotations

from tests.support.settings import *  # noqa: F403

INSTALLED_APPS = [
    *INSTALLED_APPS,  # noqa: F405
    "django_otp",
    "django_otp.plugins.otp_totp",
]

# Both only say "after AuthenticationMiddleware": this order is the one that
# used to fail (tests swap it to check the other one too).
MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405 (a copy: the suite's list stays as it is)
MIDDLEWARE.insert(
    MIDDLEWARE.index("rememberme.middleware.RememberMeMiddleware"),
    "django_otp.middleware.OTPMiddleware",
)

ROOT_URLCONF = "tests.integrations.otp.urls"
LOGIN_URL = "otp-login"
