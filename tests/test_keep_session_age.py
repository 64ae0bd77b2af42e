"""RequestState.keep_session_age(): the expiry a sign-in chose holds to the end of the request."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import login
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from rememberme.internal.state import get_state
from rememberme.middleware import RememberMeMiddleware

pytestmark = pytest.mark.django_db


def run(view):
    request = RequestFactory().post("/")
    handler = SessionMiddleware(AuthenticationMiddleware(RememberMeMiddleware(view)))
    handler(request)
    return request


@pytest.mark.parametrize(
    ("age", "expected"), [(datetime.timedelta(hours=1), 3600), (datetime.timedelta(0), 0)]
)
def test_a_later_set_expiry_does_not_undo_it(user, age, expected) -> None:
    def view(request):
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        get_state(request).keep_session_age(age)
        # What allauth's LoginForm does after login() returned.
        request.session.set_expiry(1209600)
        return HttpResponse()

    request = run(view)
    assert request.session.get("_session_expiry") == expected


def test_nothing_kept_when_the_request_signs_out_again(user) -> None:
    def view(request):
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        get_state(request).keep_session_age(datetime.timedelta(hours=1))
        request.session.flush()
        return HttpResponse()

    request = run(view)
    assert request.session.is_empty()
