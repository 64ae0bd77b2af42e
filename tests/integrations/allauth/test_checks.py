from __future__ import annotations

from io import StringIO

from django.core.management import call_command


def test_the_documented_settings_pass_the_system_checks() -> None:
    call_command("check", stdout=StringIO())
