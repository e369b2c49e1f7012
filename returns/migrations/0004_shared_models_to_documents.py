"""ImportBatch, ImportUpload and StateChange move to the documents core (wdtportal/documents).

Only Django's idea of where they live changes: their tables keep their names and every row stays. Their content
types move with them (so their permissions, and the groups holding them, carry over), then the groups are synced
with the new permission names.
"""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ("importbatch", "importupload", "statechange")


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        moving = ContentType.objects.filter(app_label=old, model=model).first()
        if moving is None:
            continue
        # A content type already there (created by a command run in between) has no rows pointing at it that
        # matter more than the moving one's permissions: the moving one wins.
        ContentType.objects.filter(app_label=new, model=model).delete()
        moving.app_label = new
        moving.save(update_fields=["app_label"])
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    from wdtportal.documents.groups import sync_groups

    _relabel(apps, "returns", "documents")
    sync_groups(apps)


def backwards(apps, schema_editor):
    _relabel(apps, "documents", "returns")


class Migration(migrations.Migration):

    dependencies = [
        ('documents', '0001_initial'),
        ('returns', '0003_excel_import_upload'),
        ('settlements', '0002_alter_settlementdraft_import_batch'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(database_operations=[], state_operations=[
            migrations.AlterField(
                model_name='purchasereturn',
                name='import_batch',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='documents.importbatch', verbose_name='导入批次'),
            ),
            migrations.DeleteModel(name='ImportBatch'),
            migrations.DeleteModel(name='ImportUpload'),
            migrations.DeleteModel(name='StateChange'),
        ]),
        migrations.RunPython(forwards, backwards),
    ]
