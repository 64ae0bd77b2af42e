"""
What a token keeps of the browser (its user agent and IP), and readable
browser and OS names for a stored user agent, for display only.

Parsing uses ``ua-parser`` (the maintained uap-core rules) when a page is
shown, never when a token is issued: the rules improve with each release,
and what is stored stays the raw header. A page lists a handful of user
agents that repeat across requests, hence the small cache.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from ua_parser import parse_os, parse_user_agent

from ..models import RememberToken

__all__ = ["Device", "client_ip", "client_user_agent", "describe"]

#: Shown for a part the rules do not recognise ("Other" in uap-core).
UNKNOWN_BROWSER = _("Unknown browser")
UNKNOWN_OS = _("Unknown system")


def client_user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[: RememberToken.USER_AGENT_MAX_LENGTH]


def client_ip(request: HttpRequest) -> str | None:
    """
    Return ``REMOTE_ADDR``, for display on the devices page.

    Proxy headers are not read: behind a proxy, set ``REMOTE_ADDR`` with a
    middleware that knows which proxies to trust, as Django recommends.
    """
    value = request.META.get("REMOTE_ADDR")
    return str(value) if value else None


class Device(NamedTuple):
    """A browser and its operating system, each a name or its "Unknown ..." stand-in."""

    browser: str
    os: str

    @property
    def os_known(self) -> bool:
        return self.os != str(UNKNOWN_OS)

    @property
    def label(self) -> str:
        """
        Return "Firefox 121 on Linux"; a part that is not recognised is left
        out rather than shown as "on Unknown" ("curl 8").
        """
        if not self.os_known:
            return self.browser
        return gettext("%(browser)s on %(os)s") % {"browser": self.browser, "os": self.os}

    def __str__(self) -> str:
        return self.label


def _version(*parts: str | None) -> str:
    return ".".join(part for part in parts[:2] if part)


@functools.lru_cache(maxsize=512)
def _parse(user_agent: str) -> tuple[str | None, str | None]:
    browser = parse_user_agent(user_agent)
    system = parse_os(user_agent)
    browser_name = None
    if browser is not None and browser.family != "Other":
        browser_name = " ".join(filter(None, (browser.family, _version(browser.major))))
    os_name = None
    if system is not None and system.family != "Other":
        os_name = " ".join(filter(None, (system.family, _version(system.major, system.minor))))
    return browser_name, os_name


def describe(user_agent: str) -> Device:
    """
    Return the browser and OS names for ``user_agent``, "Unknown browser" and
    "Unknown system" where not recognised.
    """
    browser, system = _parse(user_agent or "")
    return Device(browser or str(UNKNOWN_BROWSER), system or str(UNKNOWN_OS))
