"""The staff roles' groups in every schema (their permissions are set after each migrate by
``apps.backoffice.roles.roles_sync``, once every app's permissions exist)."""

from django.db import migrations

from apps.backoffice.roles import roles_here


def create_role_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for role in roles_here(schema_editor.connection.schema_name):
        Group.objects.using(schema_editor.connection.alias).get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
