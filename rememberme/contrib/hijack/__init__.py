"""
django-hijack integration: add ``"rememberme.contrib.hijack"`` to
``INSTALLED_APPS`` and impersonation proves nothing: it never makes a
session fresh, never issues a token for the impersonated user and never
revokes the impersonating administrator's own.
"""
