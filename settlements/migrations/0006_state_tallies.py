"""The triggers that keep the dashboard's counts of settlement drafts by state (wdtportal/documents/tallies.py), and
the counts of the drafts there already are."""

from functools import partial

from django.db import migrations

from wdtportal.documents.migration_ops import drop_tallies, install_tallies


class Migration(migrations.Migration):
    dependencies = [("settlements", "0005_list_indexes"), ("documents", "0002_state_tally")]

    operations = [migrations.RunPython(
        partial(install_tallies, app_label="settlements", model_name="SettlementDraft", fields=["state"]),
        partial(drop_tallies, app_label="settlements", model_name="SettlementDraft"))]
