"""`manage.py sweep_sending`: hold documents stuck in sending as unknown. Run it every few minutes (cron)."""

from django.core.management.base import BaseCommand

from wdtportal.documents.sweep import documents_sweep_sending


class Command(BaseCommand):
    help = "Move documents that have been sending longer than WDT_SENDING_TIMEOUT seconds to unknown."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--timeout", type=int, default=None,
                            help="seconds (default: the WDT_SENDING_TIMEOUT setting)")

    def handle(self, *args, timeout: int | None, **options) -> None:
        answers = documents_sweep_sending(timeout_seconds=timeout)
        for answer in answers:
            self.stdout.write(f"{answer.document._meta.verbose_name} {answer.document}: {answer.outcome_label}")
        self.stdout.write(f"{len(answers)} document(s) moved from sending to unknown")
