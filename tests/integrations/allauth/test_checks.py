from __future__ import annotations

from django.core import checks


def serious(messages: list[checks.CheckMessage]) -> list[str]:
    return [message.id or "" for message in messages if message.level >= checks.WARNING]


def test_the_documented_settings_pass_the_system_checks() -> None:
    # Warnings count too: "manage.py check" shows them to whoever copies
    # these settings, and a documented setup should raise none.
    assert serious(checks.run_checks()) == []


def test_the_checks_read_these_settings(settings) -> None:
    # What the test above proves depends on the package's checks running
    # against this site: with allauth's middleware list but not ours, they
    # must object.
    ours = "rememberme.middleware.RememberMeMiddleware"
    settings.MIDDLEWARE = [path for path in settings.MIDDLEWARE if path != ours]
    assert "rememberme.E002" in serious(checks.run_checks())
