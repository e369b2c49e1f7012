"""The indexes of the lists (wdtportal/lists): each sortable column and filter with the id, numbers for prefix search,
the dashboard's unknowns; and contains-search through trigram and bigram indexes, on PostgreSQL only (wdtportal/lists/trigram.py).
After the totals are filled (an UPDATE of every row is cheaper with fewer indexes to keep)."""

from django.db import migrations, models

from wdtportal.lists.trigram import AddBigramIndex, AddTrigramIndex


class Migration(migrations.Migration):
    atomic = False  # the trigram index is built concurrently: the table stays writable meanwhile

    dependencies = [("settlements", "0004_fill_totals")]

    operations = [
        migrations.AddIndex(
            model_name='settlementdraft',
            index=models.Index(fields=['state', 'id'], name='sd_state_id'),
        ),
        migrations.AddIndex(
            model_name='settlementdraft',
            index=models.Index(fields=['js_order_no', 'id'], name='sd_js_order_no_id'),
        ),
        migrations.AddIndex(
            model_name='settlementdraft',
            index=models.Index(fields=['created_at', 'id'], name='sd_created_at_id'),
        ),
        migrations.AddIndex(
            model_name='settlementdraft',
            index=models.Index(fields=['sent_at', 'id'], name='sd_sent_at_id'),
        ),
        migrations.AddIndex(
            model_name='settlementdraft',
            index=models.Index(fields=['line_count', 'id'], name='sd_line_count_id'),
        ),
        migrations.AddIndex(
            model_name='settlementdraft',
            index=models.Index(fields=['total_quantity', 'id'], name='sd_total_quantity_id'),
        ),
        migrations.AddIndex(
            model_name='settlementdraft',
            index=models.Index(fields=['total_amount', 'id'], name='sd_total_amount_id'),
        ),
        migrations.AddIndex(
            model_name='settlementdraft',
            index=models.Index(fields=['logistics_no'], name='sd_logistics_no_like', opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='settlementdraft',
            index=models.Index(fields=['logistics_company_no'], name='sd_logistics_company_no_like', opclasses=['varchar_pattern_ops']),
        ),
        migrations.AddIndex(
            model_name='settlementdraft',
            index=models.Index(condition=models.Q(('state', 'unknown')), fields=['updated_at', 'id'], name='sd_unknown'),
        ),
        migrations.AddIndex(
            model_name='settlementline',
            index=models.Index(fields=['spec_no'], name='settlementline_spec_no_like', opclasses=['varchar_pattern_ops']),
        ),
        AddTrigramIndex(model_name="settlementdraft", field="remark", name="sd_remark_trgm"),
        AddBigramIndex(model_name="settlementdraft", field="remark", name="sd_remark_bigrams"),
    ]
