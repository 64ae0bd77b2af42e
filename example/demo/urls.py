from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("theme/", views.set_theme, name="set-theme"),
    path("email/", views.change_email, name="change-email"),
    path("accounts/", include("rememberme.urls")),
    path("admin/", admin.site.urls),
]
