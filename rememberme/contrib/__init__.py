"""Integrations with other Django apps, each an app of its own to add to ``INSTALLED_APPS``."""
