"""Integration suites run one at a time under their own settings (noxfile session "integrations")."""

from __future__ import annotations

import os
from pathlib import Path

_SELECTED = os.environ.get("REMEMBERME_INTEGRATION", "")
collect_ignore_glob = [
    path.name
    for path in Path(__file__).parent.iterdir()
    if path.is_dir() and path.name != _SELECTED and not path.name.startswith("__")
]
