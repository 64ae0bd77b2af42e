"""A server error on a remembered browser's request leaks no token."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import include, path
from django.views.debug import ExceptionReporter

from tests.helpers import parsed, token_cookie

pytestmark = pytest.mark.django_db


def broken(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("broken/", broken), path("", include("tests.support.urls"))]


@pytest.mark.urls("tests.test_error_reports")
def test_default_error_report_hides_the_token(remembered, caplog):
    client, _ = remembered
    cookie = token_cookie(client)
    verifier = parsed(cookie).verifier
    browser = Client(raise_request_exception=False)
    browser.cookies = client.cookies
    with caplog.at_level(logging.ERROR, logger="django.request"):
        assert browser.get("/broken/").status_code == 500
    (record,) = [r for r in caplog.records if r.exc_info]
    # What AdminEmailHandler mails and the DEBUG page shows, with Django's
    # default filter: the cookie is listed by name only.
    report = ExceptionReporter(record.request, *record.exc_info)
    for text in (report.get_traceback_text(), report.get_traceback_html()):
        assert "rememberme" in text
        assert verifier not in text
