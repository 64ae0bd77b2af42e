from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import rotate_token
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic.edit import FormView

from .forms import ReauthenticationForm, RememberMeAuthenticationForm
from .internal import signout
from .internal.api import login, mark_fresh, revoke_user_tokens
from .signals import RevokeReason

__all__ = ["LoginView", "LogoutView", "ReauthenticateView", "login_page_url"]


class LoginView(auth_views.LoginView):
    """
    Django's ``LoginView`` (CSRF, ``sensitive_post_parameters``, ``never_cache``
    and the ``next`` handling included) with the "Remember me" checkbox.
    """

    form_class = RememberMeAuthenticationForm
    template_name = "rememberme/login.html"

    def form_valid(self, form: Any) -> HttpResponse:
        # Unticked is an explicit "do not remember me": login() then forgets
        # anything this browser held and ends the session at browser close
        # (by default).
        login(self.request, form.get_user(), remember=bool(form.cleaned_data.get("remember_me")))
        return HttpResponseRedirect(self.get_success_url())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Django's LoginView names the value after the field ("next" by
        # default) but not the field itself: the template needs both to
        # carry the destination through the POST.
        context = super().get_context_data(**kwargs)
        context.update(
            {"redirect_field_name": self.redirect_field_name, "next": self.get_redirect_url()}
        )
        return context


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
@method_decorator(csrf_protect, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class ReauthenticateView(LoginRequiredMixin, auth_views.RedirectURLMixin, FormView):  # type: ignore[type-arg]
    """
    Ask the signed-in user for their own password again, for views guarded
    by ``fresh_login_required``. On success the session is marked fresh, its
    key cycled (and the CSRF token rotated), and the user sent on to a safe
    ``next``.
    """

    form_class = ReauthenticationForm
    template_name = "rememberme/reauthenticate.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["request"] = self.request
        return kwargs

    def form_valid(self, form: Any) -> HttpResponse:
        mark_fresh(self.request)
        # The session gains rights: give it a new key (and the page a new
        # CSRF token), as Django's login() does, so that a key or a token
        # someone learned before is worth nothing now.
        self.request.session.cycle_key()
        rotate_token(self.request)
        return HttpResponseRedirect(self.get_success_url())

    def get_default_redirect_url(self) -> str:
        return resolve_url(settings.LOGIN_REDIRECT_URL)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "redirect_field_name": self.redirect_field_name,
                "next": self.get_redirect_url(),
            }
        )
        return context


class LogoutView(auth_views.LogoutView):
    """
    Sign out (POST). With ``everywhere`` in the POST data, every remembered
    browser of the user is signed out too. A GET shows a page with the
    sign-out button: following a link never signs anyone out.
    """

    http_method_names = ["get", "post", "options"]
    template_name = "rememberme/logged_out.html"
    confirm_template_name = "rememberme/logout.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Answer GET here, before Django 4.2's LogoutView.dispatch() would
        # sign out by GET (with a deprecation warning).
        if request.method == "GET":
            return self.confirm(request)
        if (request.method or "").lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def confirm(self, request: HttpRequest) -> HttpResponse:
        """Render the page that asks for a POST: a sign-out button (with its CSRF token)."""
        context = {"view": self, "next": self.get_redirect_url()}
        context.update(self.extra_context or {})
        return TemplateResponse(request, self.confirm_template_name, context)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.POST.get("everywhere"):
            user = (
                request.user if request.user.is_authenticated else signout.verified_owner(request)
            )
            if user is not None:
                revoke_user_tokens(user, reason=RevokeReason.LOGOUT_ALL)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["login_url"] = login_page_url()
        return context


def login_page_url() -> str:
    """Return ``LOGIN_URL`` resolved, or an empty string if it names no page."""
    try:
        return str(resolve_url(settings.LOGIN_URL))
    except NoReverseMatch:
        return ""
