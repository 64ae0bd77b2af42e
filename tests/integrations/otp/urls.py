from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django_otp.decorators import otp_required
from django_otp.forms import OTPAuthenticationForm

from rememberme.views import LoginView
from tests.support.views import whoami


class OTPRememberMeForm(OTPAuthenticationForm):  # type: ignore[misc]
    """django-otp's password + token form, with the "Remember me" box."""

    remember_me = forms.BooleanField(required=False)


def verified(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"user": request.user.get_username(), "verified": True})


def state(request: HttpRequest) -> JsonResponse:
    user: Any = request.user
    return JsonResponse(
        {
            "user": user.get_username() if user.is_authenticated else None,
            "verified": user.is_verified(),
        }
    )


async def async_state(request: HttpRequest) -> JsonResponse:
    user: Any = await request.auser()
    return JsonResponse(
        {
            "user": user.get_username() if user.is_authenticated else None,
            "verified": user.is_verified(),
        }
    )


urlpatterns = [
    path("accounts/", include("rememberme.urls")),
    path("otp-login/", LoginView.as_view(form_class=OTPRememberMeForm), name="otp-login"),
    path("secret/", otp_required(verified), name="secret"),
    path("state/", state, name="state"),
    path("async-state/", async_state, name="async-state"),
    path("whoami/", whoami, name="whoami"),
]
