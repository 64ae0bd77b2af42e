"""
The admin never lets staff filter on secret columns, and never deletes.

A staff user who may only view tokens must not be able to read a secret
out of the changelist by counting the rows a query-string filter leaves
(``?verifier_hash__startswith=...``, one character at a time), and nobody
may delete a token through the admin: deleting bypasses revocation (no
``token_revoked``, no reason, no admin log entry).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import Permission
from django.test import Client

from rememberme.models import RememberToken
from tests.helpers import PASSWORD, login

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/rememberme/remembertoken/"

# Every column that holds or leads to a secret, with a lookup that would
# match the stored value (a prefix, a regular expression, a JSON key).
SECRET_LOOKUPS = [
    "selector_digest__startswith",
    "selector_digest__gte",
    "verifier_hash__startswith",
    "verifier_hash__regex",
    "previous_verifier_hash__startswith",
    "password_fingerprint__startswith",
    "password_fingerprint__gt",
    "session_data__theme__regex",
    "session_data__has_key",
    "session_data__icontains",
    "backend_digest__startswith",
    "user__password__startswith",
    "user__remember_tokens__verifier_hash__startswith",
]


@pytest.fixture
def token(user: Any) -> RememberToken:
    login(Client())
    return RememberToken.objects.get(user=user)


@pytest.fixture
def viewer(django_user_model: Any) -> Client:
    """A staff member with the view permission only."""
    member = django_user_model.objects.create_user(
        "viewer", "viewer@example.com", PASSWORD, is_staff=True
    )
    member.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="rememberme", codename="view_remembertoken"
        )
    )
    client = Client()
    client.force_login(member)
    return client


@pytest.fixture
def superuser(django_user_model: Any) -> Client:
    member = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.force_login(member)
    return client


@pytest.mark.parametrize("lookup", SECRET_LOOKUPS)
def test_filtering_on_a_secret_column_is_refused(
    viewer: Client, token: RememberToken, lookup: str
) -> None:
    response = viewer.get(CHANGELIST, {lookup: "$" if "hash" in lookup else "a"})
    # DisallowedModelAdminLookup: a clean 400, whatever the value.
    assert response.status_code == 400


def test_prefix_oracle_on_the_verifier_hash_is_closed(
    viewer: Client, token: RememberToken
) -> None:
    # The attack: each request says whether a guessed prefix matches.
    matching = viewer.get(
        CHANGELIST, {"verifier_hash__startswith": bytes(token.verifier_hash)[:12]}
    )
    other = viewer.get(CHANGELIST, {"verifier_hash__startswith": "$nope"})
    assert matching.status_code == other.status_code == 400
    assert matching.content == other.content


@pytest.mark.parametrize(
    "query",
    [
        {"state": "active"},
        {"revoke_reason__exact": "theft"},
        {"q": "alice"},
        {"o": "2"},
    ],
)
def test_ordinary_filters_still_work(viewer: Client, token: RememberToken, query: Any) -> None:
    assert viewer.get(CHANGELIST, query).status_code == 200


def test_the_user_link_filter_still_works(viewer: Client, token: RememberToken) -> None:
    response = viewer.get(CHANGELIST, {"user__id__exact": token.user_id})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_search_looks_at_user_fields_only(viewer: Client, token: RememberToken) -> None:
    model_admin = django_admin.site._registry[RememberToken]
    request = viewer.get(CHANGELIST).wsgi_request
    fields = model_admin.get_search_fields(request)
    assert fields
    assert all(field.startswith("user__") for field in fields)
    assert not any("password" in field for field in fields)


def test_no_delete_action_even_for_a_superuser(superuser: Client, token: RememberToken) -> None:
    response = superuser.get(CHANGELIST)
    assert response.status_code == 200
    actions = [name for name, _label in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    assert "revoke_selected" in actions


def test_posting_the_delete_action_deletes_nothing(
    superuser: Client, token: RememberToken
) -> None:
    superuser.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [token.pk], "post": "yes"},
    )
    assert RememberToken.objects.filter(pk=token.pk).exists()


def test_the_delete_view_is_forbidden(superuser: Client, token: RememberToken) -> None:
    url = f"{CHANGELIST}{token.pk}/delete/"
    assert superuser.get(url).status_code == 403
    assert superuser.post(url, {"post": "yes"}).status_code == 403
    assert RememberToken.objects.filter(pk=token.pk).exists()


def test_the_user_admin_inline_cannot_delete(superuser: Client, token: RememberToken) -> None:
    from rememberme.admin import RememberTokenInline

    inline = RememberTokenInline(type(token.user), django_admin.site)
    request = superuser.get(CHANGELIST).wsgi_request
    assert inline.has_delete_permission(request, token.user) is False
