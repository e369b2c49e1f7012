"""The shared models move here from `returns` without touching the database: their tables keep their names
(`returns_importbatch`, `returns_importupload`, `returns_statechange`), created by returns' own migrations."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('returns', '0003_excel_import_upload'),
    ]

    operations = [migrations.SeparateDatabaseAndState(database_operations=[], state_operations=[
        migrations.CreateModel(
            name='ImportBatch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=20, verbose_name='类型')),
                ('file_name', models.CharField(max_length=255, verbose_name='文件名')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='导入时间')),
                ('rows', models.PositiveIntegerField(default=0, verbose_name='行数')),
                ('documents', models.PositiveIntegerField(default=0, verbose_name='单据数')),
                ('created', models.PositiveIntegerField(default=0, verbose_name='新建')),
                ('updated', models.PositiveIntegerField(default=0, verbose_name='更新')),
                ('unchanged', models.PositiveIntegerField(default=0, verbose_name='未变')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='导入人')),
            ],
            options={
                'verbose_name': '导入批次',
                'verbose_name_plural': '导入批次',
                'db_table': 'returns_importbatch',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='ImportUpload',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=20, verbose_name='类型')),
                ('file_name', models.CharField(max_length=255, verbose_name='文件名')),
                ('data', models.BinaryField(verbose_name='文件内容')),
                ('rows', models.PositiveIntegerField(default=0, verbose_name='行数')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='上传时间')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上传人')),
            ],
            options={
                'verbose_name': '待导入文件',
                'verbose_name_plural': '待导入文件',
                'db_table': 'returns_importupload',
            },
        ),
        migrations.CreateModel(
            name='StateChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('object_id', models.PositiveBigIntegerField()),
                ('field', models.CharField(max_length=40, verbose_name='状态项')),
                ('from_state', models.CharField(choices=[('draft', '草稿'), ('ready', '已校验'), ('queued', '排队中'), ('sending', '发送中'), ('done', '已完成'), ('failed', '失败'), ('unknown', '结果未知')], max_length=20, verbose_name='原状态')),
                ('to_state', models.CharField(choices=[('draft', '草稿'), ('ready', '已校验'), ('queued', '排队中'), ('sending', '发送中'), ('done', '已完成'), ('failed', '失败'), ('unknown', '结果未知')], max_length=20, verbose_name='新状态')),
                ('reason', models.CharField(blank=True, max_length=500, verbose_name='原因')),
                ('at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='时间')),
                ('content_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='contenttypes.contenttype')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='操作人')),
            ],
            options={
                'verbose_name': '状态变更',
                'verbose_name_plural': '状态变更',
                'db_table': 'returns_statechange',
                'ordering': ['at', 'id'],
                'indexes': [models.Index(fields=['content_type', 'object_id'], name='returns_sta_content_19b370_idx')],
            },
        ),
    ])]
