"""
Every restore rotates the CSRF token, whatever view the restoring request
reaches.

A CSRF token planted before the restore (a sibling subdomain can set the
cookie) must not survive it: otherwise a forged form post carrying the
planted token acts as the restored user. Views decorated with
``csrf_protect`` (the login page, the devices page, the admin) read the
cookie again after the middleware ran, so rotating only the request's
META was not enough.
"""

from __future__ import annotations

import pytest
from django.test import Client

from rememberme.models import RememberToken
from tests.helpers import login, token_cookie

pytestmark = pytest.mark.django_db

PLANTED = "p" * 32


@pytest.fixture
def staff_user(user):
    user.is_staff = True
    user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def attacked(client, staff_user):
    """A browser holding a valid token cookie and a planted CSRF cookie."""
    # Another remembered browser, that a forged "sign out all other
    # browsers" would sign out.
    login(Client())
    login(client)
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["rememberme"] = str(token_cookie(client))
    browser.cookies["csrftoken"] = PLANTED
    return browser


def forged_post(browser: Client):
    return browser.post("/accounts/devices/", {"action": "others", "csrfmiddlewaretoken": PLANTED})


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/devices/", "/admin/", "/whoami/"])
def test_the_restore_replaces_a_planted_csrf_cookie(attacked, url):
    response = attacked.get(url)
    assert response.wsgi_request.user.is_authenticated
    assert response.cookies["csrftoken"].value not in ("", PLANTED)
    # The forged post carries the planted token: refused.
    assert forged_post(attacked).status_code == 403
    assert RememberToken.objects.filter(revoked_at__isnull=True).count() == 2


def test_a_forged_post_that_restores_is_refused(attacked):
    # The restore happens on the forged request itself.
    response = forged_post(attacked)
    assert response.status_code == 403
    assert RememberToken.objects.filter(revoked_at__isnull=True).count() == 2


def test_the_restored_session_posts_with_its_new_token(attacked):
    attacked.get("/accounts/devices/")
    token = attacked.cookies["csrftoken"].value
    response = attacked.post(
        "/accounts/devices/", {"action": "others", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert RememberToken.objects.filter(revoked_at__isnull=True).count() == 1
