"""
URLs for the session-status.js browser test: the test project's URLs, the
script itself (no staticfiles app in the test settings) and a page that
uses the how-to's snippet. Tests using them set ``STATIC_URL = "/js/"``.
"""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from rememberme.internal.state import find_state
from tests.support.urls import urlpatterns as project_urlpatterns

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "rememberme" / "static" / "rememberme" / "session-status.js"
SNIPPET = ROOT / "docs" / "howto" / "snippets" / "status_events.html"

# The test cannot wait a minute: warn 3 seconds ahead, poll every second.
TEST_OPTIONS = 'data-warn-before="3" data-interval="1"'


def script(request: HttpRequest) -> HttpResponse:
    return HttpResponse(SCRIPT.read_text(), content_type="text/javascript")


def page(request: HttpRequest) -> HttpResponse:
    snippet = SNIPPET.read_text()
    assert 'data-warn-before="60"' in snippet
    snippet = snippet.replace('data-warn-before="60"', TEST_OPTIONS)
    state = find_state(request)
    user = request.user.get_username() if request.user.is_authenticated else ""
    html = (
        "<!doctype html><html><head><title>status</title></head><body>"
        f'<p id="who">{user}</p><p id="restored">{bool(state and state.restored)}</p>'
        f"{snippet}</body></html>"
    )
    return HttpResponse(engines["django"].from_string(html).render({}, request))


urlpatterns = [
    # Not under /static/: the live server hands that to a static files
    # handler, and the test settings have no STATIC_ROOT.
    path("js/rememberme/session-status.js", script),
    path("status-page/", page),
    *project_urlpatterns,
]
