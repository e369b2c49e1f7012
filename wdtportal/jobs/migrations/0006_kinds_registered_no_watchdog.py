"""Job kinds are registered by the document apps (no fixed choices); the watchdog task chain is gone (recovery
runs in the workers' maintenance only), and with it the job's watch_task_id."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('jobs', '0005_job_language'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='job',
            name='watch_task_id',
        ),
        migrations.AlterField(
            model_name='job',
            name='kind',
            field=models.CharField(max_length=40, verbose_name='操作'),
        ),
    ]
