from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from . import sessions
from .api import forget, remember, revoke_user_tokens
from .forms import RememberMeAuthenticationForm
from .models import RevokeReason
from .policy import get_policy

__all__ = ["LoginView", "LogoutView"]


class LoginView(auth_views.LoginView):
    """
    Django's ``LoginView`` (CSRF, ``sensitive_post_parameters``, ``never_cache``
    and the ``next`` handling included) with the "Remember me" checkbox.
    """

    form_class = RememberMeAuthenticationForm
    template_name = "rememberme/login.html"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if form.cleaned_data.get("remember_me"):
            remember(self.request)
        else:
            # An explicit "do not remember me": forget anything this browser
            # held, and end the session at browser close (by default).
            forget(self.request)
            sessions.apply_session_age(
                self.request.session,
                get_policy().unremembered_session_age(self.request.user),
            )
        return response


class LogoutView(auth_views.LogoutView):
    """
    Sign out (POST only). With ``everywhere`` in the POST data, every
    remembered browser of the user is signed out too.
    """

    http_method_names = ["post", "options"]
    template_name = "rememberme/logged_out.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Refuse GET before Django 4.2's LogoutView.dispatch() would warn
        # about logging out by GET (it does so even when GET is not allowed).
        if (request.method or "").lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.POST.get("everywhere") and request.user.is_authenticated:
            revoke_user_tokens(request.user, reason=RevokeReason.LOGOUT_ALL)
        return super().post(request, *args, **kwargs)
