"""
Settings for the server that the PostgreSQL race tests start (gunicorn, one
process per worker). The test suite's settings on the test database that
pytest-django made, with a grace window short enough to outwait in a test.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["REMEMBERME_RACE_DB_NAME"]

# Long enough for a burst of 16 requests on 4 workers of a 2-core machine to
# finish well inside it, short enough for the test to wait it out.
REMEMBERME_ROTATION_GRACE = int(os.environ.get("REMEMBERME_RACE_GRACE", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"rememberme": {"handlers": ["stderr"], "level": "INFO"}},
}
