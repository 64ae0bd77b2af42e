from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tests.support.views import change_email, site_logout, touch_session, whoami

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("rememberme.urls")),
    path("whoami/", whoami, name="whoami"),
    path("session/", touch_session, name="touch-session"),
    path("django-logout/", auth_views.LogoutView.as_view(), name="django-logout"),
    path("site-logout/", site_logout, name="site-logout"),
    path("change-email/", change_email, name="change-email"),
]
