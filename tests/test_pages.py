"""The bundled pages: stylesheet, regions to override, labels, relative times."""

from __future__ import annotations

import datetime
import re

import pytest
from django.template import Context, Template
from django.test import Client
from freezegun import freeze_time

from rememberme.models import RememberToken
from tests.conftest import login

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
STYLESHEET = '<link rel="stylesheet" href="/static/rememberme/rememberme.css">'


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_login_page_has_the_stylesheet_and_a_label_for_every_field(client):
    html = client.get("/accounts/login/").content.decode()
    assert STYLESHEET in html
    inputs = re.findall(r'<input type="(?!hidden)[^"]+"[^>]* id="([^"]+)"', html)
    assert sorted(inputs) == ["id_password", "id_remember_me", "id_username"]
    for field_id in inputs:
        assert f'<label for="{field_id}">' in html


def test_every_region_of_the_base_template_can_be_replaced():
    html = render(
        '{% extends "rememberme/base.html" %}'
        "{% block styles %}<link rel=stylesheet href=/mine.css>{% endblock %}"
        "{% block header %}<header>mine</header>{% endblock %}"
        "{% block messages %}<p>my messages</p>{% endblock %}"
        "{% block content %}<p>my content</p>{% endblock %}"
        "{% block footer %}<footer>mine</footer>{% endblock %}"
    )
    assert "rememberme.css" not in html
    for part in ("/mine.css", "<header>mine</header>", "my messages", "my content", "<footer>"):
        assert part in html


def test_devices_page_shows_relative_times_with_the_exact_time_on_hover(user):
    client = Client()
    with freeze_time(T0):
        login(client)
    token = RememberToken.objects.get(user=user)
    with freeze_time(T0 + datetime.timedelta(hours=2)):
        html = client.get("/accounts/devices/").content.decode()
    assert (
        f'<time datetime="{token.created_at.isoformat()}" '
        f'title="March 1, 2026, noon">2\xa0hours ago</time>'
    ) in html
    assert ">in 1\xa0week</time>" in html
    assert 'class="rm-badge this-browser">this browser<' in html


def test_relative_times_are_translated(user, settings):
    settings.LANGUAGE_CODE = "fr"
    client = Client()
    with freeze_time(T0):
        login(client)
    with freeze_time(T0 + datetime.timedelta(hours=2)):
        html = client.get("/accounts/devices/").content.decode()
    assert ">il y a 2\xa0heures</time>" in html
    assert "ce navigateur" in html


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (datetime.timedelta(seconds=-20), "just now"),
        (datetime.timedelta(seconds=30), "just now"),
        (datetime.timedelta(days=-3, hours=-5), "3\xa0days ago"),
        (datetime.timedelta(days=13), "in 1\xa0week"),
    ],
)
def test_moment(delta, text):
    with freeze_time(T0):
        html = render("{% load rememberme %}{% moment value %}", value=T0 + delta)
    assert html.endswith(f">{text}</time>")


def test_moment_without_a_date_and_without_time_zones(settings):
    assert render("{% load rememberme %}{% moment value %}", value=None) == "\N{EN DASH}"
    settings.USE_TZ = False
    with freeze_time(T0.replace(tzinfo=None)):
        html = render(
            "{% load rememberme %}{% moment value %}",
            value=T0.replace(tzinfo=None) - datetime.timedelta(hours=1),
        )
    assert html.endswith(">1\xa0hour ago</time>")
