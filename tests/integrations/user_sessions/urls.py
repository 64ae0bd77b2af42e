from __future__ import annotations

from django.urls import include, path

from tests.support.views import cycle_session_key, whoami

urlpatterns = [
    path("accounts/", include("rememberme.urls")),
    path("", include("user_sessions.urls", "user_sessions")),
    path("whoami/", whoami, name="whoami"),
    path("cycle/", cycle_session_key),
]
