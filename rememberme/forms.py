from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

__all__ = ["RememberMeAuthenticationForm"]


class RememberMeAuthenticationForm(AuthenticationForm):
    """Django's ``AuthenticationForm`` with a "Remember me" checkbox."""

    remember_me = forms.BooleanField(
        label=_("Remember me"),
        required=False,
        help_text=_("Stay signed in on this browser after it is closed."),
    )
