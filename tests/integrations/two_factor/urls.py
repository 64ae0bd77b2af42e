from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from two_factor.urls import urlpatterns as two_factor_patterns

from tests.support.views import whoami

SNIPPET = (
    Path(__file__).resolve().parents[3] / "docs" / "howto" / "snippets" / "two_factor_login.py"
)


def _load_snippet() -> Any:
    spec = importlib.util.spec_from_file_location("howto_two_factor_login", SNIPPET)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The how-to's view, exactly as the page shows it.
LoginView = _load_snippet().LoginView


def state(request: HttpRequest) -> JsonResponse:
    user: Any = request.user
    return JsonResponse(
        {
            "user": user.get_username() if user.is_authenticated else None,
            "verified": user.is_verified(),
        }
    )


patterns, app_name = two_factor_patterns
urlpatterns = [
    path("account/login/", LoginView.as_view(), name="login"),
    path("", include((patterns, app_name))),
    path("accounts/", include("rememberme.urls")),
    path("state/", state),
    path("whoami/", whoami),
]
