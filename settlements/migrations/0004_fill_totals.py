"""Totals of the settlement drafts that existed before the totals did (see wdtportal/documents/migration_ops.py)."""

from django.db import migrations

from wdtportal.documents.migration_ops import fill_totals


def forwards(apps, schema_editor):
    fill_totals(apps, schema_editor, app_label="settlements", document="SettlementDraft", line="SettlementLine",
                fk="draft", quantity="settle_num")


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch of drafts

    dependencies = [("settlements", "0003_totals")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
