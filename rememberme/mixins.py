"""``FreshLoginRequiredMixin``: ``fresh_login_required`` for class-based views."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.mixins import AccessMixin
from django.http import HttpRequest, HttpResponseBase

from .internal.freshness import stale_login_redirect

__all__ = ["FreshLoginRequiredMixin"]


class FreshLoginRequiredMixin(AccessMixin):
    """
    Let the view run only for a signed-in user whose session is fresh (see
    :func:`rememberme.decorators.fresh_login_required`), no older than
    ``fresh_max_age`` (a ``timedelta`` or seconds) if set.

    Anonymous users are handled as by ``LoginRequiredMixin`` (``login_url``,
    ``redirect_field_name``, ``raise_exception``); signed-in users whose
    session is not fresh go to ``REMEMBERME_REAUTHENTICATE_URL``.
    """

    fresh_max_age: datetime.timedelta | int | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        redirect = stale_login_redirect(
            request, self.fresh_max_age, self.get_login_url(), self.get_redirect_field_name()
        )
        if redirect is not None:
            return redirect
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response
