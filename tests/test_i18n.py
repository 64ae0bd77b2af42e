"""The shipped catalogues load and cover the user-facing pages."""

from __future__ import annotations

import pytest
from django.utils import translation

from rememberme.models import RevokeReason

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "Se souvenir de moi"), ("de", "Angemeldet bleiben")],
)
def test_login_page_is_translated(client, settings, language, expected):
    settings.LANGUAGE_CODE = language
    response = client.get("/accounts/login/")
    assert expected in response.content.decode()


@pytest.mark.parametrize(("language", "expected"), [("fr", "Vol détecté"), ("de", "Diebstahl")])
def test_revocation_reasons_are_translated(language, expected):
    with translation.override(language):
        assert expected in str(RevokeReason.label(RevokeReason.THEFT))
