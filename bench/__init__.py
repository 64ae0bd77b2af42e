"""
The project's benchmark: what remembering costs a request, measured as ratios.

Run it with ``python3 scripts/dev.py bench`` (``--quick`` for CI); see
``docs/performance.rst`` for what each figure means.
"""
