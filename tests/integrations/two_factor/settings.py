"""django-two-factor-auth's login wizard with "Remember me", the bundled login left out."""

from __future__ import annotations

from tests.support.settings import *  # noqa: F403

INSTALLED_APPS = [
    *INSTALLED_APPS,  # noqa: F405
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "two_factor",
]

MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405 (a copy: the suite's list stays as it is)
MIDDLEWARE.insert(
    MIDDLEWARE.index("rememberme.middleware.RememberMeMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)

ROOT_URLCONF = "tests.integrations.two_factor.urls"
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "/state/"
# What docs/howto/two-factor.rst tells: the bundled password-only login would
# skip the second factor (rememberme.E017).
REMEMBERME_LOGIN_VIEW = False
