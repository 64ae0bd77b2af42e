"""
django-axes on an e-mail login site: re-authentication guesses count.

Axes reads the user's name from the credentials given to ``authenticate()``
under ``AXES_USERNAME_FORM_FIELD``; on a site whose ``USERNAME_FIELD`` is
``email`` that is ``email``, so the re-authentication must name it so.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

EMAIL = "alice@example.com"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def signed_in() -> Client:
    user = get_user_model().objects.create_user(EMAIL, PASSWORD)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def failures() -> int:
    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=EMAIL))


def test_reauthentication_failures_count_and_lock_out_by_email(signed_in):
    for _ in range(3):
        response = signed_in.post("/accounts/reauthenticate/", {"password": "not it"})
        assert response.status_code in (200, 429)
    assert failures() == 3
    # Locked out now: the right password no longer makes the session fresh.
    response = signed_in.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 429
    assert failures() >= 3


def test_the_right_password_still_makes_the_session_fresh(signed_in):
    response = signed_in.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302
    assert failures() == 0
