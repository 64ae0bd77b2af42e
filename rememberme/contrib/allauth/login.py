"""
allauth's login, remembered or not as its own "Remember Me" box says.

allauth signs in through stages (password, then any MFA code, ...), each a
request of its own, and sends its ``user_logged_in`` once, when the last
stage is passed. Its box is only seen at the password stage, and allauth
keeps the answer nowhere but in the session expiry it sets. So the answer is
noted in the session at the password stage, and acted on when the login
completes: a password alone never earns a token when a second factor is
still to come.
"""

from __future__ import annotations

import json
from typing import Any

from allauth.account import app_settings as account_settings
from django import forms
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict

import rememberme
from rememberme.internal import sessions
from rememberme.internal.state import get_state
from rememberme.policy import get_policy

__all__ = [
    "REMEMBER_KEY",
    "complete_login",
    "headless_client",
    "is_app_client_view",
    "note_remember_box",
    "wants_remembering",
]

#: Session key of the box's answer, between the password stage and the end
#: of the login.
REMEMBER_KEY = sessions.ALLAUTH_REMEMBER_KEY

# allauth's LoginForm field, and the key of the same choice in the JSON body
# of a headless browser client's login.
_BOX = "remember"

# allauth.headless' kinds of client (allauth.headless.constants.Client).
_APP = "app"


def headless_client(request: HttpRequest) -> str | None:
    """Return ``"app"`` or ``"browser"`` for a request to allauth.headless, else ``None``."""
    headless = getattr(getattr(request, "allauth", None), "headless", None)
    client = getattr(headless, "client", None)
    # A str Enum, whose str() is its name, not its value.
    return None if client is None else str(getattr(client, "value", client))


def is_app_client_view(view: Any) -> bool:
    """
    Return whether ``view`` is one of allauth.headless' views for app
    clients, which sign in with an ``X-Session-Token`` header, not cookies.
    """
    # allauth builds them with as_view(client="app"), and its decorators
    # keep the attributes as_view() sets.
    initkwargs = getattr(view, "view_initkwargs", None)
    client = initkwargs.get("client") if isinstance(initkwargs, dict) else None
    return str(getattr(client, "value", client)) == _APP


def _box_ticked(request: HttpRequest) -> bool:
    """Return whether the login form's box, or a headless browser's JSON choice, says yes."""
    if request.content_type == "application/json":
        # allauth.headless has parsed the same body already; only a JSON
        # true counts, as only a ticked box does in the form.
        try:
            data = json.loads(request.body)
        except ValueError:
            return False
        return isinstance(data, dict) and data.get(_BOX) is True
    return bool(forms.CheckboxInput().value_from_datadict(request.POST, MultiValueDict(), _BOX))


def note_remember_box(
    sender: Any, request: HttpRequest, user: Any, method: str, **kwargs: Any
) -> None:
    """At the password stage of a login, note whether the box was ticked."""
    current = getattr(request, "user", None)
    if method != "password" or current is None or current.is_authenticated:
        # Another kind of stage, or a re-authentication: not a login.
        return
    if headless_client(request) == _APP:
        return
    request.session[REMEMBER_KEY] = [str(user.pk), _box_ticked(request)]


def wants_remembering(request: HttpRequest, user: Any) -> bool:
    """
    Return whether the login of ``user`` that completes on ``request`` is to
    be remembered: ``ACCOUNT_SESSION_REMEMBER`` if set (allauth then shows
    no box), else the box's answer noted at this user's password stage; a
    login without a password stage (a code, a social account) is not
    remembered.
    """
    noted = request.session.pop(REMEMBER_KEY, None)
    setting = account_settings.SESSION_REMEMBER
    if setting is not None:
        return bool(setting)
    # Noted for this user, not at the password stage of an abandoned login
    # of someone else in the same browser.
    return noted == [str(user.pk), True]


def complete_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """When allauth's login completes, remember the browser or make the session short."""
    if headless_client(request) == _APP:
        # An app keeps its X-Session-Token, whose session allauth governs:
        # no browser cookie is any use to it, and none is sent.
        return
    # allauth has called Django's login() already: this does the rest.
    token = rememberme.login(request, user, remember=wants_remembering(request, user))
    policy = get_policy()
    age = policy.session_age(user) if token else policy.unremembered_session_age(user)
    # allauth's form sets its own expiry after this signal.
    get_state(request).keep_session_age(age)
