from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from rememberme.decorators import fresh_login_required
from tests.support.views import whoami


@fresh_login_required
def sensitive(request: HttpRequest) -> JsonResponse:
    """A page that asks for a fresh session (a password change, say)."""
    return JsonResponse({"user": request.user.get_username()})


urlpatterns = [
    path("hijack/", include("hijack.urls")),
    path("accounts/", include("rememberme.urls")),
    path("whoami/", whoami, name="whoami"),
    path("sensitive/", sensitive),
]
