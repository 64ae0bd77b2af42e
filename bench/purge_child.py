"""
Run one management command in a process of its own and report its cost.

``python -m bench.purge_child COMMAND [ARGS...]`` prints one JSON line: the
command's wall time, the process's resident memory before it and its peak
during it (``VmHWM``, reset first where the kernel allows). Both purge
commands are measured this way, so they are measured alike.
"""

from __future__ import annotations

import io
import json
import sys
import time

import django


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0+).
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def main() -> None:
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    connection.ensure_connection()  # connecting is not the command's cost
    before = _status_kib("VmRSS")
    peak_reset = _reset_peak()
    out = io.StringIO()
    # For a parent that times other work while the command runs.
    print("ready", flush=True)
    started = time.perf_counter()
    call_command(*sys.argv[1:], stdout=out, stderr=out)
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "rss_before_kib": before,
                "peak_rss_kib": _status_kib("VmHWM"),
                "peak_reset": peak_reset,
                "output": out.getvalue().strip(),
            }
        )
    )


if __name__ == "__main__":
    main()
