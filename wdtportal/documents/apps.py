"""The documents core's app: after every `migrate`, the state-tally triggers on every document table (tallies.py)."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _tallies_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    from .tallies import tallies_after_migrate

    tallies_after_migrate(using=using)


class DocumentsConfig(AppConfig):
    name = "wdtportal.documents"
    label = "documents"
    verbose_name = _("单据")

    def ready(self) -> None:
        # After the document apps' own post_migrate work: sent once, for this app.
        post_migrate.connect(_tallies_after_migrate, sender=self, dispatch_uid="documents-state-tallies")
