"""Write the whole rule set as JSON (the format ``import_rules`` reads)."""

import json

from django.core.management.base import BaseCommand

from routing.transfer import rules_export


class Command(BaseCommand):
    help = "Export every rule (conditions and actions included) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="File to write; standard output by default.")

    def handle(self, *args, output=None, **options):
        text = json.dumps(rules_export(), indent=2, ensure_ascii=False) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as file:
                file.write(text)
            self.stderr.write(f"Rules written to {output}.")
        else:
            self.stdout.write(text, ending="")
