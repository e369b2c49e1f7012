"""The indexes of the lists (wdtportal/lists): each sortable column and filter with the id, numbers for prefix search,
the dashboard's unknowns; and contains-search through trigram and bigram indexes, on PostgreSQL only (wdtportal/lists/trigram.py).
After the totals are filled (an UPDATE of every row is cheaper with fewer indexes to keep)."""

from django.db import migrations, models

from wdtportal.lists.trigram import AddBigramIndex, AddTrigramIndex


class Migration(migrations.Migration):
    atomic = False  # the trigram index is built concurrently: the table stays writable meanwhile

    dependencies = [("returns", "0006_fill_totals")]

    operations = [
        migrations.AddIndex(
            model_name='outboundline',
            index=models.Index(fields=['spec_no'], name='outboundline_spec_no_like', opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='purchasereturn',
            index=models.Index(fields=['outbound_state', 'id'], name='pr_outbound_state_id'),
        ),
        migrations.AddIndex(
            model_name='purchasereturn',
            index=models.Index(fields=['waiting_state', 'id'], name='pr_waiting_state_id'),
        ),
        migrations.AddIndex(
            model_name='purchasereturn',
            index=models.Index(fields=['created_at', 'id'], name='pr_created_at_id'),
        ),
        migrations.AddIndex(
            model_name='purchasereturn',
            index=models.Index(fields=['sent_at', 'id'], name='pr_sent_at_id'),
        ),
        migrations.AddIndex(
            model_name='purchasereturn',
            index=models.Index(fields=['line_count', 'id'], name='pr_line_count_id'),
        ),
        migrations.AddIndex(
            model_name='purchasereturn',
            index=models.Index(fields=['total_quantity', 'id'], name='pr_total_quantity_id'),
        ),
        migrations.AddIndex(
            model_name='purchasereturn',
            index=models.Index(fields=['total_amount', 'id'], name='pr_total_amount_id'),
        ),
        migrations.AddIndex(
            model_name='purchasereturn',
            index=models.Index(fields=['logistics_no'], name='pr_logistics_no_like', opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='purchasereturn',
            index=models.Index(fields=['logistics_code'], name='pr_logistics_code_like', opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='purchasereturn',
            index=models.Index(condition=models.Q(('outbound_state', 'unknown')), fields=['updated_at', 'id'], name='pr_unknown_outbound'),
        ),
        migrations.AddIndex(
            model_name='purchasereturn',
            index=models.Index(condition=models.Q(('waiting_state', 'unknown')), fields=['updated_at', 'id'], name='pr_unknown_waiting'),
        ),
        AddTrigramIndex(model_name="purchasereturn", field="remark", name="pr_remark_trgm"),
        AddBigramIndex(model_name="purchasereturn", field="remark", name="pr_remark_bigrams"),
    ]
