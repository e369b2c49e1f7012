"""The dashboard's state counts (wdtportal/documents/tallies.py). Each document app's migration puts the triggers
on its own table; going back, every trigger is dropped before the table they write to."""

from django.db import migrations, models

from wdtportal.documents.migration_ops import drop_all_tally_triggers


class Migration(migrations.Migration):

    dependencies = [
        ('documents', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='StateTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('model', models.CharField(max_length=100)),
                ('field', models.CharField(max_length=40)),
                ('state', models.CharField(max_length=20)),
                ('delta', models.BigIntegerField()),
            ],
            options={
                'verbose_name': '状态计数',
                'verbose_name_plural': '状态计数',
            },
        ),
        migrations.RunPython(migrations.RunPython.noop, drop_all_tally_triggers),
    ]
