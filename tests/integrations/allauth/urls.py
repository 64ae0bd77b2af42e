from __future__ import annotations

from django.urls import include, path

from tests.support.views import cycle_session_key, whoami

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("remembered/", include("rememberme.urls")),
    path("whoami/", whoami, name="whoami"),
    path("cycle/", cycle_session_key),
]
