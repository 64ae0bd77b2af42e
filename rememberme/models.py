"""The remember-me token: one row per remembered browser (a "series")."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .internal.crypto import (
    BACKEND_DIGEST_LENGTH,
    FULL_FINGERPRINT_LENGTH,
    PACKED_HASH_MAX_LENGTH,
    SELECTOR_DIGEST_LENGTH,
    backend_digest,
)
from .internal.lifetime import TokenEnds, expired_condition, grace_open, token_ends
from .internal.managers import RememberTokenManager, RememberTokenQuerySet
from .internal.session_keys import SEALED_MAX_LENGTH
from .signals import RevokeReason

if TYPE_CHECKING:
    from django.http import HttpRequest

# RevokeReason, the lifetime rule and the queryset are at home in signals,
# lifetime and managers, and named here too, beside the model they serve.
__all__ = [
    "RememberToken",
    "RememberTokenManager",
    "RememberTokenQuerySet",
    "RevokeReason",
    "TokenEnds",
    "expired_condition",
    "token_ends",
]


class RememberToken(models.Model):
    #: What is kept of a browser's user agent: enough to tell browsers apart
    #: on the devices page (the common ones are 100-150 characters), bounded
    #: so that a client cannot widen every row the purge has to move.
    USER_AGENT_MAX_LENGTH: ClassVar[int] = 256

    #: The selector this instance was found by or issued with; never stored.
    selector: str | None = None

    # Column order: PostgreSQL aligns each fixed-width value to its width,
    # padding before it, so the 8-byte columns (the key and the times) come
    # first, then the user key (4 bytes for an integer key, 8 for a bigint:
    # aligned either way), then the 1-byte flag, then the variable-length
    # columns (under 127 bytes they take a 1-byte header and no alignment).
    # The earlier order padded each row by up to 17 bytes. The table's order
    # is 0001_initial's, which lists the fields in this order: makemigrations
    # puts a foreign key last, so keep it after the times when regenerating
    # (tests/test_row_format.py checks). The admin and the devices page name
    # their fields, so this order shows nowhere.
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), default=timezone.now, editable=False)
    rotated_at = models.DateTimeField(_("rotated"), default=timezone.now, editable=False)
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
    # When a browser bound this series to a key on its device (dbsc.py);
    # None for a series no key guards.
    device_bound_at = models.DateTimeField(
        _("bound to device"), null=True, blank=True, editable=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="remember_tokens",
        verbose_name=_("user"),
    )
    # Whether the browser showed that the last rotation's response reached
    # it (RememberTokenQuerySet.record_arrival): from then on the replaced verifier, once
    # its grace window is over, is theft even from a session that was
    # accepted with it in the window.
    rotation_arrived = models.BooleanField(_("rotation arrived"), default=False, editable=False)
    # The selector itself is not stored, only crypto.selector_digest() of it
    # (20 bytes): a copy of the table must not hold values that can be
    # presented as a cookie, even a wrong one (a known selector with a wrong
    # verifier is theft, which signs the user out everywhere). Unique by a
    # Meta constraint, not unique=True: see Meta.constraints.
    selector_digest = models.BinaryField(
        _("selector digest"), max_length=SELECTOR_DIGEST_LENGTH, editable=False
    )
    # Packed Argon2id hashes (crypto.hash_verifier(), 36 bytes; 60 for hashes
    # made before the salt and tag were narrowed) and raw digests (16 and 8
    # bytes), not encoded strings: these bytes are in every row the purge
    # moves.
    verifier_hash = models.BinaryField(
        _("verifier hash"), max_length=PACKED_HASH_MAX_LENGTH, editable=False
    )
    previous_verifier_hash = models.BinaryField(
        _("previous verifier hash"),
        max_length=PACKED_HASH_MAX_LENGTH,
        blank=True,
        default=b"",
        editable=False,
    )
    # 16 bytes (crypto.FINGERPRINT_LENGTH); tokens issued before the
    # truncation hold the whole 32-byte HMAC, which still matches.
    password_fingerprint = models.BinaryField(
        _("password fingerprint"), max_length=FULL_FINGERPRINT_LENGTH, editable=False
    )
    backend_digest = models.BinaryField(
        _("authentication backend digest"), max_length=BACKEND_DIGEST_LENGTH, editable=False
    )
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

    # The key of the live session the token last created or restored,
    # sealed with the SECRET_KEY (session_keys.seal): a revocation deletes
    # that session at once. Sealed because a session key alone is a usable
    # session cookie, and a copy of this table must grant no sign-in.
    session_key_sealed = models.BinaryField(
        _("sealed session key"),
        max_length=SEALED_MAX_LENGTH,
        blank=True,
        default=b"",
        editable=False,
    )
    # Device binding (dbsc.py): the public key the browser registered (DER
    # SubjectPublicKeyInfo, 91 bytes for P-256; empty while unbound), and
    # the digest of the one refresh challenge outstanding (empty when none).
    device_key = models.BinaryField(
        _("device public key"), max_length=600, blank=True, default=b"", editable=False
    )
    device_challenge = models.BinaryField(
        _("device challenge digest"), max_length=32, blank=True, default=b"", editable=False
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
        # The admin's title for the row: the browser in words, not a raw
        # user-agent header, and the id that tells two alike apart.
        from .internal.useragents import describe

        return _("%(browser)s (token %(id)s)") % {
            "browser": describe(self.user_agent).label,
            "id": self.pk,
        }

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

    def in_grace(self, now: datetime.datetime) -> bool:
        """
        Return whether the verifier this token's last rotation replaced is
        still accepted at ``now`` (a token merely issued replaced none).
        """
        return bool(self.previous_verifier_hash) and grace_open(self.rotated_at, now)

    @property
    def is_device_bound(self) -> bool:
        """Return whether a browser bound this series to a key on its device."""
        return bool(self.device_key)

    def revoke(self, reason: str, *, request: HttpRequest | None = None) -> bool:
        """Revoke this token; return whether it was still unrevoked."""
        tokens = RememberToken.objects.for_write(instance=self).filter(pk=self.pk)
        revoked = tokens.revoke(reason, request=request)
        if revoked:
            self.refresh_from_db(using=tokens.db)
        return bool(revoked)
