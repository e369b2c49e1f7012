"""Contains-search of WDT's error messages through trigram and bigram indexes, on PostgreSQL only (see
wdtportal/lists/trigram.py)."""

from django.db import migrations

from wdtportal.lists.trigram import AddBigramIndex, AddTrigramIndex


class Migration(migrations.Migration):
    atomic = False  # the index is built concurrently: calls are logged meanwhile

    dependencies = [("wdt", "0004_call_log_list_indexes")]

    operations = [
        AddTrigramIndex(model_name="wdtcall", field="error_message", name="wdtcall_error_message_trgm"),
        AddBigramIndex(model_name="wdtcall", field="error_message", name="wdtcall_error_message_bigrams"),
    ]
