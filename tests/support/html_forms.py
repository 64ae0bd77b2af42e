"""Read a page's forms as a browser would submit them (the tests of reusable pages)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

__all__ = ["forms_of", "password_form"]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "form":
            self.forms.append({"action": attributes.get("action"), "fields": {}, "types": {}})
        elif tag in ("input", "select", "textarea", "button") and self.forms and name:
            kind = attributes.get("type") or tag
            if kind in ("submit", "button") or (
                kind == "checkbox" and "checked" not in attributes
            ):
                # Not sent unless pressed or ticked; noted for the test to use.
                self.forms[-1]["types"][name] = kind
                return
            self.forms[-1]["fields"][name] = attributes.get("value") or ""
            self.forms[-1]["types"][name] = kind
            self.select = name if tag == "select" else None
        elif tag == "option" and self.select and attributes.get("value"):
            # The user picks the first real choice (the only device, say).
            fields = self.forms[-1]["fields"]
            fields[self.select] = fields[self.select] or attributes["value"]


def forms_of(page: str) -> list[dict[str, Any]]:
    """Return each form: ``action`` (``None`` when absent), ``fields`` sent, ``types`` of all."""
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def password_form(page: str, field: str = "password") -> dict[str, Any]:
    """Return the page's one form with a ``field`` input (the header's sign-out form is not it)."""
    (form,) = [f for f in forms_of(page) if field in f["types"]]
    return form
