from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from hijack import views

from rememberme.contrib.hijack.apps import check_hijack_login


def test_the_documented_settings_pass_the_system_checks() -> None:
    call_command("check", stdout=StringIO())


def test_a_hijack_that_signs_in_otherwise_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # A django-hijack release whose views no longer sign in through the
    # login() of hijack.views: impersonation would count as a password login.
    monkeypatch.delattr(views, "login")
    errors = check_hijack_login(None)
    assert [error.id for error in errors] == ["rememberme_hijack.E001"]
    assert "django-hijack" in errors[0].msg
