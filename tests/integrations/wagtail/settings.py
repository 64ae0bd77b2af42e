"""Settings for the Wagtail integration suite (Wagtail's admin login, logout and account page)."""

from __future__ import annotations

from tests.support.settings import *  # noqa: F403

INSTALLED_APPS = [
    "wagtail.users",
    "wagtail.images",
    "wagtail.documents",
    "wagtail.snippets",
    "wagtail.sites",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    *INSTALLED_APPS,  # noqa: F405
    "django.contrib.staticfiles",
    # The whole integration: one line.
    "rememberme.contrib.wagtail",
]

ROOT_URLCONF = "tests.integrations.wagtail.urls"

WAGTAIL_SITE_NAME = "rememberme tests"
WAGTAILADMIN_BASE_URL = "http://testserver"
# Wagtail's login is the site's: rememberme.urls keeps its other pages.
LOGIN_URL = "wagtailadmin_login"
REMEMBERME_LOGIN_VIEW = False
