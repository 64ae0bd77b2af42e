#!/usr/bin/env python3
"""The demo site's manage.py."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # Let the demo run from a checkout without installing anything else.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "demo.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
