"""
The how-to's django-otp recipe (the bundled LoginView with an OTP form,
REMEMBERME_LOGIN_VIEW = False), rendered and submitted as a browser would.
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
from django.test import Client
from django.urls import clear_url_caches
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from rememberme.models import RememberToken
from tests.browser.helpers import CHROMIUM, chromium
from tests.helpers import PASSWORD, close_browser
from tests.support.html_forms import password_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def recipe(settings):
    settings.REMEMBERME_LOGIN_VIEW = False
    clear_url_caches()
    yield
    clear_url_caches()


@pytest.fixture
def device(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_the_recipe_page_renders_its_form_and_signs_in_through_it(recipe, device):
    client = Client(enforce_csrf_checks=True)
    response = client.get("/secret/")
    login_url = response["Location"]
    assert login_url == "/otp-login/?next=/secret/"
    response = client.get(login_url)
    assert response.status_code == 200
    form = password_form(response.content.decode())
    # Every field of the recipe's form, posting back to the page itself.
    assert {"username", "password", "otp_device", "otp_token", "remember_me"} <= set(form["types"])
    assert form["action"] is None
    # django-otp's flow: the password first, then the device list it shows.
    data = {**form["fields"], "username": "alice", "password": PASSWORD, "remember_me": "on"}
    response = client.post(login_url, data)
    assert response.status_code == 200
    form = password_form(response.content.decode())
    assert form["fields"]["otp_device"] == device.persistent_id
    data = {
        **form["fields"],
        "password": PASSWORD,
        "otp_token": f"{totp(device.bin_key):06d}",
        "remember_me": "on",
    }
    response = client.post(login_url, data)
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == "/secret/"
    assert client.get("/secret/").json() == {"user": "alice", "verified": True}
    assert RememberToken.objects.filter(user=device.user).exists()
    close_browser(client)
    # Restored, and (by default) not second-factor verified.
    assert client.get("/state/").json() == {"user": "alice", "verified": False}


def test_a_wrong_code_is_shown_on_the_recipe_page(recipe, device):
    client = Client()
    response = client.post(
        "/otp-login/", {"username": "alice", "password": PASSWORD, "otp_token": "000000"}
    )
    assert response.status_code == 200
    assert re.search(r'class="errorlist[^"]*"', response.content.decode())
    assert not RememberToken.objects.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}")
def test_the_recipe_in_chromium(recipe, live_server, device):
    pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with chromium() as browser:
        page = browser.new_page()
        page.goto(live_server.url + "/secret/")
        assert "/otp-login/?next=/secret/" in page.url
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        # django-otp's flow: the page comes back with the user's devices.
        page.wait_for_selector("select[name=otp_device] option >> nth=1", state="attached")
        page.select_option("select[name=otp_device]", index=1)
        page.fill("input[name=password]", PASSWORD)
        page.fill("input[name=otp_token]", f"{totp(device.bin_key):06d}")
        page.check("input[name=remember_me]")
        page.click("main button[type=submit]")
        page.wait_for_url(live_server.url + "/secret/")
        body = page.evaluate("() => JSON.parse(document.body.innerText)")
        assert body == {"user": "alice", "verified": True}
