from __future__ import annotations

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext_lazy as _


class RememberMeWagtailConfig(AppConfig):
    name = "rememberme.contrib.wagtail"
    label = "rememberme_wagtail"
    verbose_name = _("Remember me for Wagtail")

    def ready(self) -> None:
        # Wagtail is imported here, once the registry is ready: rememberme
        # itself never needs it.
        from . import login

        user_logged_in.connect(login.complete_login, dispatch_uid="rememberme.wagtail.login")
