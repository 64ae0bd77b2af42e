from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from rememberme.state import find_state


def whoami(request: HttpRequest) -> JsonResponse:
    """Report who the request is signed in as, and whether by a restore."""
    state = find_state(request)
    user = request.user.get_username() if request.user.is_authenticated else None
    return JsonResponse({"user": user, "restored": bool(state and state.restored)})


def cycle_session_key(request: HttpRequest) -> JsonResponse:
    """Give the session a new key, as login() and update_session_auth_hash() do."""
    request.session.cycle_key()
    return JsonResponse({"ok": True})


urlpatterns = [
    path("accounts/", include("rememberme.urls")),
    path("", include("user_sessions.urls", "user_sessions")),
    path("whoami/", whoami, name="whoami"),
    path("cycle/", cycle_session_key),
]
