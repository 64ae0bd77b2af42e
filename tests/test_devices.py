"""The remembered-browsers page: listing, revoking one, signing out the others."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from rememberme.internal.crypto import unpack_hash
from rememberme.internal.useragents import describe
from rememberme.models import RememberToken
from tests.helpers import close_browser, login, whoami

pytestmark = pytest.mark.django_db

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
URL = "/accounts/devices/"


@pytest.fixture
def two_browsers(user):
    """This browser (Firefox on Linux) and another one (Chrome on Windows)."""
    this = Client(HTTP_USER_AGENT=FIREFOX_LINUX, REMOTE_ADDR="192.0.2.1")
    other = Client(HTTP_USER_AGENT=CHROME_WINDOWS, REMOTE_ADDR="198.51.100.7")
    login(other)
    login(this)
    this_token = RememberToken.objects.get(user_agent=FIREFOX_LINUX)
    other_token = RememberToken.objects.get(user_agent=CHROME_WINDOWS)
    return this, other, this_token, other_token


def test_url_name():
    assert reverse("rememberme:devices") == URL


def test_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_lists_active_tokens_with_browser_os_ip_and_marker(two_browsers, other_user):
    this, _, this_token, other_token = two_browsers
    revoked = Client(HTTP_USER_AGENT="Opera/9.80 (Windows NT 6.1) Presto/2.12.388 Version/12.16")
    login(revoked)
    RememberToken.objects.get(user_agent__startswith="Opera").revoke("user")
    login(Client(HTTP_USER_AGENT="Mozilla/5.0 (Macintosh) Safari/605.1.15"), "bob")

    response = this.get(URL)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    browsers = response.context["browsers"]
    assert [b.token.pk for b in browsers] == [this_token.pk, other_token.pk]
    assert [b.is_current for b in browsers] == [True, False]
    assert (browsers[1].browser, browsers[1].os) == ("Chrome 120", "Windows 10")
    html = response.content.decode()
    assert "Firefox 121" in html
    assert "Linux" in html
    assert "Chrome 120" in html
    assert "198.51.100.7" in html
    assert "192.0.2.1" in html
    assert "this browser" in html
    assert "Opera 12" not in html  # revoked
    assert "Safari" not in html  # another user's
    for token in (this_token, other_token):
        assert bytes(token.selector_digest).hex() not in html
        assert bytes(token.verifier_hash).hex() not in html
        assert unpack_hash(token.verifier_hash) not in html


def test_expired_tokens_are_not_listed(two_browsers, settings):
    this, _, this_token, other_token = two_browsers
    RememberToken.objects.filter(pk=other_token.pk).update(
        last_used_at=other_token.last_used_at - datetime.timedelta(days=15),
        expires_at=other_token.last_used_at - datetime.timedelta(days=1),
    )
    browsers = this.get(URL).context["browsers"]
    assert [b.token.pk for b in browsers] == [this_token.pk]


def test_page_without_remember_me_has_no_current_browser(user, two_browsers):
    plain = Client()
    login(plain, remember=False)
    response = plain.get(URL)
    assert [b.is_current for b in response.context["browsers"]] == [False, False]
    assert b"sign-out-others" in response.content


def test_revoke_one(two_browsers, revoked_signals):
    this, other, this_token, other_token = two_browsers
    response = this.post(URL, {"action": "revoke", "token": other_token.pk})
    assert response.status_code == 302
    assert response["Location"] == URL
    other_token.refresh_from_db()
    this_token.refresh_from_db()
    assert other_token.revoke_reason == "user"
    assert this_token.revoked_at is None
    assert [(kw["reason"], kw["request"] is not None) for kw in revoked_signals] == [
        ("user", True)
    ]
    assert "That browser is signed out." in this.get(URL).content.decode()
    close_browser(other)
    assert whoami(other)["user"] is None


def test_revoke_one_again_says_so(two_browsers):
    this, _, _, other_token = two_browsers
    this.post(URL, {"action": "revoke", "token": other_token.pk})
    response = this.post(URL, {"action": "revoke", "token": other_token.pk}, follow=True)
    assert "already signed out" in response.content.decode()


def test_cannot_revoke_another_users_token(two_browsers, other_user):
    this, _, _, _ = two_browsers
    bob = Client()
    login(bob, "bob")
    bobs = RememberToken.objects.get(user=other_user)
    this.post(URL, {"action": "revoke", "token": bobs.pk})
    bobs.refresh_from_db()
    assert bobs.revoked_at is None


@pytest.mark.parametrize("value", ["", "abc", "1.5"])
def test_revoke_needs_a_token_id(two_browsers, value):
    this = two_browsers[0]
    assert this.post(URL, {"action": "revoke", "token": value}).status_code == 400
    assert RememberToken.objects.active().count() == 2


def test_unknown_action(two_browsers):
    this = two_browsers[0]
    assert this.post(URL, {"action": "nope"}).status_code == 400
    assert this.post(URL).status_code == 400
    assert RememberToken.objects.active().count() == 2


def test_forget_this_browser_keeps_the_session(two_browsers):
    this, _, this_token, other_token = two_browsers
    response = this.post(URL, {"action": "revoke", "token": this_token.pk})
    assert response.cookies["rememberme"].value == ""
    this_token.refresh_from_db()
    other_token.refresh_from_db()
    assert this_token.revoke_reason == "user"
    assert other_token.revoked_at is None
    assert whoami(this)["user"] == "alice"  # still signed in now
    close_browser(this)
    assert whoami(this)["user"] is None  # but no longer remembered


def test_sign_out_all_other_browsers(two_browsers, user, revoked_signals):
    this, other, this_token, _other_token = two_browsers
    third = Client()
    login(third)
    response = this.post(URL, {"action": "others"})
    assert response.status_code == 302
    this_token.refresh_from_db()
    assert this_token.revoked_at is None
    assert sorted(kw["reason"] for kw in revoked_signals) == ["logout_all", "logout_all"]
    assert RememberToken.objects.active().get() == this_token
    assert "2 other browsers are signed out." in this.get(URL).content.decode()
    close_browser(this)
    assert whoami(this) == {"user": "alice", "restored": True}
    close_browser(other)
    assert whoami(other)["user"] is None


def test_sign_out_all_other_browsers_from_an_unremembered_session(two_browsers):
    plain = Client()
    login(plain, remember=False)
    plain.post(URL, {"action": "others"})
    assert not RememberToken.objects.active().exists()
    assert whoami(plain)["user"] == "alice"


def test_other_browsers_live_sessions_end_at_revalidation(two_browsers, settings):
    this, other, _, _ = two_browsers
    settings.REMEMBERME_REVALIDATE_INTERVAL = 60
    with freeze_time() as frozen:
        this.post(URL, {"action": "others"})
        assert whoami(other)["user"] == "alice"  # until the next check
        frozen.tick(61)
        assert whoami(other)["user"] is None
        assert whoami(this)["user"] == "alice"


def test_sign_out_everywhere_form_posts_to_logout(two_browsers):
    this, _other, _this_token, _other_token = two_browsers
    html = this.get(URL).content.decode()
    assert 'action="/accounts/logout/"' in html
    assert 'name="everywhere"' in html
    response = this.post("/accounts/logout/", {"everywhere": "1"})
    assert response.status_code in (200, 302)
    assert not RememberToken.objects.active().exists()
    assert whoami(this)["user"] is None


def test_csrf_is_enforced(two_browsers):
    this, _, _, other_token = two_browsers
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = this.cookies
    response = strict.post(URL, {"action": "revoke", "token": other_token.pk})
    assert response.status_code == 403
    other_token.refresh_from_db()
    assert other_token.revoked_at is None


def test_template_is_overridable(two_browsers, settings, tmp_path):
    (tmp_path / "rememberme").mkdir()
    (tmp_path / "rememberme" / "devices.html").write_text(
        "{% for b in browsers %}[{{ b.browser }}|{{ b.is_current }}]{% endfor %}"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    this = two_browsers[0]
    assert this.get(URL).content.decode() == "[Firefox 121|True][Chrome 120|False]"


class TestDescribe:
    def test_known(self):
        assert describe(CHROME_WINDOWS) == ("Chrome 120", "Windows 10")
        assert str(describe(FIREFOX_LINUX)) == "Firefox 121 on Linux"

    @pytest.mark.parametrize(
        ("agent", "label"),
        [
            ("", "Unknown browser"),
            ("curl/8.4.0", "curl 8"),
            ("\x00garbage" * 50, "Unknown browser"),
            ("Mozilla/5.0 (X11; Linux x86_64) SomethingNew/1.0", "Unknown browser on Linux"),
        ],
    )
    def test_unknown_parts(self, agent, label):
        # Never "curl 8 on Unknown": an unknown part is named as such or left out.
        device = describe(agent)
        assert device.label == str(device) == label
        assert "on Unknown" not in device.label


def test_an_unknown_system_is_left_out_of_the_page(user):
    client = Client(HTTP_USER_AGENT="curl/8.4.0")
    login(client)
    html = client.get(URL).content.decode()
    assert '<span class="rm-device-name">curl 8</span>' in html
    assert "on Unknown" not in html
    assert 'aria-label="Sign out curl 8"' not in html  # this browser: "Forget" instead


def test_this_browser_is_listed_first(two_browsers):
    this, other, this_token, other_token = two_browsers
    close_browser(other)
    assert whoami(other)["restored"] is True  # the other browser is now the most recent
    browsers = this.get(URL).context["browsers"]
    assert [b.token.pk for b in browsers] == [this_token.pk, other_token.pk]
    assert browsers[0].is_current
