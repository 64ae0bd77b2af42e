"""rememberme.urls: REMEMBERME_LOGIN_VIEW = False leaves out the login, and only the login."""

from __future__ import annotations

import types

import pytest
from django.urls import NoReverseMatch, include, path, reverse

from tests.helpers import PASSWORD
from tests.support.views import whoami

pytestmark = pytest.mark.django_db

# A URLconf without rememberme.urls, for the checks' tests.
urlpatterns = [path("whoami/", whoami)]


def site_urlconf() -> types.ModuleType:
    """Return a URLconf that includes rememberme.urls as it is under the current settings."""
    module = types.ModuleType("site_urls")
    module.urlpatterns = [path("accounts/", include("rememberme.urls"))]  # type: ignore[attr-defined]
    return module


def test_the_login_is_mounted_by_default():
    urlconf = site_urlconf()
    assert reverse("rememberme:login", urlconf=urlconf) == "/accounts/login/"  # type: ignore[arg-type]


def test_login_view_false_drops_only_the_login(client, settings, user):
    settings.REMEMBERME_LOGIN_VIEW = False
    urlconf = site_urlconf()
    with pytest.raises(NoReverseMatch):
        reverse("rememberme:login", urlconf=urlconf)  # type: ignore[arg-type]
    for name in ("reauthenticate", "logout", "devices", "status"):
        path_ = reverse(f"rememberme:{name}", urlconf=urlconf)  # type: ignore[arg-type]
        assert path_.startswith("/accounts/")

    settings.ROOT_URLCONF = urlconf
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 404
    assert client.get("/accounts/status/").json()["authenticated"] is False
