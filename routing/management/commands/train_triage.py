"""Train the triage model now: ``python manage.py train_triage``.

The nightly task does the same. The new version goes live only if it is
not worse than the live one on the most recent settled cases.
"""

from django.core.management.base import BaseCommand

from routing.learning import triage_train


class Command(BaseCommand):
    help = "Train a triage model on the starter corpus and the settled cases; make it live if not worse."

    def handle(self, *args, **options):
        version = triage_train()
        self.stdout.write(
            f"Triage model v{version.version}: {version.get_status_display()} — "
            f"{version.corpus_examples} corpus messages, {version.case_examples} settled cases "
            f"({version.corrections} re-routed), {version.train_seconds:.1f} s. {version.note}"
        )
