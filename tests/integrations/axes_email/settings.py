"""django-axes on a site whose users sign in with their e-mail address."""

from __future__ import annotations

from tests.integrations.axes.settings import *  # noqa: F403
from tests.integrations.axes.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.integrations.axes_email"]
AUTH_USER_MODEL = "axes_email.EmailUser"
# As django-axes documents for e-mail logins.
AXES_USERNAME_FORM_FIELD = "email"
