"""`manage.py recount_states`: recount the dashboard's state tallies from the documents (documents/tallies.py).

They are kept by triggers and need no recount in the normal course; this repairs them after a table was restored
or edited with the triggers off. On PostgreSQL each document table is locked against writes while it is counted.
"""

from typing import Any

from django.core.management.base import BaseCommand

from wdtportal.documents.tallies import state_counts, state_tallies_install, state_tallies_rebuild


class Command(BaseCommand):
    help = "Recount the documents by state (the dashboard's counts) and make sure their triggers are in place."

    def handle(self, *args: Any, **options: Any) -> None:
        installed, _ = state_tallies_install()
        state_tallies_rebuild(installed)
        for (label, field), states in sorted(state_counts().items()):
            self.stdout.write(f"{label}.{field}: " + ", ".join(f"{s} {n:,}" for s, n in sorted(states.items())))
