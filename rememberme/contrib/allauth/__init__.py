"""
django-allauth integration: add ``"rememberme.contrib.allauth"`` to
``INSTALLED_APPS`` after allauth's apps, and allauth's own "Remember Me" box
decides whether the browser is remembered.
"""
