"""Data migration: the groups 财务专员 (clerk) and 财务主管 (supervisor) with their permissions."""

from django.db import migrations


def create_groups(apps, schema_editor):
    from wdtportal.documents.groups import sync_groups

    sync_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0001_initial"),
        ("settlements", "0001_initial"),
        ("wdt", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
