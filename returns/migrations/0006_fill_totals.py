"""Totals of the returns that existed before the totals did (see wdtportal/documents/migration_ops.py)."""

from django.db import migrations

from wdtportal.documents.migration_ops import fill_totals


def forwards(apps, schema_editor):
    fill_totals(apps, schema_editor, app_label="returns", document="PurchaseReturn", line="OutboundLine",
                fk="purchase_return", quantity="num")


class Migration(migrations.Migration):
    atomic = False  # one transaction per batch of returns

    dependencies = [("returns", "0005_totals")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
