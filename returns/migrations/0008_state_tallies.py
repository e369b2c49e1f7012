"""The triggers that keep the dashboard's counts of returns by state (wdtportal/documents/tallies.py), and the
counts of the returns there already are."""

from functools import partial

from django.db import migrations

from wdtportal.documents.migration_ops import drop_tallies, install_tallies

FIELDS = ["outbound_state", "waiting_state"]


class Migration(migrations.Migration):
    dependencies = [("returns", "0007_list_indexes"), ("documents", "0002_state_tally")]

    operations = [migrations.RunPython(
        partial(install_tallies, app_label="returns", model_name="PurchaseReturn", fields=FIELDS),
        partial(drop_tallies, app_label="returns", model_name="PurchaseReturn"))]
