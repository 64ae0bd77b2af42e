"""
Settings for the server that the PostgreSQL race tests start (gunicorn, one
process per worker). The test suite's settings on the test database that
pytest-django made, with a grace window short enough to outwait in a test.
"""

from __future__ import annotations

import os

from tests.support.settings import *  # noqa: F403
from tests.support.settings import DATABASES

for _database in DATABASES.values():
    _database["NAME"] = os.environ["REMEMBERME_RACE_DB_NAME"]

# Against the real standby (.ci/replica.sh): reads through the router of
# Django's multi-database docs, as a site with a read replica does.
if os.environ.get("REMEMBERME_TEST_PG_REPLICA_PORT"):
    DATABASE_ROUTERS = ["tests.support.replica_router.PrimaryReplicaRouter"]

# Long enough for a burst of 16 requests on 4 workers of a 2-core machine to
# finish well inside it, short enough for the test to wait it out.
REMEMBERME_ROTATION_GRACE = int(os.environ.get("REMEMBERME_RACE_GRACE", "5"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"rememberme": {"handlers": ["stderr"], "level": "INFO"}},
}

# The theft rule's e-mail, counted by the race tests in files of this folder.
if os.environ.get("REMEMBERME_RACE_MAIL_DIR"):
    REMEMBERME_NOTIFY_EMAIL = ("theft",)
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["REMEMBERME_RACE_MAIL_DIR"]
