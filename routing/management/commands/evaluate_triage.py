"""How well triage routes labelled messages: ``python manage.py evaluate_triage``.

Prints accuracy per language and department, balanced accuracy and tag
macro-F1 for the rules alone, the model alone and both together (the
README's table). By default it judges this installation's active rules and
live model on the held-out set ``tests/data/triage_heldout``; ``--demo``
judges the demo rules and the starter model instead, as shipped.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from routing.config import active_ruleset
from routing.learning import live_triage, starter_model
from routing.quality import demo_ruleset
from routing.selectors import fallback_department
from routing.triage import TriageModel
from routing.triage.corpus import read_folder, read_labelled
from routing.triage.evaluation import compare, format_markdown

HELDOUT = Path(settings.BASE_DIR) / "tests" / "data" / "triage_heldout"


class Command(BaseCommand):
    help = "Score rules alone, the model alone and both on labelled messages (the held-out set by default)."

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            default=str(HELDOUT),
            help="A labelled .jsonl/.json file or a folder of .jsonl files.",
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Judge the demo rules and the starter model, not this installation's.",
        )
        parser.add_argument(
            "--misses", action="store_true", help="Also list the messages the hybrid got wrong."
        )

    def handle(self, *args, path: str, demo: bool, misses: bool, **options):
        source = Path(path)
        if not source.exists():
            raise CommandError(f"No such file or folder: {source}")
        items = read_folder(source) if source.is_dir() else read_labelled(source)
        model: TriageModel | None
        if demo:
            ruleset, model, fallback, thresholds = demo_ruleset(), starter_model(), "customer-service", None
            described = "demo rules, starter model"
        else:
            live = live_triage()
            ruleset, fallback = active_ruleset(), fallback_department().slug
            model, thresholds = (live.model, live.thresholds) if live else (None, None)
            described = f"active rules, model v{live.version}" if live else "active rules, no live model"
        report = compare(items, ruleset=ruleset, model=model, fallback=fallback, thresholds=thresholds)
        self.stdout.write(f"{len(items)} messages from {source} — {described}\n")
        self.stdout.write(format_markdown(report))
        decided = ", ".join(f"{k} {v}" for k, v in sorted(report.decided_by.items()))
        self.stdout.write(f"\nHybrid decided by: {decided}")
        if misses:
            for miss in report.misses:
                self.stdout.write(
                    f"{miss['id']}: expected {miss['expected']}, got {miss['got']} by {miss['by']}"
                    + (f" (suggested {miss['suggestion']})" if miss["suggestion"] else "")
                    + f" — {miss['text'][:160]}"
                )
