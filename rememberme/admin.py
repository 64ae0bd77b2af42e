"""
The Django admin for remember-me tokens: who is remembered where; revoke.

Nothing here edits or deletes a token: the only write is revocation,
through two actions that need the ``rememberme.revoke_remembertoken``
permission and are recorded in the admin log. No field that holds or leads
to a secret (hashes, password fingerprint, selector digest, persistent
session values) is ever rendered, filtered on or searched.
"""

from __future__ import annotations

from typing import Any

import django
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .internal import session_keys
from .internal.lifetime import expired_condition
from .internal.useragents import describe
from .models import RememberToken
from .signals import RevokeReason
from .templatetags.rememberme import moment

__all__ = ["RememberTokenAdmin", "RememberTokenInline", "StateListFilter"]

REVOKE_PERMISSION = "revoke_remembertoken"

# What a token's admin pages show; everything else stays out of the HTML.
DISPLAY_FIELDS = (
    "user",
    "state_display",
    "revoked_at",
    "browser",
    "user_agent",
    "ip_address",
    "created_at",
    "last_used_at",
    "expires_at",
    "device_bound_at",
    "backend",
)

# The columns a query string may filter on: what the list shows. Django's
# changelist accepts a lookup on any of the model's own columns
# (?verifier_hash__startswith=..., ?session_data__key__regex=...), and the
# number of rows left answers "does the secret start with this?", a byte at
# a time, to anyone who may merely view the list. An allow-list rather than
# a list of secrets, so that a column added later is refused until someone
# decides it is safe to filter on.
FILTERABLE_FIELDS = frozenset(
    {
        "id",
        "user",
        "created_at",
        "last_used_at",
        "expires_at",
        "absolute_expires_at",
        "revoked_at",
        "device_bound_at",
        "revoke_reason",
        "user_agent",
        "ip_address",
    }
)


class StateListFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("active", _("Active")), ("expired", _("Expired")), ("revoked", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any] | None:
        expired = expired_condition(timezone.now())
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True).exclude(expired)
        if self.value() == "expired":
            return queryset.filter(expired, revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class _TokenDisplay:
    """
    Columns and permissions shared by the admin and the inline: read-only,
    and no deletion at all (deleting a row would bypass revocation: no
    token_revoked, no reason, no admin log entry of a revocation). The only
    write, revocation, needs its own permission (``RememberTokenAdmin``).
    """

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("browser"))
    def browser(self, token: RememberToken) -> str:
        return str(describe(token.user_agent))

    @admin.display(description=_("state"))
    def state_display(self, token: RememberToken) -> str:
        # One column for the state and the binding: six columns fit 1280 px.
        state, reason = token.state, token.get_revoke_reason_display()
        if state == "revoked":
            # These two reasons read "Revoked by ..." on their own.
            by = token.revoke_reason in (RevokeReason.ADMIN, RevokeReason.USER)
            return str(reason) if by else gettext("Revoked: %(reason)s") % {"reason": reason}
        if state == "expired":
            return gettext("Expired")
        return (
            gettext("Active, bound to its device") if token.is_device_bound else gettext("Active")
        )


@admin.register(RememberToken)
class RememberTokenAdmin(_TokenDisplay, admin.ModelAdmin):  # type: ignore[type-arg]
    # Six columns that fit 1280 pixels: the times read "3 hours ago" with
    # the exact time on hover, and the creation time is on the token's page.
    list_display = (
        "user_tokens",
        "browser",
        "ip_address",
        "last_used",
        "expires",
        "state_display",
    )
    list_filter = (
        StateListFilter,
        "revoke_reason",
        ("device_bound_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("user",)
    fields = DISPLAY_FIELDS
    readonly_fields = DISPLAY_FIELDS
    actions = ("revoke_selected", "revoke_users")
    ordering = ("-last_used_at",)

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        # Any user model: its USERNAME_FIELD, and its email field if it has one.
        user_model = get_user_model()
        fields = [f"user__{user_model.USERNAME_FIELD}"]
        try:
            email = user_model.get_email_field_name()
            user_model._meta.get_field(email)
        except (AttributeError, FieldDoesNotExist):
            return fields
        if email != user_model.USERNAME_FIELD:
            fields.append(f"user__{email}")
        return fields

    @admin.display(description=_("last used"), ordering="last_used_at")
    def last_used(self, token: RememberToken) -> str:
        return moment(token.last_used_at)

    @admin.display(description=_("expires"), ordering="expires_at")
    def expires(self, token: RememberToken) -> str:
        return moment(token.ends_at())

    @admin.display(description=_("user"), ordering="user")
    def user_tokens(self, token: RememberToken) -> str:
        """Link the user to all of their tokens (the changelist filtered on them)."""
        url = reverse(
            f"{self.admin_site.name}:{token._meta.app_label}_{token._meta.model_name}_changelist"
        )
        return format_html(
            '<a href="{}?user__id__exact={}">{}</a>', url, token.user_id, token.user
        )

    def lookup_allowed(self, lookup: str, value: Any, request: HttpRequest | None = None) -> bool:
        """
        Refuse every query-string lookup outside :data:`FILTERABLE_FIELDS`.

        A refused lookup makes Django answer 400 (``DisallowedModelAdminLookup``),
        the same for every value, so the refusal itself leaks nothing. Lookups
        through the user (``user__password__...``) are left to Django, which
        allows only the user's key and what ``list_filter`` names.
        """
        if lookup == StateListFilter.parameter_name:
            return True
        if lookup.split(LOOKUP_SEP, 1)[0] not in FILTERABLE_FIELDS:
            return False
        if django.VERSION < (5, 0):  # no request argument before Django 5.0
            return bool(super().lookup_allowed(lookup, value))  # type: ignore[call-arg]
        return bool(super().lookup_allowed(lookup, value, request))  # type: ignore[arg-type]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{REVOKE_PERMISSION}")

    # The token's own page: a revoke button (POST, with the permission).

    def get_urls(self) -> list[URLPattern]:
        opts = self.opts
        return [
            path(
                "<path:object_id>/revoke/",
                self.admin_site.admin_view(self.revoke_view),
                name=f"{opts.app_label}_{opts.model_name}_revoke",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        token = self.get_object(request, unquote(object_id))
        context = {
            **(extra_context or {}),
            "can_revoke": token is not None
            and token.revoked_at is None
            and self.has_revoke_permission(request),
        }
        return super().change_view(request, object_id, form_url, context)

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Revoke one token from its page, recorded in the admin log like the actions."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_revoke_permission(request):
            raise PermissionDenied
        token = self.get_object(request, unquote(object_id))
        if token is None:
            raise Http404
        self._revoke(request, RememberToken.objects.for_write().filter(pk=token.pk))
        opts = self.opts
        return redirect(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", token.pk
        )

    @admin.action(permissions=["revoke"], description=_("Revoke selected tokens"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[RememberToken]) -> None:
        self._revoke(request, queryset)

    @admin.action(permissions=["revoke"], description=_("Revoke all tokens of these users"))
    def revoke_users(self, request: HttpRequest, queryset: QuerySet[RememberToken]) -> None:
        users = queryset.values("user_id")
        self._revoke(request, RememberToken.objects.for_write().filter(user_id__in=users))

    def _revoke(self, request: HttpRequest, queryset: QuerySet[RememberToken]) -> None:
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            # One at a time, so each revocation is logged once, by whoever
            # made it (a concurrent revocation returns False here).
            if token.revoke(RevokeReason.ADMIN, request=request):
                revoked += 1
                self.log_change(request, token, gettext("Revoked the remember-me token."))
        text = ngettext(
            "%(count)d remember-me token was revoked.",
            "%(count)d remember-me tokens were revoked.",
            revoked,
        ) % {"count": revoked}
        wait = session_keys.revocation_wait()
        if revoked and wait is not None:
            # Signed-cookie sessions end at their next revalidation only.
            text += " " + gettext("Their browsers will be signed out %(within)s.") % {
                "within": wait
            }
        self.message_user(request, text, messages.SUCCESS if revoked else messages.INFO)


class RememberTokenInline(_TokenDisplay, admin.TabularInline):  # type: ignore[type-arg]
    """
    A read-only list of a user's tokens for the user's admin page. Not
    added automatically, so projects with their own user admin keep it as
    it is; add it with ``inlines = [..., RememberTokenInline]``.
    """

    model = RememberToken
    fk_name = "user"
    fields = ("browser", "ip_address", "created_at", "last_used_at", "expires_at", "state_display")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    ordering = ("-last_used_at",)
    verbose_name_plural = _("remembered browsers")
