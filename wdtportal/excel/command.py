"""The shared body of `manage.py import_returns` and `manage.py import_settlements`, for scheduled jobs."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from .documents import ImportReport


class ImportCommand(BaseCommand):
    """Import one file; with --dry-run only check it. Exit status 1 and every row error on stderr when it fails."""

    importer: Callable[..., ImportReport]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="xlsx、xls 或 csv 文件")
        parser.add_argument("--dry-run", action="store_true", help="只检查，不写入数据库")
        parser.add_argument("--user", help="记为导入人的用户名")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            message = _("无法读取文件 %(path)s：%(error)s") % {"path": path, "error": error.strerror}
            raise CommandError(message) from None
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("没有用户名为 %(name)s 的用户") % {"name": options["user"]})
        report = type(self).importer(data, file_name=path.name, user=user, dry_run=options["dry_run"])
        for name in report.unknown_columns:
            self.stderr.write(_("未识别的列（已忽略）：%(name)s") % {"name": name})
        if report.problem:
            raise CommandError(report.problem)
        if report.error_count:
            for line in report.error_lines():
                self.stderr.write(line)
            raise CommandError(_("发现 %(n)s 个错误，没有做任何修改。") % {"n": report.error_count})
        self.stdout.write(report.summary())
        if report.locked_documents:
            for key, state in report.locked_documents:
                self.stdout.write(
                    _("未修改（%(state)s，旺店通已接收或正在处理）：%(key)s") % {"state": state, "key": key})
        if options["dry_run"]:
            self.stdout.write(_("检查通过（--dry-run，未写入）。"))
        else:
            self.stdout.write(_("导入完成，导入批次 %(id)s。") % {"id": report.batch_id})
