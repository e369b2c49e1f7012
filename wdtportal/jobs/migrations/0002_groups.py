"""Data migration: both groups may see background jobs (wdtportal/documents/groups.py)."""

from django.db import migrations


def sync(apps, schema_editor):
    from wdtportal.documents.groups import sync_groups

    sync_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("returns", "0002_groups"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
