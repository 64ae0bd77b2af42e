from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RememberMeAllauthConfig(AppConfig):
    name = "rememberme.contrib.allauth"
    label = "rememberme_allauth"
    verbose_name = _("Remember me for django-allauth")
