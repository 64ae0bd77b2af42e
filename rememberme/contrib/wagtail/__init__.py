"""
Wagtail integration: add ``"rememberme.contrib.wagtail"`` to
``INSTALLED_APPS`` and the "Remember me" box of Wagtail's admin login
decides whether the browser is remembered.
"""
