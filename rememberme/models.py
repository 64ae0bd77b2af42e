"""The remember-me token: one row per remembered browser (a "series")."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final, NamedTuple

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import signals
from .conf import app_settings
from .crypto import (
    BACKEND_DIGEST_LENGTH,
    SELECTOR_DIGEST_LENGTH,
    CookieValue,
    backend_digest,
    hash_verifier,
    new_cookie_value,
    password_fingerprint,
    selector_digest,
)
from .policy import get_policy

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.http import HttpRequest
    from django.utils.functional import _StrOrPromise as StrOrPromise

__all__ = ["RememberToken", "RevokeReason", "TokenEnds", "expired_condition", "token_ends"]


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


class TokenEnds(NamedTuple):
    """When a token dies unless used again, and when it dies whatever its use."""

    expires_at: datetime.datetime
    absolute_expires_at: datetime.datetime | None


def token_ends(
    user: Any, *, created_at: datetime.datetime, last_used_at: datetime.datetime
) -> TokenEnds:
    """
    Return a token's ends by ``REMEMBERME_POLICY``'s lifetimes for ``user``
    (the settings, without a policy): the idle end, capped by the absolute
    end counted from the original login.

    The one lifetime rule. It runs when a token is issued and at every
    rotation, where the user is at hand, and its result is stored on the
    row; everything else (the restore, the purge, the devices page, the
    admin's filters, the token cap, the status endpoint) compares the
    stored ``expires_at`` with the time, in Python (:meth:`RememberToken.is_expired`)
    or in SQL (:func:`expired_condition`). A change of the settings or of
    the policy therefore reaches each token at its next use, never before:
    otherwise the purge, which cannot ask a policy about each row, would
    delete tokens that the restore still accepts, or the devices page would
    hide tokens that can still sign in.
    """
    policy = get_policy()
    max_age = policy.token_max_age(user)
    absolute = None if max_age is None else created_at + max_age
    expires_at = last_used_at + policy.token_age(user)
    if absolute is not None:
        expires_at = min(expires_at, absolute)
    return TokenEnds(expires_at, absolute)


def expired_condition(now: datetime.datetime) -> Q:
    """Return the SQL form of :meth:`RememberToken.is_expired` at ``now``."""
    return Q(expires_at__lte=now)


class RememberTokenQuerySet(models.QuerySet["RememberToken"]):
    def for_write(self, instance: models.Model | None = None) -> RememberTokenQuerySet:
        """
        Return this queryset reading from the database that writes tokens.

        Django sends reads to ``router.db_for_read()``: on a site with read
        replicas, a database some transactions behind. A read that decides
        something (a restore, a rotation, a revalidation, a revocation, the
        token cap's count) must see the latest row, or the owner's newest
        cookie looks like a replaced one and is taken for theft. So it asks
        ``router.db_for_write()``, as ``select_for_update()`` does, with this
        queryset's hints (a related manager's) plus ``instance``; an explicit
        ``using()`` still wins. ``.db`` of the result names that database.
        """
        clone = self.all()
        clone._for_write = True
        if instance is not None:
            clone._hints = {**clone._hints, "instance": instance}
        return clone

    def active(self, now: datetime.datetime | None = None) -> RememberTokenQuerySet:
        """Return the tokens that can still restore a session."""
        return self.filter(revoked_at__isnull=True).exclude(
            expired_condition(now or timezone.now())
        )

    def find(self, selector: str) -> RememberToken | None:
        """
        Return the token of ``selector`` (one indexed query by its digest),
        or ``None``; the instance remembers the selector it was found by.
        """
        try:
            token = self.get(selector_digest=selector_digest(selector))
        except RememberToken.DoesNotExist:
            return None
        token.selector = selector
        return token

    def by_selector(self, selector: str) -> RememberTokenQuerySet:
        """Return the tokens (none or one) of ``selector``, by its digest."""
        return self.filter(selector_digest=selector_digest(selector))

    def revoke(self, reason: str, *, request: HttpRequest | None = None) -> int:
        """
        Revoke every token of this queryset that is not revoked yet, send
        ``token_revoked`` for each, and return how many were revoked.

        The saved secrets and persistent session values go with the
        revocation: a revoked token never verifies again, so there is no
        reason to keep anything derived from its secret.
        """
        now = timezone.now()
        tokens = list(self.for_write().filter(revoked_at__isnull=True).select_related("user"))
        if reason in (RevokeReason.LOGOUT_ALL, RevokeReason.ADMIN, RevokeReason.THEFT):
            # A browser forgotten while its session stays signed in keeps
            # that session linked to the revoked token: stamping the token
            # again ends the session at its next check (sessions.mark_forgotten).
            self.filter(
                revoked_at__isnull=False,
                revoke_reason__in=(RevokeReason.LOGOUT, RevokeReason.USER),
            ).update(revoked_at=now)
        if not tokens:
            return 0
        # The condition on revoked_at makes a concurrent revocation count
        # (and signal) once: only the rows this statement changed are ours.
        revoked = RememberToken.objects.filter(
            pk__in=[token.pk for token in tokens], revoked_at__isnull=True
        ).update(
            revoked_at=now,
            revoke_reason=reason,
            verifier_hash=b"",
            previous_verifier_hash=b"",
            session_data={},
        )
        for token in tokens:
            token.revoked_at = now
            token.revoke_reason = reason
            token.verifier_hash = token.previous_verifier_hash = b""
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
        # The transaction, the lock and the cap's count on the database that
        # writes tokens (a manager's self.db is the one that reads them).
        writer = self.db_manager(self.for_write(instance=user).db)
        with transaction.atomic(using=writer.db):
            if cap is not None:
                writer._lock_user(user)
            token = writer.create(
                user=user,
                selector_digest=selector_digest(value.selector),
                verifier_hash=verifier_hash,
                password_fingerprint=password_fingerprint(user.password),
                backend_digest=backend_digest(backend),
                created_at=now,
                last_used_at=now,
                rotated_at=now,
                **token_ends(user, created_at=now, last_used_at=now)._asdict(),
                user_agent=user_agent[: RememberToken.USER_AGENT_MAX_LENGTH],
                ip_address=ip_address,
                session_data=session_data or {},
                second_factor_device=second_factor_device,
            )
            token.selector = value.selector
            if cap is not None:
                writer._enforce_cap(user, cap, now, request)
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
        alive = list(tokens.values_list("pk", flat=True))
        if len(alive) > cap:
            # "expired": retired for disuse by a lifetime rule, like idle
            # expiry; not something the user or an administrator did.
            self.filter(pk__in=alive[cap:]).revoke(RevokeReason.EXPIRED, request=request)


class RememberToken(models.Model):
    #: What is kept of a browser's user agent: enough to tell browsers apart
    #: on the devices page (the common ones are 100-150 characters), bounded
    #: so that a client cannot widen every row the purge has to move.
    USER_AGENT_MAX_LENGTH: ClassVar[int] = 256

    #: The selector this instance was found by or issued with; never stored.
    selector: str | None = None

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="remember_tokens",
        verbose_name=_("user"),
    )
    # The selector itself is not stored, only crypto.selector_digest() of it:
    # a copy of the table must not hold values that can be presented as a
    # cookie, even a wrong one (a known selector with a wrong verifier is
    # theft, which signs the user out everywhere). Unique by a Meta
    # constraint, not unique=True: see Meta.constraints.
    selector_digest = models.BinaryField(
        _("selector digest"), max_length=SELECTOR_DIGEST_LENGTH, editable=False
    )
    # Packed Argon2id hashes (crypto.pack_hash(), 60 bytes) and raw digests
    # (32 and 8 bytes), not encoded strings: these bytes are in every row
    # the purge moves.
    verifier_hash = models.BinaryField(_("verifier hash"), max_length=128, editable=False)
    previous_verifier_hash = models.BinaryField(
        _("previous verifier hash"), max_length=128, blank=True, default=b"", editable=False
    )
    password_fingerprint = models.BinaryField(
        _("password fingerprint"), max_length=32, editable=False
    )
    backend_digest = models.BinaryField(
        _("authentication backend digest"), max_length=BACKEND_DIGEST_LENGTH, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), default=timezone.now, editable=False)
    rotated_at = models.DateTimeField(_("rotated"), default=timezone.now, editable=False)
    # Whether the browser showed that the last rotation's response reached
    # it (tokens.record_arrival): from then on the replaced verifier, once
    # its grace window is over, is theft even from a session that was
    # accepted with it in the window.
    rotation_arrived = models.BooleanField(_("rotation arrived"), default=False, editable=False)
    # The ends token_ends() gave the token at its last issue or rotation:
    # the one lifetime rule that every reader applies. No index of their own
    # on expires_at and revoked_at: every query on them starts from the user
    # (devices page, token cap) or is an admin filter over the whole table,
    # and each index costs every delete on SQLite. The purge walks the
    # table by key and uses the partial index in Meta.indexes.
    expires_at = models.DateTimeField(_("expires"), editable=False)
    absolute_expires_at = models.DateTimeField(
        _("absolute expiry"), null=True, blank=True, editable=False
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoke_reason = models.CharField(
        _("revocation reason"), max_length=32, choices=RevokeReason.choices, blank=True
    )
    user_agent = models.CharField(_("user agent"), max_length=USER_AGENT_MAX_LENGTH, blank=True)
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
            # Rather than unique=True, so that the index has a stable name.
            # The restore's "selector_digest = %s" uses this one.
            models.UniqueConstraint(
                fields=["selector_digest"], name="rememberme_selector_digest_unique"
            ),
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
            ends = token_ends(
                self.user, created_at=self.created_at, last_used_at=self.last_used_at
            )
            self.expires_at, self.absolute_expires_at = ends
        super().save(*args, **kwargs)

    @property
    def backend(self) -> str:
        """
        Return the dotted path of the backend that signed the user in at the
        original password login, or ``""`` once it is no longer configured.
        """
        stored = bytes(self.backend_digest or b"")
        return next(
            (path for path in settings.AUTHENTICATION_BACKENDS if backend_digest(path) == stored),
            "",
        )

    @backend.setter
    def backend(self, path: str) -> None:
        self.backend_digest = backend_digest(path)

    def is_expired(self, now: datetime.datetime | None = None) -> bool:
        """Return whether the token is past its idle or absolute end (:func:`token_ends`)."""
        return (now or timezone.now()) >= self.ends_at()

    def ends_at(self) -> datetime.datetime:
        """Return when the token dies unless used again."""
        return self.expires_at

    @property
    def state(self) -> str:
        """Return ``"revoked"``, ``"expired"`` or ``"active"``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.is_expired() else "active"

    def revoke(self, reason: str, *, request: HttpRequest | None = None) -> bool:
        """Revoke this token; return whether it was still unrevoked."""
        tokens = RememberToken.objects.for_write(instance=self).filter(pk=self.pk)
        revoked = tokens.revoke(reason, request=request)
        if revoked:
            self.refresh_from_db(using=tokens.db)
        return bool(revoked)
