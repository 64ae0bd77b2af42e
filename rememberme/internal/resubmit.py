"""
The page for a form sent after its session ended.

A form stays on the screen while its session expires; when it is sent, the
request carries the token cookie, the middleware restores a session, and
the restore rotates the CSRF token (every restore must: see csrf.py). The
token in the form belongs to the old session, so Django's CSRF check
refuses the request. That refusal is right, but Django's bare "CSRF
verification failed" page tells the user nothing useful: this module
replaces it, for a restoring request only, with a page that says what
happened (the session had ended, the browser is signed in again) and what
to do (reload the form and send it again). The status stays 403: nothing
the form asked for was done.

A refusal is recognised without any setting: the request restored a
session, it is not a safe method, the response is a 403, and no view ran
(``RememberMeMiddleware.process_view`` never saw it, so a middleware before
it, ``CsrfViewMiddleware`` where it is placed as Django's documentation
says, answered instead) and the CSRF check did not pass. A script's request
(JSON sent, or an ``Accept`` header without HTML) keeps the refusal as it
is: it expects its API's answer, not a page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from .state import RequestState

__all__ = ["explain_refusal", "reached_view"]

_REACHED = "_rememberme_reached_view"  # request attribute
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
TEMPLATE_NAME = "rememberme/resubmit.html"


def reached_view(request: HttpRequest) -> None:
    """Note that every middleware let the request through to its view."""
    setattr(request, _REACHED, True)


def explain_refusal(
    request: HttpRequest, state: RequestState, response: HttpResponseBase
) -> HttpResponseBase:
    """Return the page that explains a restoring request's CSRF refusal, else ``response``."""
    if (
        not state.restored
        or request.method in _SAFE_METHODS
        or response.status_code != 403
        or getattr(request, _REACHED, False)
        or getattr(request, "csrf_processing_done", False)
        or not _from_a_form(request)
    ):
        return response
    return render(request, TEMPLATE_NAME, {"back_url": _back_url(request)}, status=403)


def _from_a_form(request: HttpRequest) -> bool:
    # A page's form sends form data and accepts HTML; a script calling an API
    # (a single-page app after the restore) expects that API's answer, and
    # gets the refusal as it is.
    if request.content_type == "application/json":
        return False
    accept = request.headers.get("accept", "")
    return not accept or "text/html" in accept or "*/*" in accept


def _back_url(request: HttpRequest) -> str:
    # The page the form was on, when the browser says so and it is ours.
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return request.get_full_path()
