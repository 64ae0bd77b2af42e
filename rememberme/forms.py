from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

__all__ = ["ReauthenticationForm", "RememberMeAuthenticationForm"]


class RememberMeAuthenticationForm(AuthenticationForm):
    """Django's ``AuthenticationForm`` with a "Remember me" checkbox."""

    remember_me = forms.BooleanField(
        label=_("Remember me"),
        required=False,
        help_text=_("Stay signed in on this browser after it is closed."),
    )


class ReauthenticationForm(forms.Form):
    """
    The signed-in user's own password, checked through Django's
    ``authenticate()`` under the user model's ``USERNAME_FIELD``: a wrong one
    sends ``user_login_failed``, so lockout apps count it like a failed
    login, and they can refuse a right one.
    """

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    error_messages = {
        "password_incorrect": _("Your password was entered incorrectly. Please enter it again."),
    }

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        user = self.request.user
        # Named after the user model's USERNAME_FIELD, as Django's
        # ModelBackend reads it: lockout apps find the user's name by that
        # key (axes' AXES_USERNAME_FORM_FIELD = "email" on e-mail logins),
        # where "username" would leave every guess uncounted.
        credentials = {get_user_model().USERNAME_FIELD: user.get_username(), "password": password}
        proved = authenticate(self.request, **credentials)
        # Only this user's password: a backend that maps the name to someone
        # else proves nothing about the person at this session.
        if proved is None or proved.pk != user.pk:
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return password
