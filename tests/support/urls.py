from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from tests.support.views import touch_session, whoami

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("rememberme.urls")),
    path("whoami/", whoami, name="whoami"),
    path("session/", touch_session, name="touch-session"),
]
