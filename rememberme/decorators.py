"""``fresh_login_required``: a view that asks for a recent credential, not a token."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any, overload

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest

from .internal.conf import to_timedelta
from .internal.freshness import stale_login_redirect

__all__ = ["fresh_login_required"]

View = Callable[..., Any]


@overload
def fresh_login_required(function: View) -> View: ...


@overload
def fresh_login_required(
    function: None = None,
    *,
    max_age: datetime.timedelta | int | None = None,
    login_url: str | None = None,
    redirect_field_name: str = REDIRECT_FIELD_NAME,
) -> Callable[[View], View]: ...


def fresh_login_required(
    function: View | None = None,
    *,
    max_age: datetime.timedelta | int | None = None,
    login_url: str | None = None,
    redirect_field_name: str = REDIRECT_FIELD_NAME,
) -> View | Callable[[View], View]:
    """
    Let the view run only for a signed-in user whose session is fresh: who
    proved a credential in this session (not a remember-me restore) and,
    with ``max_age`` (a ``timedelta`` or seconds), no longer ago than that.

    Anonymous users go to ``login_url`` (``settings.LOGIN_URL`` by default);
    signed-in users whose session is not fresh go to
    ``REMEMBERME_REAUTHENTICATE_URL``; both with the page as
    ``redirect_field_name``. Usable bare (``@fresh_login_required``) or with
    arguments, on sync and async views.
    """
    # Checked now, so that a wrong max_age fails at import, not at a request.
    limit = to_timedelta(max_age, "fresh_login_required(max_age=...)", allow_none=True)

    def decorator(view: View) -> View:
        if iscoroutinefunction(view):

            async def _async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                # The session may need the database: not from the event loop.
                redirect = await sync_to_async(stale_login_redirect)(
                    request, limit, login_url, redirect_field_name
                )
                if redirect is not None:
                    return redirect
                return await view(request, *args, **kwargs)

            markcoroutinefunction(_async_view)
            return wraps(view)(_async_view)

        def _view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            redirect = stale_login_redirect(request, limit, login_url, redirect_field_name)
            if redirect is not None:
                return redirect
            return view(request, *args, **kwargs)

        return wraps(view)(_view)

    if function is not None:
        return decorator(function)
    return decorator
