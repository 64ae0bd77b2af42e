"""
The remembered-browsers page (``rememberme:devices``).

Lists the signed-in user's active tokens and lets them sign out one of
those browsers or all the others. Signing out everywhere, this browser
included, is ``rememberme:logout`` with ``everywhere``: the page posts
there, so there is one way to do it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseBase
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.generic import TemplateView

from ..models import RememberToken
from ..signals import RevokeReason
from . import session_keys
from .api import forget_browser, this_browsers_token
from .useragents import describe

__all__ = ["DevicesView", "RememberedBrowser"]


@dataclass(frozen=True)
class RememberedBrowser:
    """One row of the page: a token and what the page shows of it."""

    token: RememberToken
    browser: str
    #: The operating system, ``""`` when the user agent does not say.
    os: str
    is_current: bool
    #: "Firefox 121 on Linux", or the browser alone when the system is unknown.
    label: str = ""


@method_decorator([never_cache, csrf_protect], name="dispatch")
class DevicesView(LoginRequiredMixin, TemplateView):
    """
    GET lists the user's remembered browsers; POST with ``action`` set to
    ``revoke`` (and ``token``, the id of one of them) or ``others`` signs
    browsers out, then redirects back here.

    Revoking one uses the reason ``user``; "sign out all other browsers"
    uses ``logout_all``, like "sign out everywhere". Revoking this browser's
    own token forgets the browser (its cookie is deleted) but leaves the
    current session signed in, as ``rememberme.forget()`` does.
    """

    template_name = "rememberme/devices.html"
    http_method_names = ["get", "post", "head", "options"]

    def get_browsers(self) -> list[RememberedBrowser]:
        """Return the user's usable tokens: this browser's first, then the most recently used."""
        now = timezone.now()
        current = this_browsers_token(self.request)
        tokens = RememberToken.objects.active(now).filter(user_id=self.request.user.pk)
        browsers = []
        for token in tokens.order_by("-last_used_at", "-pk"):
            device = describe(token.user_agent)
            browsers.append(
                RememberedBrowser(
                    token=token,
                    browser=device.browser,
                    os=device.os if device.os_known else "",
                    is_current=current is not None and current.pk == token.pk,
                    label=device.label,
                )
            )
        # The row people look for first, and the one whose button behaves
        # differently (it forgets this browser but keeps it signed in).
        browsers.sort(key=lambda browser: not browser.is_current)
        return browsers

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        browsers = self.get_browsers()
        context.update(
            browsers=browsers,
            others=[browser for browser in browsers if not browser.is_current],
            this_browser_remembered=any(browser.is_current for browser in browsers),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        action = request.POST.get("action")
        if action == "revoke":
            return self.revoke_one(request)
        if action == "others":
            return self.revoke_others(request)
        return HttpResponseBadRequest(_("Unknown action."))

    def revoke_one(self, request: HttpRequest) -> HttpResponseBase:
        try:
            token_id = int(request.POST.get("token", ""))
        except ValueError:
            return HttpResponseBadRequest(_("No browser was chosen."))
        current = this_browsers_token(request)
        if current is not None and current.pk == token_id:
            forget_browser(request, RevokeReason.USER)
            messages.success(
                request, _("This browser no longer remembers you."), fail_silently=True
            )
            return redirect(request.path)
        # Only the user's own tokens: any other id revokes nothing.
        revoked = RememberToken.objects.filter(pk=token_id, user_id=request.user.pk).revoke(
            RevokeReason.USER, request=request
        )
        wait = session_keys.revocation_wait()
        if revoked and wait is not None:
            messages.success(
                request,
                _("That browser will be signed out %(within)s.") % {"within": wait},
                fail_silently=True,
            )
        elif revoked:
            messages.success(request, _("That browser is signed out."), fail_silently=True)
        else:
            messages.info(request, _("That browser was already signed out."), fail_silently=True)
        return redirect(request.path)

    def revoke_others(self, request: HttpRequest) -> HttpResponseBase:
        tokens = RememberToken.objects.filter(user_id=request.user.pk)
        current = this_browsers_token(request)
        if current is not None:
            tokens = tokens.exclude(pk=current.pk)
        revoked = tokens.revoke(RevokeReason.LOGOUT_ALL, request=request)
        wait = session_keys.revocation_wait()
        if wait is not None:
            text = ngettext(
                "%(count)d other browser will be signed out %(within)s.",
                "%(count)d other browsers will be signed out %(within)s.",
                revoked,
            )
        else:
            text = ngettext(
                "%(count)d other browser is signed out.",
                "%(count)d other browsers are signed out.",
                revoked,
            )
        messages.success(request, text % {"count": revoked, "within": wait}, fail_silently=True)
        return redirect(request.path)
