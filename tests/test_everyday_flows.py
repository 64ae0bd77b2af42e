"""Everyday flows: where sign-in leads, reusing the bundled views, stale forms."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.test import Client, override_settings
from django.urls import include, path

from rememberme.forms import RememberMeAuthenticationForm
from rememberme.views import LoginView
from tests.helpers import PASSWORD, close_browser, login, token_cookie, whoami
from tests.support.views import change_email
from tests.support.views import whoami as whoami_view

pytestmark = pytest.mark.django_db


class CaptchaLoginForm(RememberMeAuthenticationForm):
    """A site's own login form: one more field, checked."""

    captcha = forms.CharField(label="What is 2 + 2?")

    def clean_captcha(self) -> str:
        if self.cleaned_data["captcha"] != "4":
            raise forms.ValidationError("Wrong answer.", code="captcha")
        return "4"


urlpatterns = [
    path("accounts/", include("rememberme.urls")),
    path("site/login/", LoginView.as_view(form_class=CaptchaLoginForm), name="site-login"),
    path("whoami/", whoami_view),
    path("change-email/", change_email),
]


def form_of(page: str) -> str:
    """Return the page's password form (the header has a sign-out form too)."""
    forms = [f for f in re.findall(r"<form .*?</form>", page, re.S) if 'name="password"' in f]
    assert len(forms) == 1
    return forms[0]


def field_value(page: str, name: str) -> str | None:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    return match.group(1) if match else None


def test_sign_in_leads_to_the_page_that_asked_for_it(user):
    client = Client()
    response = client.get("/change-email/")
    assert response.status_code == 302
    login_url = response["Location"]
    assert login_url == "/accounts/login/?next=/change-email/"
    page = client.get(login_url).content.decode()
    form = form_of(page)
    # The form posts to the page's own URL (no action), next with it.
    assert "action=" not in form
    assert field_value(form, "next") == "/change-email/"
    response = client.post(
        login_url,
        {
            "username": "alice",
            "password": PASSWORD,
            "remember_me": "on",
            "next": field_value(form, "next"),
        },
    )
    assert response["Location"] == "/change-email/"


def test_next_in_the_query_string_alone_is_honoured(user):
    client = Client()
    response = client.post(
        "/accounts/login/?next=/change-email/", {"username": "alice", "password": PASSWORD}
    )
    assert response["Location"] == "/change-email/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_an_unsafe_next_is_ignored(user, target):
    client = Client()
    page = client.get("/accounts/login/", {"next": target}).content.decode()
    assert target not in page
    response = client.post(
        f"/accounts/login/?next={target}", {"username": "alice", "password": PASSWORD}
    )
    assert response["Location"] == "/whoami/"


def test_reauthentication_leads_to_the_page_that_asked_for_it(remembered):
    client, _ = remembered
    close_browser(client)
    url = "/accounts/reauthenticate/?next=/change-email/"
    page = client.get(url).content.decode()
    assert "action=" not in form_of(page)
    assert field_value(page, "next") == "/change-email/"
    response = client.post(url, {"password": PASSWORD})
    assert response["Location"] == "/change-email/"


@override_settings(ROOT_URLCONF=__name__)
def test_a_reused_login_view_renders_and_checks_its_own_form(user):
    client = Client()
    page = client.get("/site/login/?next=/change-email/").content.decode()
    form = form_of(page)
    # Every field of the form it was given, posting back to itself.
    for name in ("username", "password", "remember_me", "captcha"):
        assert f'name="{name}"' in form
    assert "action=" not in form
    data = {"username": "alice", "password": PASSWORD, "captcha": "5"}
    response = client.post("/site/login/?next=/change-email/", data)
    assert response.status_code == 200
    assert "Wrong answer." in response.content.decode()
    assert whoami(client)["user"] is None
    response = client.post("/site/login/?next=/change-email/", {**data, "captcha": "4"})
    assert response["Location"] == "/change-email/"


@override_settings(REMEMBERME_LOGIN_VIEW=False, LOGIN_URL="/site/login/", ROOT_URLCONF=__name__)
def test_pages_render_without_the_bundled_login():
    from django.urls import clear_url_caches

    clear_url_caches()
    try:
        client = Client()
        assert client.get("/site/login/").status_code == 200
        page = client.post("/accounts/logout/").content.decode()
        assert 'href="/site/login/"' in page
    finally:
        clear_url_caches()


def stale_form(client: Client) -> str:
    """Return the CSRF token of a form page, then let its session end."""
    page = client.get("/change-email/").content.decode()
    token = field_value(page, "csrfmiddlewaretoken")
    assert token is not None
    close_browser(client)
    return token


@pytest.fixture
def strict(user):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/").content.decode()
    client.post(
        "/accounts/login/",
        {
            "username": "alice",
            "password": PASSWORD,
            "remember_me": "on",
            "csrfmiddlewaretoken": field_value(page, "csrfmiddlewaretoken"),
        },
    )
    assert token_cookie(client) is not None
    return client


def test_a_stale_form_gets_a_page_that_says_what_happened(strict):
    token = stale_form(strict)
    response = strict.post(
        "/change-email/",
        {"email": "a@example.com", "csrfmiddlewaretoken": token},
        HTTP_REFERER="http://testserver/change-email/",
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your session had ended" in page
    assert "signed in again" in page
    assert 'href="http://testserver/change-email/"' in page
    assert "CSRF verification failed" not in page
    # Signed in again, with the rotated token: reloading and sending works.
    assert whoami(strict)["user"] == "alice"
    fresh = field_value(strict.get("/change-email/").content.decode(), "csrfmiddlewaretoken")
    response = strict.post("/change-email/", {"csrfmiddlewaretoken": fresh})
    assert response.content == b"changed for alice"


@pytest.mark.parametrize("sends_json", [False, True], ids=["accepts json", "sends json"])
def test_a_script_gets_no_page_meant_for_a_form(strict, sends_json):
    # A single-page app's call after the restore expects its API's answer,
    # not an HTML page to read: it gets the CSRF refusal as it is.
    token = stale_form(strict)
    if sends_json:
        response = strict.post(
            "/change-email/", {"email": "a@example.com"}, content_type="application/json"
        )
    else:
        response = strict.post(
            "/change-email/",
            {"csrfmiddlewaretoken": token},
            headers={"Accept": "application/json"},
        )
    assert response.status_code == 403
    assert "Your session had ended" not in response.content.decode()


def test_a_forged_post_still_gets_no_page_of_ours_without_a_restore(user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/change-email/", {"email": "x"})
    assert response.status_code == 403
    assert "Your session had ended" not in response.content.decode()


def test_a_foreign_referer_is_not_offered_as_the_way_back(strict):
    token = stale_form(strict)
    response = strict.post(
        "/change-email/", {"csrfmiddlewaretoken": token}, HTTP_REFERER="https://evil.example/"
    )
    assert "evil.example" not in response.content.decode()
    assert 'href="/change-email/"' in response.content.decode()


def test_plain_login_helper_still_works(user):
    client = Client()
    assert login(client).status_code == 302
