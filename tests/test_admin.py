"""The admin: read-only list, filters, search, revocation actions and their permission."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import include, path

from rememberme import signals
from rememberme.admin import RememberTokenInline
from rememberme.internal.crypto import unpack_hash
from rememberme.models import RememberToken
from tests.helpers import PASSWORD, login, whoami

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/rememberme/remembertoken/"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


@pytest.fixture
def tokens(user, other_user):
    """Alice: two active tokens (one in a live session); Bob: one active token."""
    alice = Client(HTTP_USER_AGENT=CHROME, REMOTE_ADDR="203.0.113.9")
    login(alice)
    login(Client())
    login(Client(), "bob")
    return (
        alice,
        list(RememberToken.objects.filter(user=user)),
        RememberToken.objects.get(user=other_user),
    )


@pytest.fixture
def staff(django_user_model):
    def make(*codenames):
        member = django_user_model.objects.create_user(
            f"staff{len(codenames)}", "staff@example.com", PASSWORD, is_staff=True
        )
        member.user_permissions.set(
            Permission.objects.filter(content_type__app_label="rememberme", codename__in=codenames)
        )
        client = Client()
        client.force_login(member)
        return client

    return make


def act(client: Client, action: str, tokens: list[RememberToken]) -> Any:
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [t.pk for t in tokens], "index": 0},
        follow=True,
    )


def test_changelist_columns_and_no_secrets(admin_client, tokens):
    _alice, _alice_tokens, _bobs = tokens
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Chrome 120 on Windows 10", "203.0.113.9", "Active", "alice", "bob"):
        assert text in html
    for token in RememberToken.objects.all():
        assert bytes(token.verifier_hash).hex() not in html
        assert unpack_hash(token.verifier_hash) not in html
        assert bytes(token.password_fingerprint).hex() not in html
        assert bytes(token.selector_digest).hex() not in html


def test_change_page_is_read_only_and_shows_no_secret(admin_client, tokens):
    _, alice_tokens, _ = tokens
    token = alice_tokens[0]
    url = f"{CHANGELIST}{token.pk}/change/"
    response = admin_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["adminform"].form.fields == {}  # every field read-only
    for secret in (
        bytes(token.verifier_hash).hex(),
        unpack_hash(token.verifier_hash),
        bytes(token.password_fingerprint).hex(),
        bytes(token.selector_digest).hex(),
    ):
        assert secret not in html
    before = RememberToken.objects.get(pk=token.pk)
    response = admin_client.post(url, {"ip_address": "10.0.0.1", "revoke_reason": "admin"})
    assert response.status_code == 403
    assert RememberToken.objects.get(pk=token.pk).ip_address == before.ip_address


def test_no_add(admin_client):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_state_filter(admin_client, tokens, settings):
    _, alice_tokens, bobs = tokens
    alice_tokens[0].revoke("theft")
    RememberToken.objects.filter(pk=alice_tokens[1].pk).update(
        last_used_at=alice_tokens[1].last_used_at - datetime.timedelta(days=15),
        expires_at=alice_tokens[1].last_used_at - datetime.timedelta(days=1),
    )

    def listed(query: str) -> set[int]:
        response = admin_client.get(CHANGELIST + query)
        assert response.status_code == 200
        return {t.pk for t in response.context["cl"].result_list}

    assert listed("?state=active") == {bobs.pk}
    assert listed("?state=expired") == {alice_tokens[1].pk}
    assert listed("?state=revoked") == {alice_tokens[0].pk}
    assert listed("?revoke_reason=theft") == {alice_tokens[0].pk}
    assert listed("?revoke_reason=admin") == set()
    assert "Revoked: Theft detected" in admin_client.get(CHANGELIST).content.decode()


def test_search_by_username_and_email(admin_client, tokens, other_user):
    _, alice_tokens, bobs = tokens
    other_user.email = "robert@example.org"
    other_user.save()
    result = admin_client.get(CHANGELIST + "?q=robert@example").context["cl"].result_list
    assert {t.pk for t in result} == {bobs.pk}
    result = admin_client.get(CHANGELIST + "?q=alice").context["cl"].result_list
    assert {t.pk for t in result} == {t.pk for t in alice_tokens}


def test_user_column_links_to_the_users_tokens(admin_client, tokens, user):
    _, alice_tokens, _ = tokens
    html = admin_client.get(CHANGELIST).content.decode()
    link = f"?user__id__exact={user.pk}"
    assert link in html
    result = admin_client.get(CHANGELIST + link).context["cl"].result_list
    assert {t.pk for t in result} == {t.pk for t in alice_tokens}


def test_revoke_selected(admin_client, tokens, settings):
    alice, _alice_tokens, _bobs = tokens
    settings.REMEMBERME_REVALIDATE_INTERVAL = 0
    received = []
    signals.token_revoked.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="a")
    try:
        live = RememberToken.objects.get(user_agent=CHROME)
        response = act(admin_client, "revoke_selected", [live])
    finally:
        signals.token_revoked.disconnect(dispatch_uid="a")
    assert "1 remember-me token was revoked." in response.content.decode()
    live.refresh_from_db()
    assert live.revoke_reason == "admin"
    assert [(kw["reason"], kw["request"] is not None) for kw in received] == [("admin", True)]
    assert RememberToken.objects.active().count() == 2
    entry = LogEntry.objects.get()
    assert (entry.action_flag, entry.object_id) == (CHANGE, str(live.pk))
    assert "Revoked" in entry.get_change_message()
    assert whoami(alice)["user"] is None  # the stolen login is over


def test_revoke_selected_twice_logs_once(admin_client, tokens):
    _, alice_tokens, _ = tokens
    act(admin_client, "revoke_selected", alice_tokens[:1])
    response = act(admin_client, "revoke_selected", alice_tokens[:1])
    assert "0 remember-me tokens were revoked." in response.content.decode()
    assert LogEntry.objects.count() == 1


def test_revoke_all_tokens_of_these_users(admin_client, tokens):
    _, alice_tokens, bobs = tokens
    act(admin_client, "revoke_users", alice_tokens[:1])
    assert set(
        RememberToken.objects.filter(user=alice_tokens[0].user).values_list(
            "revoke_reason", flat=True
        )
    ) == {"admin"}
    bobs.refresh_from_db()
    assert bobs.revoked_at is None
    assert LogEntry.objects.count() == 2


@pytest.mark.parametrize(
    "codenames",
    [
        ("view_remembertoken",),
        ("view_remembertoken", "change_remembertoken", "delete_remembertoken"),
    ],
)
def test_staff_without_revoke_permission_cannot_revoke(staff, tokens, codenames):
    _, alice_tokens, _ = tokens
    client = staff(*codenames)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "revoke_selected" not in response.content.decode()
    for action in ("revoke_selected", "revoke_users"):
        act(client, action, alice_tokens)
    assert RememberToken.objects.active().count() == 3
    assert not LogEntry.objects.exists()


def test_staff_with_revoke_permission_can_revoke(staff, tokens):
    _, alice_tokens, _ = tokens
    client = staff("view_remembertoken", "revoke_remembertoken")
    assert "revoke_selected" in client.get(CHANGELIST).content.decode()
    act(client, "revoke_selected", alice_tokens)
    assert RememberToken.objects.active().count() == 1
    assert LogEntry.objects.count() == 2


def test_staff_without_view_permission_sees_nothing(staff, tokens):
    client = staff("revoke_remembertoken")
    assert client.get(CHANGELIST).status_code == 403


class UserWithTokens(UserAdmin):
    inlines = [RememberTokenInline]


inline_site = django_admin.AdminSite(name="inline_admin")
inline_site.register(get_user_model(), UserWithTokens)
urlpatterns = [path("admin/", inline_site.urls), path("accounts/", include("rememberme.urls"))]


@pytest.mark.urls(__name__)
def test_inline_on_a_user_admin(admin_client, tokens, user):
    _, _alice_tokens, bobs = tokens
    response = admin_client.get(f"/admin/auth/user/{user.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Remembered browsers" in html
    assert "Chrome 120 on Windows 10" in html
    assert "203.0.113.9" in html
    for token in RememberToken.objects.all():
        assert bytes(token.verifier_hash).hex() not in html
        assert unpack_hash(token.verifier_hash) not in html
        assert bytes(token.selector_digest).hex() not in html
    assert f"remembertoken/{bobs.pk}/" not in html


def test_rows_are_titled_by_browser_not_user_agent(admin_client, tokens):
    _, alice_tokens, _ = tokens
    token = next(t for t in alice_tokens if t.user_agent)
    assert str(token) == f"Chrome 120 on Windows 10 (token {token.pk})"
    html = admin_client.get(f"{CHANGELIST}{token.pk}/change/").content.decode()
    assert f"<h2>Chrome 120 on Windows 10 (token {token.pk})</h2>" in html
    # Not in the page's title nor its breadcrumbs (the field itself shows it).
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    # A <div> up to Django 5.2, an <ol> from 6.0 on.
    crumbs = re.search(r'<(div|ol) class="breadcrumbs">(.*?)</\1>', html, re.S)
    assert title is not None
    assert crumbs is not None
    assert "AppleWebKit" not in title.group(1) + crumbs.group(2)
    assert f"Chrome 120 on Windows 10 (token {token.pk})" in crumbs.group(2)


def test_changelist_has_six_compact_columns(admin_client, tokens):
    response = admin_client.get(CHANGELIST)
    headers = [h["text"] for h in response.context["result_headers"]][1:]  # the checkbox
    assert [str(h) for h in headers] == [
        "user",
        "browser",
        "IP address",
        "last used",
        "expires",
        "state",
    ]
    assert ">just now</time>" in response.content.decode()


def test_revoke_button_on_the_token_page(admin_client, tokens, revoked_signals):
    _, alice_tokens, _ = tokens
    token = alice_tokens[0]
    page = f"{CHANGELIST}{token.pk}/change/"
    revoke = f"{CHANGELIST}{token.pk}/revoke/"
    html = admin_client.get(page).content.decode()
    assert f'action="{revoke}"' in html
    assert admin_client.get(revoke).status_code == 405  # a GET changes nothing
    assert RememberToken.objects.get(pk=token.pk).revoked_at is None
    response = admin_client.post(revoke, follow=True)
    assert response.redirect_chain[-1][0] == page
    assert RememberToken.objects.get(pk=token.pk).revoke_reason == "admin"
    assert "1 remember-me token was revoked." in response.content.decode()
    assert [kw["reason"] for kw in revoked_signals] == ["admin"]
    entry = LogEntry.objects.get(object_id=str(token.pk))
    assert entry.action_flag == CHANGE
    assert entry.get_change_message() == "Revoked the remember-me token."
    # Revoked: no button any more.
    assert f'action="{revoke}"' not in admin_client.get(page).content.decode()


def test_revoke_button_needs_the_permission(staff, tokens):
    _, alice_tokens, _ = tokens
    token = alice_tokens[0]
    viewer = staff("view_remembertoken")
    page = f"{CHANGELIST}{token.pk}/change/"
    assert "/revoke/" not in viewer.get(page).content.decode()
    assert viewer.post(f"{CHANGELIST}{token.pk}/revoke/").status_code == 403
    assert RememberToken.objects.get(pk=token.pk).revoked_at is None
    assert LogEntry.objects.count() == 0
    revoker = staff("view_remembertoken", "revoke_remembertoken")
    assert revoker.post(f"{CHANGELIST}{token.pk}/revoke/").status_code == 302
    assert RememberToken.objects.get(pk=token.pk).revoked_at is not None


def test_revoke_an_unknown_token(admin_client):
    assert admin_client.post(f"{CHANGELIST}999999/revoke/").status_code == 404


def test_a_token_revoked_by_an_administrator_reads_so_once(admin_client, tokens):
    _alice, _alice_tokens, bobs = tokens
    bobs.revoke("admin")
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Revoked by an administrator" in page
    assert "Revoked: Revoked" not in page
