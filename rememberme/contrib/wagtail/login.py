"""
Wagtail's admin login, remembered or not as its own "Remember me" box says.

Wagtail's ``LoginView`` signs in with Django's ``login()``, then gives the
session Django's ``SESSION_COOKIE_AGE`` when the box is ticked (two weeks by
default, with no token, so nothing but that cookie keeps the user signed
in and "sign out everywhere" cannot reach it) or ends it at browser close.
Here the login is completed as rememberme's own: ticked, a token is issued
and the session gets ``REMEMBERME_SESSION_AGE``; unticked, this browser is
forgotten and the session gets ``REMEMBERME_UNREMEMBERED_SESSION_AGE``.
Both ages are given again on the response, after Wagtail's own.

Wagtail's logout is Django's ``LogoutView`` and its account page changes
the password with ``set_password()`` and ``update_session_auth_hash()``:
both already behave as everywhere else.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from wagtail.admin.views.account import LoginView

import rememberme
from rememberme.internal.state import find_state
from rememberme.policy import get_policy

__all__ = ["complete_login", "is_wagtail_login"]

# The field of Wagtail's LoginForm (and of the forms that extend it through
# WAGTAILADMIN_USER_LOGIN_FORM).
_BOX = "remember"


def is_wagtail_login(request: HttpRequest) -> bool:
    """Return whether ``request`` is a POST to Wagtail's login view (or a subclass of it)."""
    match = getattr(request, "resolver_match", None)
    view_class = getattr(getattr(match, "func", None), "view_class", None)
    return (
        request.method == "POST"
        and isinstance(view_class, type)
        and issubclass(view_class, LoginView)
    )


def complete_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """When Wagtail's login view signs ``user`` in, remember the browser as its box says."""
    if request is None or not is_wagtail_login(request):
        return
    state = find_state(request)
    if state is None:
        # Reported by the system checks (middleware missing).
        return
    ticked = bool(forms.CheckboxInput().value_from_datadict(request.POST, MultiValueDict(), _BOX))
    # Wagtail has called Django's login() already: this does the rest.
    token = rememberme.login(request, user, remember=ticked)
    policy = get_policy()
    age = policy.session_age(user) if token else policy.unremembered_session_age(user)
    # Wagtail's form_valid() sets its own expiry after this signal.
    state.keep_session_age(age)
