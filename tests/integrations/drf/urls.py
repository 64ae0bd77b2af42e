from __future__ import annotations

from django.urls import path

from tests.integrations.drf.recipe import recipe

urlpatterns = [
    path("api/csrf/", recipe.CsrfView.as_view()),
    path("api/login/", recipe.LoginView.as_view()),
    path("api/logout/", recipe.LogoutView.as_view()),
    path("api/me/", recipe.MeView.as_view()),
]
