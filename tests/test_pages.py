"""The bundled pages: stylesheet, regions to override, labels, relative times."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.test import Client, override_settings
from freezegun import freeze_time

import rememberme
from rememberme.models import RememberToken
from tests.helpers import EPOCH, login

pytestmark = pytest.mark.django_db

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


@override_settings(REMEMBERME_SESSION_AGE=datetime.timedelta(days=1))
def test_devices_page_shows_relative_times_with_the_exact_time_on_hover(user):
    # The session outlives the two hours, so the token is not rotated.
    client = Client()
    with freeze_time(EPOCH):
        login(client)
    token = RememberToken.objects.get(user=user)
    with freeze_time(EPOCH + datetime.timedelta(hours=2)):
        html = client.get("/accounts/devices/").content.decode()
    assert (
        f'<time datetime="{token.created_at.isoformat()}" '
        f'title="March 1, 2026, noon">2\xa0hours ago</time>'
    ) in html
    # 13 days and 22 hours left: nearly two weeks, not "1 week".
    assert ">in 2\xa0weeks</time>" in html
    assert 'class="rm-badge this-browser">this browser<' in html


def test_relative_times_are_translated(user, settings):
    settings.LANGUAGE_CODE = "fr"
    client = Client()
    with freeze_time(EPOCH):
        login(client)
    with freeze_time(EPOCH + datetime.timedelta(hours=2)):
        html = client.get("/accounts/devices/").content.decode()
    assert ">il y a 2\xa0heures</time>" in html
    assert "ce navigateur" in html


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (datetime.timedelta(seconds=-20), "just now"),
        (datetime.timedelta(seconds=30), "just now"),
        (datetime.timedelta(days=-3, hours=-5), "3\xa0days ago"),
        (datetime.timedelta(days=13), "in 13\xa0days"),
        (datetime.timedelta(days=13, hours=13), "in 2\xa0weeks"),
        (datetime.timedelta(days=20), "in 3\xa0weeks"),
        (datetime.timedelta(minutes=-90), "2\xa0hours ago"),
        (datetime.timedelta(hours=23), "in 23\xa0hours"),
        (datetime.timedelta(days=-45), "6\xa0weeks ago"),
        (datetime.timedelta(days=90), "in 3\xa0months"),
        (datetime.timedelta(days=-800), "2\xa0years ago"),
    ],
)
def test_moment(delta, text):
    with freeze_time(EPOCH):
        html = render("{% load rememberme %}{% moment value %}", value=EPOCH + delta)
    assert html.endswith(f">{text}</time>")


def test_moment_without_a_date_and_without_time_zones(settings):
    assert render("{% load rememberme %}{% moment value %}", value=None) == "\N{EN DASH}"
    settings.USE_TZ = False
    with freeze_time(EPOCH.replace(tzinfo=None)):
        html = render(
            "{% load rememberme %}{% moment value %}",
            value=EPOCH.replace(tzinfo=None) - datetime.timedelta(hours=1),
        )
    assert html.endswith(">1\xa0hour ago</time>")


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


PACKAGE_CSS = Path(rememberme.__file__).parent / "static/rememberme/rememberme.css"
DARK_SCHEME = "@media (prefers-color-scheme: dark)"

STYLESHEETS: dict[str, list[Path | str]] = {
    "default": [PACKAGE_CSS],
    # What a browser set to a dark system theme sees.
    "default dark": [PACKAGE_CSS, DARK_SCHEME],
    # The demo's dark theme overrides the same properties.
    "demo dark": [
        Path(rememberme.__file__).parent / "static/rememberme/rememberme.css",
        Path(__file__).parent.parent / "example/demo/static/demo/dark.css",
    ],
}


def test_the_package_has_a_dark_scheme():
    # The dark scheme overrides every colour of the light one.
    light, dark = PACKAGE_CSS.read_text().split(DARK_SCHEME, 1)
    colours = set(re.findall(r"--rm-([\w-]+):\s*#", light))
    assert colours
    assert set(re.findall(r"--rm-([\w-]+):\s*#", dark)) == colours


@pytest.mark.parametrize("theme", STYLESHEETS)
def test_colours_meet_wcag_aa(theme):
    colour: dict[str, str] = {}
    for source in STYLESHEETS[theme]:
        if source == DARK_SCHEME:
            text = PACKAGE_CSS.read_text().split(DARK_SCHEME, 1)[1]
        else:
            # Without the dark scheme's block: the light colours alone.
            assert isinstance(source, Path)
            text = source.read_text().split(DARK_SCHEME, 1)[0]
        colour.update(re.findall(r"--rm-([\w-]+):\s*(#[0-9a-f]{6});", text))
    text_pairs = [
        ("text", "bg"),
        ("text", "surface"),
        ("muted", "bg"),
        ("muted", "surface"),
        ("muted", "current-bg"),
        ("accent", "surface"),
        ("accent", "bg"),
        ("accent", "current-bg"),
        ("accent-text", "accent"),
        ("danger", "surface"),
        ("ok-text", "ok-bg"),
        ("warn-text", "warn-bg"),
        ("info-text", "info-bg"),
        ("error-text", "error-bg"),
    ]
    for fg, bg in text_pairs:
        assert contrast(colour[fg], colour[bg]) >= 4.5, (fg, bg)
    # Input borders and the focus ring: 3:1 against the surface (WCAG 1.4.11).
    assert contrast(colour["border"], colour["surface"]) >= 3
    assert contrast(colour["accent"], colour["surface"]) >= 3
