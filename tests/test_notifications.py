"""REMEMBERME_NOTIFY_EMAIL: e-mails on theft and on a newly remembered browser."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest
from django.contrib.auth import login as django_login
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends import locmem
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from freezegun import freeze_time

from rememberme.internal import api
from rememberme.internal.conf import app_settings
from rememberme.internal.cookie import CookieValue
from rememberme.middleware import RememberMeMiddleware
from rememberme.models import RememberToken
from tests.helpers import EPOCH, login, parsed, token_cookie

# Real transactions: mails leave on commit.
pytestmark = pytest.mark.django_db(transaction=True)

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"


def mail_server_down(*args: Any, **kwargs: Any) -> int:
    raise ConnectionRefusedError("mail server down")


def steal(user: Any) -> Client:
    """Replay a replaced cookie after the grace window: theft."""
    owner = Client()
    with freeze_time(EPOCH):
        login(owner)
    stolen = token_cookie(owner)
    assert stolen is not None
    with freeze_time(EPOCH + datetime.timedelta(minutes=10)):
        restored = Client()
        restored.cookies["rememberme"] = stolen
        restored.get("/whoami/")
        # The restored browser goes on: the rotation's response arrived.
        restored.get("/whoami/")
    thief = Client()
    thief.cookies["rememberme"] = stolen
    with freeze_time(EPOCH + datetime.timedelta(minutes=11)):
        assert thief.get("/whoami/").json()["user"] is None
    thief.stolen_cookie = stolen  # type: ignore[attr-defined]
    return thief


def test_nothing_is_sent_by_default(user):
    steal(user)
    assert mail.outbox == []


def test_theft_mails_the_user(user, settings):
    settings.REMEMBERME_NOTIFY_EMAIL = ("theft",)
    mail.outbox.clear()
    steal(user)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "You were signed out of every browser (testserver)"
    assert "every browser that remembered you has been signed out" in message.body
    assert "http://testserver/accounts/devices/" in message.body
    # Nothing secret in it.
    assert "verifier" not in message.body


def test_new_browser_mails_the_user_once_per_browser(user, settings):
    settings.REMEMBERME_NOTIFY_EMAIL = ["new_browser"]
    browser = Client(HTTP_USER_AGENT=FIREFOX)
    login(browser)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "A new browser remembers you: Firefox 121 on Linux"
    assert "Firefox 121 · Linux" in mail.outbox[0].body
    # The same browser signing in again, still holding its cookie: no mail.
    login(browser)
    assert len(mail.outbox) == 1
    # An unremembered login: no mail.
    login(Client(), remember=False)
    assert len(mail.outbox) == 1


def test_a_browser_holding_a_cookie_revoked_for_theft_is_a_new_browser(user, settings):
    # The thief's browser keeps the cookie the theft rule revoked, and later
    # signs in with a phished password: the user must hear of it.
    thief = steal(user)
    # It deleted nothing the thief keeps: the copy is still in its jar.
    thief.cookies["rememberme"] = thief.stolen_cookie  # type: ignore[attr-defined]
    settings.REMEMBERME_NOTIFY_EMAIL = ["new_browser"]
    mail.outbox.clear()
    assert RememberToken.objects.filter(user=user, revoke_reason="theft").exists()
    with freeze_time(EPOCH + datetime.timedelta(minutes=20)):
        login(thief)
    assert [m.subject.split(":")[0] for m in mail.outbox] == ["A new browser remembers you"]


def test_a_known_selector_with_a_made_up_verifier_is_a_new_browser(user, settings):
    settings.REMEMBERME_NOTIFY_EMAIL = ["new_browser"]
    owner = Client()
    login(owner)
    mail.outbox.clear()
    real = parsed(token_cookie(owner))
    other = Client()
    other.cookies["rememberme"] = CookieValue(real.selector, "x" * len(real.verifier)).encode()
    login(other)
    assert len(mail.outbox) == 1


def test_a_user_without_an_address_gets_nothing(user, settings):
    settings.REMEMBERME_NOTIFY_EMAIL = ("new_browser", "theft")
    user.email = ""
    user.save()
    login(Client())
    assert mail.outbox == []


def test_html_template_is_optional_and_used_when_present(user, settings, tmp_path):
    settings.REMEMBERME_NOTIFY_EMAIL = ("new_browser",)
    folder = tmp_path / "rememberme" / "email"
    folder.mkdir(parents=True)
    (folder / "new_browser_body.html").write_text("<p>{{ device.browser }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    login(Client(HTTP_USER_AGENT=FIREFOX))
    message = mail.outbox[0]
    assert isinstance(message, EmailMultiAlternatives)
    assert message.alternatives[0][0] == "<p>Firefox 121</p>"


def test_a_failing_mail_server_does_not_fail_the_request(user, settings, caplog, monkeypatch):
    settings.REMEMBERME_NOTIFY_EMAIL = ("new_browser",)
    # The test environment's mail backend (locmem), made to fail: setting
    # another backend would need EMAIL_BACKEND, deprecated by Django 6.1.
    monkeypatch.setattr(locmem.EmailBackend, "send_messages", mail_server_down)
    client = Client()
    with caplog.at_level(logging.ERROR, logger="rememberme"):
        response = login(client)
    assert response.status_code == 302
    assert token_cookie(client) is not None
    assert any("Could not send" in record.getMessage() for record in caplog.records)


def test_a_rolled_back_transaction_sends_nothing(user, settings):
    settings.REMEMBERME_NOTIFY_EMAIL = ("new_browser",)
    request = RequestFactory().get("/")
    RememberMeMiddleware(HttpResponse).process_request(request)
    request.session = Client().session
    request.user = AnonymousUser()
    django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")

    def fail_after_issuing() -> None:
        with transaction.atomic():
            api.remember(request)
            raise RuntimeError("the sign-in fails after the token was issued")

    with pytest.raises(RuntimeError):
        fail_after_issuing()
    assert mail.outbox == []
    with transaction.atomic():
        api.remember(request)
        assert mail.outbox == []  # not before the commit
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("value", ["theft", 1, None])
def test_the_setting_must_be_a_list(settings, value):
    settings.REMEMBERME_NOTIFY_EMAIL = value
    with pytest.raises(ImproperlyConfigured, match="REMEMBERME_NOTIFY_EMAIL"):
        app_settings.NOTIFY_EMAIL
    assert [e.id for e in run_checks() if e.id == "rememberme.E019"] == ["rememberme.E019"]


def test_a_misconfigured_setting_does_not_fail_the_sign_in(user, settings):
    settings.REMEMBERME_NOTIFY_EMAIL = "new_browser"
    client = Client()
    assert login(client).status_code == 302
    assert token_cookie(client) is not None
    assert mail.outbox == []


def test_an_unknown_event_is_reported_by_the_checks(settings):
    settings.REMEMBERME_NOTIFY_EMAIL = ("theft", "login")
    errors = [e for e in run_checks() if e.id == "rememberme.E019"]
    assert len(errors) == 1
    assert "'login'" in errors[0].msg
