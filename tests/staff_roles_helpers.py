"""Backoffice clients of staff members with a role (``apps/backoffice/roles.py``)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from django_tenants.utils import schema_context

from apps.backoffice.roles import role_group, roles_sync
from tests.test_backoffice import STAFF_PASSWORD, staff_login


def role_client(host: str, schema: str, role: str, username: str | None = None) -> Client:
    """A signed-in backoffice client of a new staff member with ``role`` (the roles' groups
    synced first: each test starts from emptied tables, groups included)."""
    username = username or role.replace(" ", "_")
    with schema_context(schema):
        roles_sync()
        user = User.objects.create_user(username, "", STAFF_PASSWORD, is_staff=True)
        user.groups.add(role_group(role))
    client = Client(HTTP_HOST=host)
    response = staff_login(client, schema, username)
    assert response.status_code == 302, response.content.decode()[:500]
    return client
