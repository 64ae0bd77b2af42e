from __future__ import annotations

from django.urls import path

from . import devices, status, views

app_name = "rememberme"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("devices/", devices.DevicesView.as_view(), name="devices"),
    path("status/", status.status, name="status"),
]
