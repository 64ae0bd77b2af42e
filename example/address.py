"""
Where the demo server listens: ``scripts/dev.py demo [ADDRESS]``.

ADDRESS is anything ``runserver`` takes (``8080``, ``0.0.0.0:8000``,
``[::1]:8000``); without it, the ``REMEMBERME_DEMO_ADDRESS`` environment
variable; without that, 127.0.0.1:8000. Standard library only: the noxfile
imports it before anything is installed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

DEFAULT = "127.0.0.1:8000"
ENV_VAR = "REMEMBERME_DEMO_ADDRESS"

_ADDRESS = re.compile(r"^(?:(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(?P<port>\d{1,5})$")


def demo_address(args: Sequence[str], environ: Mapping[str, str]) -> tuple[str, str, list[str]]:
    """Return the address to give runserver, the URL to print, and the other arguments."""
    rest = list(args)
    address = rest.pop(0) if rest and _ADDRESS.match(rest[0]) else environ.get(ENV_VAR) or DEFAULT
    match = _ADDRESS.match(address)
    if match is None:
        raise SystemExit(
            f"{ENV_VAR}={address!r} is not an address runserver takes: use PORT or HOST:PORT."
        )
    host = match.group("host") or "127.0.0.1"
    if host in ("0.0.0.0", "[::]", "0"):  # noqa: S104 (what the user asked runserver for)
        # Listening everywhere: this machine reaches it on the loopback.
        host = "127.0.0.1" if host != "[::]" else "[::1]"
    if not match.group("host"):
        address = f"127.0.0.1:{match.group('port')}"
    return address, f"http://{host}:{match.group('port')}/", rest
