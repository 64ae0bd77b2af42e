"""The state of the current session, shown in the header of every demo page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from rememberme.internal.api import this_browsers_token
from rememberme.internal.sessions import linked_token_id
from rememberme.internal.state import find_state


def session_state(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    theme = session.get("theme", "light") if session is not None else "light"
    if user is None or not user.is_authenticated:
        return {"demo": {"signed_in": False, "theme": theme}}
    state = find_state(request)
    token = this_browsers_token(request)
    if state is not None and state.restored:
        how = "restored"
    elif linked_token_id(session) is not None:
        how = "remembered"
    else:
        how = "password"
    return {
        "demo": {
            "signed_in": True,
            "theme": theme,
            "how": how,
            "at_browser_close": session.get_expire_at_browser_close(),
            "session_ends": session.get_expiry_date(),
            "token": token if token is not None and token.revoked_at is None else None,
        }
    }
