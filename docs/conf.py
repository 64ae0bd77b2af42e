"""Sphinx configuration for the django-rememberme documentation."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.support.settings")

import django  # noqa: E402

django.setup()

import rememberme  # noqa: E402

project = "django-rememberme"
copyright = "django-rememberme contributors"
release = rememberme.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.graphviz",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
]
# Diagrams are drawn at build time by Graphviz's dot (apt-get install graphviz).
graphviz_output_format = "svg"
intersphinx_mapping = {}
autodoc_typehints = "description"
html_theme = "furo"
html_title = "django-rememberme"
exclude_patterns = ["_build"]
nitpicky = False
