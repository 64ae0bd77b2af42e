"""
Secrets stay secret: no verifier, cookie value or hash anywhere it could be
read back, and a copy of every table signs nobody in.

Every secret a flow produces is collected (each cookie value and verifier
handed out, each hash the database held), then looked for in every log
record of every logger at DEBUG, in ``repr()``/``str()`` of the objects
that carry them, in exception messages and error reports, in the admin's
HTML and in every column of every table.
"""

from __future__ import annotations

import base64
import datetime
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.sessions.backends.db import SessionStore
from django.db import DatabaseError, connection
from django.test import Client, RequestFactory, override_settings
from django.views.debug import ExceptionReporter
from freezegun import freeze_time

from rememberme.internal.cookie import SELECTOR_LENGTH, VERIFIER_LENGTH, parse_cookie_value
from rememberme.internal.crypto import unpack_hash
from rememberme.internal.state import RequestState
from rememberme.internal.tokens import Outcome, Verdict, check_token
from rememberme.models import RememberToken
from tests.helpers import EPOCH, PASSWORD, close_browser, login, token_cookie

pytestmark = pytest.mark.django_db


COOKIE_LENGTH = SELECTOR_LENGTH + 1 + VERIFIER_LENGTH


class Collector(logging.Handler):
    """Keep every record, fully formatted (arguments and tracebacks included)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))
        self.texts.append(repr(record.__dict__))


@pytest.fixture
def every_log() -> Iterator[Collector]:
    """Every logger, at DEBUG, into one collector."""
    collector = Collector()
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    logging.getLogger().addHandler(collector)
    try:
        yield collector
    finally:
        logging.getLogger().removeHandler(collector)
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled


class Secrets:
    """Every secret seen so far: cookie values, verifiers, hashes."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    def cookie(self, value: str | None) -> None:
        if value:
            self.values.add(value)
            parsed = parse_cookie_value(value)
            assert parsed is not None
            self.values.add(parsed.verifier)

    def hashes(self) -> None:
        for row in RememberToken.objects.values("verifier_hash", "previous_verifier_hash"):
            for value in row.values():
                if value:
                    encoded = unpack_hash(value)
                    self.values.update({encoded, bytes(value).hex()})
                    # The digest part alone, too.
                    self.values.add(encoded.rsplit("$", 1)[-1])

    def assert_absent(self, text: str, where: str) -> None:
        assert self.values, "no secrets were collected"
        for secret in self.values:
            assert secret not in text, f"a secret is in {where}"


def full_flow(secrets: Secrets, user: Any) -> None:
    """Login, restore, grace, theft, logout, password change, junk cookies."""
    client = Client()
    with freeze_time(EPOCH):
        login(client)
        secrets.cookie(token_cookie(client))
        secrets.hashes()
        first = token_cookie(client)
        assert first is not None
    with freeze_time(EPOCH + datetime.timedelta(minutes=5)):
        close_browser(client)
        client.get("/whoami/")  # restore and rotation
        client.get("/whoami/")  # the rotation's response arrived
        secrets.cookie(token_cookie(client))
        secrets.hashes()
        late_tab = Client()
        late_tab.cookies["rememberme"] = first
        late_tab.get("/whoami/")  # the grace window
    with freeze_time(EPOCH + datetime.timedelta(hours=1)):
        thief = Client()
        thief.cookies["rememberme"] = first
        assert thief.get("/whoami/").json()["user"] is None  # theft
        secrets.hashes()
        for junk in ("x", first[:-1] + "A", first.split(":")[0] + ":" + "B" * 43):
            stranger = Client()
            stranger.cookies["rememberme"] = junk
            stranger.get("/whoami/")
        again = Client()
        login(again)
        secrets.cookie(token_cookie(again))
        secrets.hashes()
        close_browser(again)
        again.get("/whoami/")
        secrets.cookie(token_cookie(again))
        secrets.hashes()
        again.post("/accounts/logout/")
        login(again)
        secrets.cookie(token_cookie(again))
        secrets.hashes()
        user.set_password(PASSWORD + "!")
        user.save()


def test_no_secret_in_any_log_record(user, every_log):
    secrets = Secrets()
    full_flow(secrets, user)
    text = "\n".join(every_log.texts)
    assert "theft" in text  # the flow did log, at every level
    secrets.assert_absent(text, "a log record")


def test_no_secret_in_a_database_error_log(remembered, every_log):
    client, _ = remembered
    secrets = Secrets()
    secrets.cookie(token_cookie(client))
    secrets.hashes()
    close_browser(client)

    def fail(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith('UPDATE "rememberme_remembertoken"'):
            raise DatabaseError(f"injected: {sql} {params}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        assert client.get("/whoami/").json()["user"] is None
    text = "\n".join(every_log.texts)
    assert "Database error while restoring" in text
    # The injected message carries the SQL parameters, the new hash among
    # them: that one is the database driver's to keep. The cookie the
    # browser sent, and its verifier, are not in the log.
    cookie = token_cookie(client)
    assert cookie is not None
    assert cookie not in text
    assert parse_cookie_value(cookie).verifier not in text  # type: ignore[union-attr]


def test_no_secret_in_repr_or_str(remembered):
    client, token = remembered
    cookie = token_cookie(client)
    parsed = parse_cookie_value(cookie)
    assert parsed is not None
    secrets = Secrets()
    secrets.cookie(cookie)
    secrets.hashes()
    token.refresh_from_db()
    state = RequestState(raw_cookie=cookie)
    state.set_cookie(parsed, token.expires_at)
    objects = [
        token,
        parsed,
        state,
        Verdict(Outcome.ROTATED, token, parsed),
        Verdict(Outcome.GRACE, token),
    ]
    for obj in objects:
        secrets.assert_absent(repr(obj), f"repr({type(obj).__name__})")
        secrets.assert_absent(str(obj), f"str({type(obj).__name__})")
    # The only way to the value is the explicit one.
    assert parsed.encode() == cookie


def test_no_secret_in_exception_messages_or_error_reports(remembered):
    """A failing restore's error report (what ADMINS get by mail) keeps the secrets out."""
    client, _ = remembered
    cookie = token_cookie(client)
    secrets = Secrets()
    secrets.cookie(cookie)
    secrets.hashes()
    request = RequestFactory().get("/whoami/", HTTP_COOKIE=f"rememberme={cookie}")
    parsed = parse_cookie_value(cookie)
    assert parsed is not None

    def fail(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        raise DatabaseError("the database went away")

    with connection.execute_wrapper(fail):
        try:
            check_token(request, parsed)
        except DatabaseError as exc:
            error = exc
        else:
            pytest.fail("no error")
    secrets.assert_absent(str(error), "the exception message")
    # Django's own filter hides the Cookie header but shows the cookie by
    # name; the package's filter hides it too. The frames' local variables
    # hold only objects whose repr() hides the verifier.
    with override_settings(
        DEFAULT_EXCEPTION_REPORTER_FILTER="rememberme.debug.RememberMeExceptionReporterFilter"
    ):
        # From check_token() down: this test's own frame holds the cookie.
        frames = error.__traceback__.tb_next  # type: ignore[union-attr]
        report = ExceptionReporter(request, type(error), error, frames)
        secrets.assert_absent(report.get_traceback_text(), "the error report")
        secrets.assert_absent(report.get_traceback_html(), "the error page")


def test_no_plain_verifier_in_any_column(remembered):
    """The plain verifier (or the cookie value) is in no column of any table."""
    client, _ = remembered
    secrets = Secrets()
    secrets.cookie(token_cookie(client))
    close_browser(client)
    client.get("/whoami/")
    secrets.cookie(token_cookie(client))
    plain = {v for v in secrets.values if len(v) in (VERIFIER_LENGTH, COOKIE_LENGTH)}
    assert plain
    dump = repr(dump_every_table())
    for value in plain:
        assert value not in dump


def dump_every_table() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for model in apps.get_models():
        rows.extend(model._default_manager.values())
    return rows


def test_a_copy_of_every_table_signs_nobody_in(remembered, other_user):
    """Present every stored value, of every table, as a token cookie: nobody is signed in."""
    client, _ = remembered
    other = Client()
    login(other, "bob")
    close_browser(client)
    client.get("/whoami/")  # a rotation, so a previous hash exists too
    values: set[str] = set()
    for row in dump_every_table():
        for value in row.values():
            if isinstance(value, (bytes, memoryview)) and value:
                value = bytes(value).hex()
            if isinstance(value, str) and value:
                values.add(value)
                values.update(part for part in value.split("$") if part)
    # The table keeps only digests of selectors; try them in every shape a
    # selector could be read out of them.
    selectors = [
        form
        for digest in RememberToken.objects.values_list("selector_digest", flat=True)
        for form in (
            bytes(digest).hex()[:30],
            base64.urlsafe_b64encode(bytes(digest)).decode()[:30],
        )
    ]
    candidates = set(values)
    # Also the stored selectors joined to every stored value (a hash digest,
    # the password fingerprint, a session key...), in the cookie's shape.
    for selector in selectors:
        for value in values:
            candidates.add(f"{selector}:{value}")
            candidates.add(f"{selector}:{value[:43]}")
    assert len(candidates) > 100
    for value in sorted(candidates):
        attacker = Client()
        attacker.cookies["rememberme"] = value
        assert attacker.get("/whoami/").json()["user"] is None, value
    # Django keeps session keys as they are, so a copy of django_session is
    # another matter: see docs/threat-model.rst, "A copy of the database".


def test_the_admin_shows_no_secret(remembered, admin_client):
    if not admin.site.is_registered(RememberToken):
        pytest.skip("RememberToken is not registered in the admin")
    client, token = remembered
    close_browser(client)
    client.get("/whoami/")  # rotated: two hashes in the row
    secrets = Secrets()
    secrets.cookie(token_cookie(client))
    secrets.hashes()
    token.refresh_from_db()
    secrets.values.update(
        {bytes(token.selector_digest).hex(), bytes(token.password_fingerprint).hex()}
    )
    pages = [
        "/admin/rememberme/remembertoken/",
        f"/admin/rememberme/remembertoken/{token.pk}/change/",
        "/admin/rememberme/remembertoken/?q=alice",
        f"/admin/auth/user/{token.user_id}/change/",
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        secrets.assert_absent(response.content.decode(), f"the admin page {page}")


def test_no_secret_in_the_report_of_an_error_inside_the_middleware(remembered, every_log):
    """
    The database goes away in the middle of a restore: the 500 report, built
    as ``AdminEmailHandler`` builds it from the ``django.request`` record,
    keeps the secrets out.
    """
    client, _ = remembered
    secrets = Secrets()
    secrets.cookie(token_cookie(client))
    secrets.hashes()
    close_browser(client)
    browser = Client(raise_request_exception=False)
    browser.cookies = client.cookies
    # An anonymous session the browser already has: login() gives it a new
    # key, so when the database goes away the clean-up of the failed
    # sign-in fails too, inside the middleware.
    anonymous = SessionStore()
    anonymous["seen"] = True
    anonymous.save()
    browser.cookies["sessionid"] = anonymous.session_key or ""

    def fail(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if 'SET "last_login"' in sql or fail.down:  # type: ignore[attr-defined]
            fail.down = True  # type: ignore[attr-defined]
            raise DatabaseError("the database went away")
        return execute(sql, params, many, context)

    fail.down = False  # type: ignore[attr-defined]
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign,assignment]
    logging.getLogger("django.request").addHandler(handler)
    try:
        with connection.execute_wrapper(fail):
            assert browser.get("/whoami/").status_code == 500
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    (record,) = [r for r in records if r.exc_info]
    assert record.exc_info is not None
    with override_settings(
        DEFAULT_EXCEPTION_REPORTER_FILTER="rememberme.debug.RememberMeExceptionReporterFilter"
    ):
        report = ExceptionReporter(record.request, *record.exc_info)  # type: ignore[attr-defined]
        text = report.get_traceback_text()
        html = report.get_traceback_html()
    assert "process_request" in text
    assert "RequestState(" in html  # the frames' variables are in the page
    secrets.assert_absent(text, "the error report")
    secrets.assert_absent(html, "the error page")
