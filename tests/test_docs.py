"""
The documentation names only what the code has.

Every page (``docs/**/*.rst`` and ``README.md``) is read for the names a
reader would copy: ``REMEMBERME_*`` settings, ``rememberme.…`` import
paths, ``purge_remember_tokens`` options, and the model reference's
columns, indexes and constraints. A name the code does not have fails, so a
rename or a removal cannot leave a page behind. The changelog is left out:
it records what changed, including names that are gone on purpose.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from rememberme.internal.conf import Settings
from rememberme.management.commands.purge_remember_tokens import Command
from rememberme.models import RememberToken

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(
    path
    for path in [*ROOT.joinpath("docs").rglob("*.rst"), ROOT / "README.md"]
    if path.name != "changelog.rst"
)
# Dotted names in the pages that are not import paths, and what they are.
NOT_IMPORT_PATHS = {
    "rememberme.theft": "a metric name in the deployment page's statsd example",
}
# Where the project's tools read environment variables (REMEMBERME_FUZZ_*,
# REMEMBERME_TEST_PG_*...): a page may name those as well as settings.
TOOLS = [ROOT / "noxfile.py", ROOT / "scripts", ROOT / ".ci", ROOT / "tests", ROOT / "bench"]


def page_texts() -> list[tuple[str, str]]:
    return [(str(path.relative_to(ROOT)), path.read_text()) for path in PAGES]


def tool_texts() -> str:
    texts = []
    for place in TOOLS:
        files = [place] if place.is_file() else sorted(place.rglob("*"))
        for path in files:
            if path.is_file() and path.suffix in (".py", ".sh", "") and path != Path(__file__):
                texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def settings_names() -> set[str]:
    return {f"REMEMBERME_{name}" for name in vars(Settings) if name.isupper()}


def environment_names() -> set[str]:
    return set(re.findall(r"\bREMEMBERME_[A-Z0-9_]*[A-Z0-9]\b", tool_texts()))


def test_pages_are_found():
    names = {path.name for path in PAGES}
    assert {"README.md", "settings.rst", "api.rst", "commands.rst"} <= names
    assert any(path.parent.name == "howto" for path in PAGES)


def test_every_named_setting_exists():
    known = settings_names() | environment_names()
    unknown = [
        f"{page}: {name}"
        for page, text in page_texts()
        # A trailing "_" is a name that a table cell wraps onto a second line.
        for name in re.findall(r"\bREMEMBERME_[A-Z0-9_]*[A-Z0-9]\b(?!_)", text)
        if name not in known
    ]
    assert unknown == []


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        module_name = ".".join(parts[:split])
        try:
            target: object = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name is not None and not error.name.startswith("rememberme"):
                # An integration whose app is not installed here: look for
                # the names in its source instead.
                return _defined_in_source(module_name, parts[split:])
            continue
        for attribute in parts[split:]:
            if not hasattr(target, attribute):
                return False
            target = getattr(target, attribute)
        return True
    return False


def _defined_in_source(module_name: str, attributes: list[str]) -> bool:
    base = ROOT.joinpath(*module_name.split("."))
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    if not path.exists():
        return False
    if not attributes:
        return True
    tree = ast.parse(path.read_text())
    names = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    } | {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return attributes[0] in names


def dotted_names() -> list[tuple[str, str]]:
    permissions = {f"rememberme.{codename}" for codename, _ in RememberToken._meta.permissions}
    found = []
    for page, text in page_texts():
        # Not after "/" (a file path) and not a check id (rememberme.E001).
        for match in re.finditer(
            r"(?<![/\w.])rememberme(?:\.(?![EW](?:\d|…))[A-Za-z_]\w*)+", text
        ):
            name = match.group()
            if name not in permissions and name not in NOT_IMPORT_PATHS:
                found.append((page, name))
    return found


def test_pages_name_import_paths():
    names = {name for _, name in dotted_names()}
    assert "rememberme.middleware.RememberMeMiddleware" in names
    assert "rememberme.purge.purge" in names


def test_every_named_import_path_exists():
    unknown = [f"{page}: {name}" for page, name in dotted_names() if not _resolves(name)]
    assert unknown == []


def test_a_missing_import_path_is_caught():
    assert _resolves("rememberme.purge.purge")
    assert _resolves("rememberme.models.RememberToken.objects")
    assert not _resolves("rememberme.purge.purge_all")
    assert not _resolves("rememberme.nowhere.thing")


def purge_options() -> set[str]:
    parser = Command().create_parser("manage.py", "purge_remember_tokens")
    return {option for action in parser._actions for option in action.option_strings}


OPTION = re.compile(r"(?<![\w-])--[a-z][\w-]*")


def test_every_named_purge_option_exists():
    options = purge_options()
    named = []
    for page, text in page_texts():
        if page == "docs/commands.rst":
            # The whole page is the command's: its options are every "--x".
            section = text.split("\n``purge_remember_tokens``\n", 1)[1]
            named += [(page, option) for option in OPTION.findall(section)]
        # Elsewhere, the options on a line that runs the command.
        for line in text.splitlines():
            if "purge_remember_tokens" in line:
                named += [(page, option) for option in OPTION.findall(line)]
    assert ("docs/commands.rst", "--keep-revoked") in named
    unknown = [f"{page}: {option}" for page, option in named if option not in options]
    assert unknown == []


def model_reference() -> set[str]:
    text = (ROOT / "docs" / "api.rst").read_text()
    assert ".. _model-reference:" in text, "docs/api.rst has no model reference"
    section = text.split(".. _model-reference:", 1)[1].split("\nThe middleware\n", 1)[0]
    named = set()
    for line in section.splitlines():
        if line.startswith("* ``"):
            # The names before the colon: "* ``user_agent`` and ``ip_address``: ..."
            named |= set(re.findall(r"``(\w+)``", line.split(":", 1)[0]))
    return named


def test_the_model_reference_lists_what_the_model_has():
    meta = RememberToken._meta
    fields = {field.name for field in meta.concrete_fields}
    indexes = {index.name for index in meta.indexes}
    constraints = {constraint.name for constraint in meta.constraints}
    documented = model_reference()
    assert documented - (fields | indexes | constraints) == set(), "documented, not in the model"
    assert (fields | indexes | constraints) - documented == set(), "in the model, not documented"


def test_no_project_file_cites_a_document_outside_the_repository():
    # The product contract the package was built to is not shipped: a file
    # that cites it sends readers nowhere, so each states its rule itself.
    word = re.compile(r"\b" + "S" + "PEC" + r"\b")
    places = ["rememberme", "tests", "docs", "bench", "scripts", ".ci", "example"]
    files = [ROOT / name for name in ("noxfile.py", "pyproject.toml", "README.md", "MANIFEST.in")]
    for place in places:
        files += sorted(ROOT.joinpath(place).rglob("*"))
    suffixes = {".py", ".rst", ".md", ".toml", ".sh", ".txt", ".html", ".js", ".in", ""}
    citing = [
        str(path.relative_to(ROOT))
        for path in files
        if path.is_file()
        and path.suffix in suffixes
        and "results" not in path.parts
        and word.search(path.read_text(errors="replace"))
    ]
    assert citing == []
