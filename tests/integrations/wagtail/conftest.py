from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from tests.helpers import PASSWORD


@pytest.fixture
def editor(django_user_model):
    """A Wagtail editor: a user who may open Wagtail's admin."""
    user = django_user_model.objects.create_user("editor", "editor@example.com", PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    return user
