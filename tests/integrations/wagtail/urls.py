from __future__ import annotations

from django.urls import include, path
from wagtail.admin import urls as wagtailadmin_urls

from tests.support.views import whoami

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("accounts/", include("rememberme.urls")),
    path("whoami/", whoami, name="whoami"),
]
