"""The how-to's DRF views (docs/howto/snippets/drf_login.py), loaded as they are documented."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[3] / "docs" / "howto" / "snippets" / "drf_login.py"
_spec = importlib.util.spec_from_file_location("howto_drf_login", _PATH)
assert _spec is not None
assert _spec.loader is not None
recipe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(recipe)
