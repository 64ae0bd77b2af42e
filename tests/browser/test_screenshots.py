"""
The documentation's screenshots come from this command (``python3
scripts/dev.py screenshots``): it must keep working, and it checks on the way that the
stylesheet applies, focus is visible and the devices page fits a phone.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).resolve().parents[2] / "example" / "screenshots.py"


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_screenshots_are_taken(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], env=env, check=True)
    assert png_size(tmp_path / "login.png") == (1040, 640)
    assert png_size(tmp_path / "devices.png")[0] == 1040
    assert png_size(tmp_path / "tour.png")[0] == 1040
    assert png_size(tmp_path / "devices-mobile.png")[0] == 390
    assert png_size(tmp_path / "signed-out-mobile.png") == (390, 800)
