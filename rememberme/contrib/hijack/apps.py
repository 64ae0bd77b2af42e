from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.contrib.auth import login as django_login
from django.contrib.auth.signals import user_logged_out
from django.core import checks
from django.utils.translation import gettext_lazy as _


class RememberMeHijackConfig(AppConfig):
    name = "rememberme.contrib.hijack"
    label = "rememberme_hijack"
    verbose_name = _("Remember me for django-hijack")

    def ready(self) -> None:
        # Imported here, once the registry is ready: hijack's views module
        # builds its views from the user model.
        from hijack import views

        from .login import forget_impersonators_on_logout, impersonation_login

        # django-hijack's acquire and release views sign in with the
        # login() they imported from django.contrib.auth, and offer no
        # setting to choose another. Django's login() marks the session
        # fresh and lets rememberme drop the administrator's token, as for
        # a password login: the views get one that proves no credential.
        # A release of django-hijack that signs in some other way is
        # reported by check_hijack_login() rather than silently missed.
        if getattr(views, "login", None) is django_login:
            views.login = impersonation_login
        checks.register(check_hijack_login)
        user_logged_out.connect(
            forget_impersonators_on_logout, dispatch_uid="rememberme.hijack.logout"
        )


def check_hijack_login(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[Any]:
    """Report a django-hijack whose views do not sign in through the login() given them."""
    from hijack import views

    from .login import impersonation_login

    if getattr(views, "login", None) is impersonation_login:
        return []
    return [
        checks.Error(
            "rememberme.contrib.hijack could not take over the sign-in of django-hijack's "
            "views (hijack.views.login): impersonation would make sessions fresh and revoke "
            "the administrator's token.",
            hint="Use a django-hijack release this version of django-rememberme supports "
            "(3.x), or remove 'rememberme.contrib.hijack' and call "
            "rememberme.login(request, user, remember=False, fresh=False) from your own "
            "impersonation views.",
            id="rememberme_hijack.E001",
        )
    ]
