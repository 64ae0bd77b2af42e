"""
Views the test sites share (``tests.support.urls`` and the integration sites'
URLconfs), kept apart from any URLconf so that a site without the admin can
import them.
"""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template import RequestContext, Template

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


def site_logout(request: HttpRequest) -> HttpResponse:
    """A site's own sign-out view, opted in to the package's sign-out handling."""
    logout(request)
    return HttpResponseRedirect("/whoami/")


site_logout.rememberme_logout = True  # type: ignore[attr-defined]


@login_required
def change_email(request: HttpRequest) -> HttpResponse:
    """A page behind ``login_required`` with a form, at a URL of its own."""
    if request.method == "POST":
        return HttpResponse(f"changed for {request.user.get_username()}")
    return HttpResponse(
        Template(
            '<form method="post">{% csrf_token %}<input name="email">'
            '<button type="submit">Change</button></form>'
            '<form method="post" action="/accounts/logout/">{% csrf_token %}'
            '<button type="submit">Sign out</button></form>'
        ).render(RequestContext(request))
    )
