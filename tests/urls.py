from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from rememberme.state import find_state


def whoami(request: HttpRequest) -> JsonResponse:
    """Report who the request is signed in as, and how."""
    state = find_state(request)
    return JsonResponse(
        {
            "user": request.user.get_username() if request.user.is_authenticated else None,
            "restored": bool(state and state.restored),
        }
    )


def touch_session(request: HttpRequest) -> JsonResponse:
    """Write the POSTed keys into the session."""
    for key, value in request.POST.items():
        request.session[key] = value
    return JsonResponse({"keys": sorted(request.session.keys())})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("rememberme.urls")),
    path("whoami/", whoami, name="whoami"),
    path("session/", touch_session, name="touch-session"),
]
