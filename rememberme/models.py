"""The remember-me token: one row per remembered browser (a "series")."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import signals
from .conf import app_settings
from .crypto import CookieValue, hash_verifier, new_cookie_value, password_fingerprint

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.http import HttpRequest
    from django.utils.functional import _StrOrPromise as StrOrPromise

__all__ = ["RememberToken", "RevokeReason"]


class RevokeReason:
    """
    Why a token was revoked: the ``reason`` of ``token_revoked``.

    Plain ``str`` constants rather than ``TextChoices``, whose tuple-valued
    members type checkers read as tuples; ``choices`` serves the model field.
    """

    LOGOUT: Final = "logout"
    LOGOUT_ALL: Final = "logout_all"
    ADMIN: Final = "admin"
    USER: Final = "user"
    PASSWORD_CHANGE: Final = "password_change"  # noqa: S105 (a reason, not a password)
    THEFT: Final = "theft"
    EXPIRED: Final = "expired"
    INACTIVE: Final = "inactive"

    choices: Final[list[tuple[str, StrOrPromise]]] = [
        (LOGOUT, _("Signed out")),
        (LOGOUT_ALL, _("Signed out everywhere")),
        (ADMIN, _("Revoked by an administrator")),
        (USER, _("Revoked by the user")),
        (PASSWORD_CHANGE, _("Password changed")),
        (THEFT, _("Theft detected")),
        (EXPIRED, _("Expired")),
        (INACTIVE, _("User deactivated")),
    ]
    values: Final[tuple[str, ...]] = tuple(value for value, _label in choices)

    @classmethod
    def label(cls, value: str) -> StrOrPromise:
        """Return the human-readable label of ``value``."""
        return dict(cls.choices).get(value, value)


def token_lifetimes(
    user: Any = None,
) -> tuple[datetime.timedelta, datetime.timedelta | None]:
    """
    Return the idle and absolute lifetimes of ``user``'s tokens: by
    ``REMEMBERME_POLICY``'s rules for ``user``, the settings without one.
    """
    if user is None:
        return app_settings.TOKEN_AGE, app_settings.TOKEN_MAX_AGE
    from .policy import get_policy

    policy = get_policy()
    return policy.token_age(user), policy.token_max_age(user)


def compute_expiry(
    *, last_used_at: datetime.datetime, created_at: datetime.datetime, user: Any = None
) -> datetime.datetime:
    """
    Return when a token dies: the earlier of its idle and absolute expiry,
    by ``REMEMBERME_POLICY``'s rules for ``user`` (the settings without one).
    """
    age, max_age = token_lifetimes(user)
    expires_at = last_used_at + age
    if max_age is not None:
        expires_at = min(expires_at, created_at + max_age)
    return expires_at


class RememberTokenQuerySet(models.QuerySet["RememberToken"]):
    def active(self, now: datetime.datetime | None = None) -> RememberTokenQuerySet:
        """Return the tokens that can still restore a session."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def revoke(self, reason: str, *, request: HttpRequest | None = None) -> int:
        """
        Revoke every token of this queryset that is not revoked yet, send
        ``token_revoked`` for each, and return how many were revoked.

        The saved secrets and persistent session values go with the
        revocation: a revoked token never verifies again, so there is no
        reason to keep anything derived from its secret.
        """
        now = timezone.now()
        tokens = list(self.filter(revoked_at__isnull=True).select_related("user"))
        if not tokens:
            return 0
        # The condition on revoked_at makes a concurrent revocation count
        # (and signal) once: only the rows this statement changed are ours.
        revoked = RememberToken.objects.filter(
            pk__in=[token.pk for token in tokens], revoked_at__isnull=True
        ).update(
            revoked_at=now,
            revoke_reason=reason,
            verifier_hash="",
            previous_verifier_hash="",
            session_data={},
        )
        for token in tokens:
            token.revoked_at = now
            token.revoke_reason = reason
            token.verifier_hash = token.previous_verifier_hash = ""
            token.session_data = {}
            signals.token_revoked.send(
                sender=RememberToken, request=request, user=token.user, token=token, reason=reason
            )
        return revoked


class RememberTokenManager(models.Manager.from_queryset(RememberTokenQuerySet)):  # type: ignore[misc]
    def issue(
        self,
        user: AbstractBaseUser,
        *,
        backend: str,
        user_agent: str = "",
        ip_address: str | None = None,
        session_data: dict[str, Any] | None = None,
        second_factor_device: str = "",
        request: HttpRequest | None = None,
    ) -> tuple[RememberToken, CookieValue]:
        """
        Create a token for ``user`` and return it with its cookie value.

        This is the only time the plain verifier exists on the server: the
        row keeps its Argon2id hash, the caller puts the value in a cookie.
        Beyond ``REMEMBERME_MAX_TOKENS_PER_USER`` active tokens, the least
        recently used ones are revoked (reason ``expired``).
        """
        now = timezone.now()
        value = new_cookie_value()
        # Hash outside the transaction: nothing slow while a lock is held.
        verifier_hash = hash_verifier(value.verifier)
        cap = app_settings.MAX_TOKENS_PER_USER
        with transaction.atomic(using=self.db):
            if cap is not None:
                self._lock_user(user)
            token = self.create(
                user=user,
                selector=value.selector,
                verifier_hash=verifier_hash,
                password_fingerprint=password_fingerprint(user.password),
                backend=backend,
                created_at=now,
                last_used_at=now,
                rotated_at=now,
                expires_at=compute_expiry(last_used_at=now, created_at=now, user=user),
                user_agent=user_agent[: RememberToken.USER_AGENT_MAX_LENGTH],
                ip_address=ip_address,
                session_data=session_data or {},
                second_factor_device=second_factor_device,
            )
            if cap is not None:
                self._enforce_cap(user, cap, now, request)
        return token, value

    def _lock_user(self, user: AbstractBaseUser) -> None:
        # Two logins of one user at once must not both count the tokens
        # before either inserts (each would leave one too many). Locking the
        # user's row serialises them on PostgreSQL: the second one's count,
        # taken after the first commits, sees the first one's token. SQLite
        # needs no lock, and must not read first: its writers are already
        # serialised from the INSERT on, and a read before it would make
        # the later write fail rather than wait.
        if connections[self.db].features.has_select_for_update:
            # user._meta, not type(user): request.user is a SimpleLazyObject.
            users = user._meta.model._default_manager.db_manager(self.db)
            list(users.select_for_update().filter(pk=user.pk).values_list("pk", flat=True))

    def _enforce_cap(
        self,
        user: AbstractBaseUser,
        cap: int,
        now: datetime.datetime,
        request: HttpRequest | None,
    ) -> None:
        tokens = self.active(now).filter(user_id=user.pk).order_by("-last_used_at", "-pk")
        alive = [token.pk for token in tokens if not token.is_expired(now)]
        if len(alive) > cap:
            # "expired": retired for disuse by a lifetime rule, like idle
            # expiry; not something the user or an administrator did.
            self.filter(pk__in=alive[cap:]).revoke(RevokeReason.EXPIRED, request=request)


class RememberToken(models.Model):
    USER_AGENT_MAX_LENGTH: ClassVar[int] = 512

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="remember_tokens",
        verbose_name=_("user"),
    )
    # Unique by a Meta constraint, not unique=True: see Meta.constraints.
    selector = models.CharField(_("selector"), max_length=32, editable=False)
    verifier_hash = models.CharField(_("verifier hash"), max_length=255, editable=False)
    previous_verifier_hash = models.CharField(
        _("previous verifier hash"), max_length=255, blank=True, default="", editable=False
    )
    password_fingerprint = models.CharField(
        _("password fingerprint"), max_length=64, editable=False
    )
    backend = models.CharField(_("authentication backend"), max_length=255, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), default=timezone.now, editable=False)
    rotated_at = models.DateTimeField(_("rotated"), default=timezone.now, editable=False)
    # No index of their own on expires_at and revoked_at: every query on
    # them starts from the user (devices page, token cap) or is an admin
    # filter over the whole table, and each index costs every delete on
    # SQLite. The purge uses the partial index in Meta.indexes.
    expires_at = models.DateTimeField(_("expires"), editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoke_reason = models.CharField(
        _("revocation reason"), max_length=32, choices=RevokeReason.choices, blank=True
    )
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    session_data = models.JSONField(
        _("persistent session data"), default=dict, blank=True, editable=False
    )
    # django-otp's persistent id of the device that verified the session the
    # token was issued in; kept only with REMEMBERME_TRUST_SECOND_FACTOR.
    second_factor_device = models.CharField(
        _("second-factor device"), max_length=255, blank=True, default="", editable=False
    )

    objects = RememberTokenManager()

    class Meta:
        verbose_name = _("remember-me token")
        verbose_name_plural = _("remember-me tokens")
        ordering = ["-last_used_at"]
        permissions = [("revoke_remembertoken", _("Can revoke remember-me tokens"))]
        constraints = [
            # Rather than unique=True, with which PostgreSQL also gets a
            # varchar_pattern_ops copy of the index, for LIKE queries that
            # nothing runs. The restore's "selector = %s" uses this one.
            models.UniqueConstraint(fields=["selector"], name="rememberme_selector_unique"),
        ]
        indexes = [
            # Only revoked rows, by key: the purge finds the old revocations
            # in each window of keys without reading the window, and expired
            # rows (the bulk of what it deletes) are in no index to update.
            models.Index(
                fields=["id"],
                condition=models.Q(revoked_at__isnull=False),
                name="rememberme_revoked_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.user_agent[:60] or _('unknown browser')}"

    def __repr__(self) -> str:
        # Nothing that is or leads to a secret: no selector, no hashes.
        return f"<RememberToken pk={self.pk} user_id={self.user_id}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.expires_at is None:
            self.expires_at = compute_expiry(
                last_used_at=self.last_used_at, created_at=self.created_at
            )
        super().save(*args, **kwargs)

    def _loaded_user(self) -> Any:
        # The policy's per-user ages apply where the user is at hand; a
        # query per token (an admin list) is not worth it: expires_at was
        # computed with them at the last use anyway.
        return self.user if RememberToken.user.is_cached(self) else None

    @property
    def absolute_expires_at(self) -> datetime.datetime | None:
        """Return when the series ends whatever its use, or ``None``."""
        _age, max_age = token_lifetimes(self._loaded_user())
        return None if max_age is None else self.created_at + max_age

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        """
        Return whether the token is past its idle or absolute lifetime.

        ``expires_at`` was computed with the settings in force when the token
        was last used; the current settings are applied too, so shortening a
        lifetime takes effect at once rather than at each token's next use.
        """
        return (now or timezone.now()) >= self.ends_at()

    def ends_at(self) -> datetime.datetime:
        """
        Return when the token dies unless used again: the earlier of the
        stored ``expires_at`` and the expiry the current rules give it.
        """
        current = compute_expiry(
            last_used_at=self.last_used_at, created_at=self.created_at, user=self._loaded_user()
        )
        return min(self.expires_at, current)

    @property
    def state(self) -> str:
        """Return ``"revoked"``, ``"expired"`` or ``"active"``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired() else "active"

    def revoke(self, reason: str, *, request: HttpRequest | None = None) -> bool:
        """Revoke this token; return whether it was still unrevoked."""
        revoked = RememberToken.objects.filter(pk=self.pk).revoke(reason, request=request)
        if revoked:
            self.refresh_from_db()
        return bool(revoked)
