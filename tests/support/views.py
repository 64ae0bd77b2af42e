"""
Views the test sites share (``tests.support.urls`` and the integration sites'
URLconfs), kept apart from any URLconf so that a site without the admin can
import them.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from rememberme.internal.state import find_state


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


def cycle_session_key(request: HttpRequest) -> JsonResponse:
    """Give the session a new key, as login() and update_session_auth_hash() do."""
    request.session.cycle_key()
    return JsonResponse({"ok": True})
