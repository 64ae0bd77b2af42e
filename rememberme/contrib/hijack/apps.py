from __future__ import annotations

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_out
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
        views.login = impersonation_login
        user_logged_out.connect(
            forget_impersonators_on_logout, dispatch_uid="rememberme.hijack.logout"
        )
