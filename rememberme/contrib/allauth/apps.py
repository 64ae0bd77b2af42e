from __future__ import annotations

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class RememberMeAllauthConfig(AppConfig):
    name = "rememberme.contrib.allauth"
    label = "rememberme_allauth"
    verbose_name = _("Remember me for django-allauth")

    def ready(self) -> None:
        # allauth is imported here, once the registry is ready: rememberme
        # itself never needs it.
        from allauth.account.signals import authentication_step_completed, user_logged_in

        from rememberme.internal.passive import register_passive_views
        from rememberme.signals import session_restored

        from . import login

        authentication_step_completed.connect(
            login.note_remember_box, dispatch_uid="rememberme.allauth.box"
        )
        user_logged_in.connect(login.complete_login, dispatch_uid="rememberme.allauth.login")
        # allauth.headless' app clients sign in with X-Session-Token: their
        # requests are never restored from a cookie, nor sent one.
        register_passive_views(login.is_app_client_view)
        if apps.is_installed("allauth.usersessions"):
            # Its models refuse to load unless the app is installed.
            from . import usersessions

            session_restored.connect(
                usersessions.list_restored_session,
                dispatch_uid="rememberme.allauth.restored",
            )
            usersessions.connect_session_store()
