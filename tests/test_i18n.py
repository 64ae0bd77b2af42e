"""The shipped catalogues load, cover the user-facing pages and translate every string."""

from __future__ import annotations

import ast
import gettext
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

import rememberme
from rememberme.models import RevokeReason

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", "Se souvenir de moi"), ("de", "Angemeldet bleiben")],
)
def test_login_page_is_translated(client, settings, language, expected):
    settings.LANGUAGE_CODE = language
    response = client.get("/accounts/login/")
    assert expected in response.content.decode()


@pytest.mark.parametrize(("language", "expected"), [("fr", "Vol détecté"), ("de", "Diebstahl")])
def test_revocation_reasons_are_translated(language, expected):
    with translation.override(language):
        assert expected in str(RevokeReason.label(RevokeReason.THEFT))


# -- The catalogues: .po files are the source, compiled .mo files are shipped --

LOCALE = Path(rememberme.__file__).parent / "locale"
LANGUAGES = ["fr", "de"]


def read_po(path: Path) -> list[dict[str, Any]]:
    """
    Return the entries of a .po file: ``msgid``, ``msgid_plural``, ``msgstr``
    (a list: one string, or one per plural form) and ``flags``.
    """
    entries: list[dict[str, Any]] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict[str, Any] = {"flags": set(), "msgid": None, "msgid_plural": None, "msgstr": []}
        field = "msgid"
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                text = ast.literal_eval(line)
                if field == "msgstr":
                    entry["msgstr"][-1] += text
                else:
                    entry[field] += text
            else:
                keyword, _, value = line.partition(" ")
                text = ast.literal_eval(value)
                if keyword.startswith("msgstr"):
                    field = "msgstr"
                    entry["msgstr"].append(text)
                else:
                    field = keyword
                    entry[field] = text
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


def problems(entries: list[dict[str, Any]]) -> list[str]:
    """Return the messages of ``entries`` that are untranslated or fuzzy (the header aside)."""
    return [
        entry["msgid"]
        for entry in entries
        if entry["msgid"] and ("fuzzy" in entry["flags"] or not all(entry["msgstr"]))
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language):
    entries = read_po(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert len(entries) > 50
    assert problems(entries) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language):
    # The .mo files are what Django reads (and what the wheel ships): one
    # compiled from an older .po would silently drop translations.
    folder = LOCALE / language / "LC_MESSAGES"
    expected = {}
    for entry in read_po(folder / "django.po"):
        if not entry["msgid"]:
            continue
        if entry["msgid_plural"] is None:
            expected[entry["msgid"]] = entry["msgstr"][0]
        else:
            for index, text in enumerate(entry["msgstr"]):
                expected[(entry["msgid"], index)] = text
    with (folder / "django.mo").open("rb") as compiled:
        catalogue = dict(gettext.GNUTranslations(compiled)._catalog)  # type: ignore[attr-defined]
    catalogue.pop("", None)
    assert catalogue == expected, "run: python3 scripts/dev.py messages"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs GNU gettext's xgettext")
def test_catalogues_hold_every_string_of_the_code(tmp_path, monkeypatch):
    # makemessages on a copy of the package: a string added to the code
    # without a translation shows up here as an empty msgstr.
    copy = tmp_path / "rememberme"
    shutil.copytree(LOCALE.parent, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=LANGUAGES, no_obsolete=True, no_location=True, verbosity=0)
    for language in LANGUAGES:
        assert problems(read_po(copy / "locale" / language / "LC_MESSAGES" / "django.po")) == []
