"""
The package's private modules: nothing here is a public import path, and
anything may change between releases. ``docs/internals.rst`` maps them.
"""
