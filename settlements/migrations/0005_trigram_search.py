"""Contains-search of the remark through a trigram index, on PostgreSQL only (see wdtportal/lists/trigram.py)."""

from django.db import migrations

from wdtportal.lists.trigram import AddTrigramIndex


class Migration(migrations.Migration):
    atomic = False  # the index is built concurrently: the drafts stay writable meanwhile

    dependencies = [("settlements", "0004_fill_totals")]

    operations = [AddTrigramIndex(model_name="settlementdraft", field="remark", name="sd_remark_trgm")]
