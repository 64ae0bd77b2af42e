from __future__ import annotations

import pytest

from tests.conftest import close_browser, token_cookie, whoami

pytestmark = pytest.mark.django_db


def test_restore_after_browser_close(remembered):
    client, token = remembered
    first = token_cookie(client)
    assert first
    close_browser(client)
    assert whoami(client) == {"user": "alice", "restored": True}
    assert token_cookie(client) != first
