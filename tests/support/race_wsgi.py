"""WSGI entry point of the race tests' gunicorn (``tests.support.race_settings``)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.race_settings")

application = get_wsgi_application()
