"""The benchmark's pages: one realistic view, and the bundled login view."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def page(request: HttpRequest) -> HttpResponse:
    # Nearly every real page touches request.user (a menu, a greeting, a
    # permission check), which loads the session and, when signed in, the
    # user: the same work in both stacks.
    user = request.user
    name = user.get_username() if user.is_authenticated else "stranger"
    return HttpResponse(f"<!doctype html><title>bench</title><p>Hello, {name}.</p>")


urlpatterns = [
    path("accounts/", include("rememberme.urls")),
    path("page/", page, name="page"),
]
