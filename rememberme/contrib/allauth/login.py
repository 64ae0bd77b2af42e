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

from typing import Any

from allauth.account import app_settings as account_settings
from django import forms
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict

import rememberme
from rememberme.internal.state import get_state
from rememberme.policy import get_policy

__all__ = ["REMEMBER_KEY", "complete_login", "note_remember_box", "wants_remembering"]

#: Session key of the box's answer, between the password stage and the end
#: of the login.
REMEMBER_KEY = "_rememberme_allauth_remember"

# allauth's LoginForm field.
_BOX = "remember"


def note_remember_box(
    sender: Any, request: HttpRequest, user: Any, method: str, **kwargs: Any
) -> None:
    """At the password stage of a login, note whether the box was ticked."""
    current = getattr(request, "user", None)
    if method != "password" or current is None or current.is_authenticated:
        # Another kind of stage, or a re-authentication: not a login.
        return
    ticked = forms.CheckboxInput().value_from_datadict(request.POST, MultiValueDict(), _BOX)
    request.session[REMEMBER_KEY] = [str(user.pk), bool(ticked)]


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
    # allauth has called Django's login() already: this does the rest.
    token = rememberme.login(request, user, remember=wants_remembering(request, user))
    policy = get_policy()
    age = policy.session_age(user) if token else policy.unremembered_session_age(user)
    # allauth's form sets its own expiry after this signal.
    get_state(request).keep_session_age(age)
