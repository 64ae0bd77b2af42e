"""
The token's queryset and manager: finding a token by its selector,
revoking, and issuing with the per-user cap.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db import connections, models, router, transaction
from django.utils import timezone

from ..signals import RevokeReason, token_revoked
from . import session_keys
from .conf import app_settings
from .cookie import CookieValue, new_cookie_value
from .crypto import backend_digest, hash_verifier, password_fingerprint, selector_digest
from .lifetime import expired_condition, token_ends

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.http import HttpRequest

    from ..models import RememberToken

__all__ = ["RememberTokenManager", "RememberTokenQuerySet", "end_revoked_sessions", "lock_user"]


def lock_user(user: Any, using: str) -> None:
    """
    Lock ``user``'s row on ``using`` for the rest of the transaction, where
    the database has row locks and keeps the user model's table.

    Everything that writes both a user and their tokens takes this lock
    first (a restore's sign-in, ``issue()`` under a token cap, a password
    change), so that no two of them take the two rows in opposite orders
    and deadlock, and two logins of one user cannot both count the tokens
    before either inserts. ``FOR NO KEY UPDATE`` where the database has it
    conflicts with itself, which serialises them, and is what the
    ``last_login`` UPDATE takes anyway, while inserts that refer to the user
    (a token, a session row) go on. SQLite has no row locks, and there a
    transaction must not read before its first write: a read upgraded to a
    write fails at once with "database is locked" where a write waits.
    """
    features = connections[using].features
    # user._meta, not type(user): request.user is a SimpleLazyObject.
    user_model = user._meta.model
    if features.has_select_for_update and router.db_for_write(user_model, instance=user) == using:
        locked = user_model._base_manager.using(using).select_for_update(
            no_key=features.has_select_for_no_key_update
        )
        list(locked.filter(pk=user.pk).values_list("pk", flat=True))


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
        except self.model.DoesNotExist:
            return None
        token.selector = selector
        return token

    def record_arrival(self, token_id: int, rotated_at: datetime.datetime) -> bool:
        """
        Record that the response of ``token_id``'s rotation made at
        ``rotated_at`` arrived; return whether the token is still at that
        rotation (or revoked) rather than rotated since.
        """
        if self.filter(pk=token_id, rotated_at=rotated_at, rotation_arrived=False).update(
            rotation_arrived=True
        ):
            return True
        return (
            not self.for_write()
            .filter(pk=token_id, rotated_at__gt=rotated_at, revoked_at__isnull=True)
            .exists()
        )

    def revoke(self, reason: str, *, request: HttpRequest | None = None) -> int:
        """
        Revoke every token of this queryset that is not revoked yet, send
        ``token_revoked`` for each, end the live sessions they made (see
        :func:`end_revoked_sessions`), and return how many were revoked.

        The saved secrets and persistent session values go with the
        revocation: a revoked token never verifies again, so there is no
        reason to keep anything derived from its secret.
        """
        now = timezone.now()
        tokens = list(self.for_write().filter(revoked_at__isnull=True).select_related("user"))
        ending: list[RememberToken] = []
        if reason in (RevokeReason.LOGOUT_ALL, RevokeReason.ADMIN, RevokeReason.THEFT):
            # A browser forgotten while its session stays signed in keeps
            # that session linked to the revoked token: stamping the token
            # again ends the session at its next check (sessions.mark_forgotten),
            # and at once where its engine keeps it server-side.
            forgotten = self.for_write().filter(
                revoked_at__isnull=False,
                revoke_reason__in=(RevokeReason.LOGOUT, RevokeReason.USER),
            )
            ending += [
                token for token in forgotten.select_related("user") if token.session_key_sealed
            ]
            forgotten.update(revoked_at=now)
        if tokens:
            # The condition on revoked_at makes a concurrent revocation count
            # (and signal) once: only the rows this statement changed are ours.
            revoked = self.model._default_manager.filter(
                pk__in=[token.pk for token in tokens], revoked_at__isnull=True
            ).update(
                revoked_at=now,
                revoke_reason=reason,
                verifier_hash=b"",
                previous_verifier_hash=b"",
                session_data={},
            )
            if revoked != len(tokens):
                # Some were revoked by a concurrent statement, which signals them.
                pks = [token.pk for token in tokens]
                ours = set(
                    self.model._default_manager.db_manager(self.for_write().db)
                    .filter(pk__in=pks, revoked_at=now, revoke_reason=reason)
                    .values_list("pk", flat=True)
                )
                tokens = [token for token in tokens if token.pk in ours]
        else:
            revoked = 0
        ending += tokens
        end_revoked_sessions(ending, reason, request=request, using=self.for_write().db)
        for token in tokens:
            token.revoked_at = now
            token.revoke_reason = reason
            token.verifier_hash = token.previous_verifier_hash = b""
            token.session_data = {}
            token_revoked.send(
                sender=self.model, request=request, user=token.user, token=token, reason=reason
            )
        return revoked


def end_revoked_sessions(
    tokens: list[RememberToken],
    reason: str,
    *,
    request: HttpRequest | None,
    using: str,
) -> None:
    """
    Once the revocation of ``tokens`` commits, delete the live sessions they
    made where the session engine keeps them server-side. ``session_ended``
    (reason ``revoked``) is sent when that browser comes back, with its
    request, so that the page can tell it why (``restore.restore``).

    Not for a password change: Django itself ends every other session of
    the user at its very next request (their auth hash no longer matches),
    on every engine, and keeps the one that made the change
    (``update_session_auth_hash()``). Nor the request's own session: a
    browser forgotten on this request stays signed in (``forget()``), and a
    logout ends its session by itself. A signed-cookie session has nothing
    to delete: it ends at its next revalidation.
    """
    if reason == RevokeReason.PASSWORD_CHANGE or not session_keys.server_side():
        return
    session = getattr(request, "session", None)
    own = session.session_key if session is not None else None
    keys = {session_keys.unseal(token.session_key_sealed, token.user_id) for token in tokens}
    keys -= {None, own}
    if keys:
        # After the commit: a revocation rolled back ends nothing, and the
        # session store is never written inside the token's transaction.
        ended = sorted(key for key in keys if key is not None)
        transaction.on_commit(lambda: session_keys.end_sessions(ended), using=using)


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
        session_key: str | None = None,
        request: HttpRequest | None = None,
    ) -> tuple[RememberToken, CookieValue]:
        """
        Create a token for ``user`` and return it with its cookie value.

        This is the only time the plain verifier exists on the server: the
        row keeps its Argon2id hash, the caller puts the value in a cookie.
        Beyond ``REMEMBERME_MAX_TOKENS_PER_USER`` active tokens, the least
        recently used ones are revoked (reason ``expired``). ``session_key``
        names the session the token is issued in, which its revocation ends.
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
                lock_user(user, writer.db)
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
                user_agent=user_agent[: self.model.USER_AGENT_MAX_LENGTH],
                ip_address=ip_address,
                session_data=session_data or {},
                second_factor_device=second_factor_device,
                session_key_sealed=session_keys.seal(session_key, user.pk),
            )
            token.selector = value.selector
            if cap is not None:
                writer._enforce_cap(user, cap, now, request)
        return token, value

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
