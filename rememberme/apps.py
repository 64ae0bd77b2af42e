from __future__ import annotations

from django.apps import AppConfig, apps
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core.signals import got_request_exception
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from . import checks, signals


class RememberMeConfig(AppConfig):
    name = "rememberme"
    verbose_name = _("Remember me")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # These use the models (directly or through django.contrib.auth's
        # views), which cannot be imported before the app registry is ready.
        from .internal import dbsc, freshness, lockout, notices, notifications, receivers

        checks.register()
        if apps.is_installed("user_sessions"):
            # django-user-sessions' "delete session" revokes the session's token.
            from .contrib import user_sessions

            user_sessions.connect()
        user_logged_in.connect(
            receivers.revoke_foreign_token_on_login, dispatch_uid="rememberme.login"
        )
        # Before lockout.connect(): its receiver asks was_restored(), which
        # this one brings up to date for the login at hand.
        user_logged_in.connect(
            freshness.record_login, dispatch_uid="rememberme.internal.freshness"
        )
        lockout.connect()
        user_logged_in.connect(dbsc.forget_on_login, dispatch_uid="rememberme.internal.dbsc")
        user_logged_out.connect(receivers.forget_on_logout, dispatch_uid="rememberme.logout")
        got_request_exception.connect(
            receivers.report_failed_rotation, dispatch_uid="rememberme.failed_rotation"
        )
        user_model = get_user_model()
        receivers.watch_password_rehash(user_model)
        post_save.connect(
            receivers.track_password_change,
            sender=user_model,
            dispatch_uid="rememberme.password_change",
        )
        # Why a session ended, for the next page; e-mails, when opted in.
        signals.theft_detected.connect(notices.note_theft, dispatch_uid="rememberme.notice_theft")
        signals.session_ended.connect(
            notices.note_session_ended, dispatch_uid="rememberme.notice_session_ended"
        )
        signals.theft_detected.connect(
            notifications.notify_theft, dispatch_uid="rememberme.notify_theft"
        )
        signals.token_issued.connect(
            notifications.notify_new_browser, dispatch_uid="rememberme.notify_new_browser"
        )
