"""Contains-search of the remark through a trigram index, on PostgreSQL only (see wdtportal/lists/trigram.py)."""

from django.db import migrations

from wdtportal.lists.trigram import AddTrigramIndex


class Migration(migrations.Migration):
    atomic = False  # the index is built concurrently: the returns stay writable meanwhile

    dependencies = [("returns", "0006_fill_totals")]

    operations = [AddTrigramIndex(model_name="purchasereturn", field="remark", name="pr_remark_trgm")]
