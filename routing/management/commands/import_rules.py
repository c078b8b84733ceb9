"""Read a rules file written by ``export_rules``: all of it, or nothing if anything is invalid."""

import json

from django.core.management.base import BaseCommand, CommandError

from cxportal.errors import ApplicationError
from routing.transfer import rules_import


class Command(BaseCommand):
    help = "Import rules from JSON. Rules are merged by name; --replace makes the file the whole rule set."

    def add_arguments(self, parser):
        parser.add_argument("file", help="A JSON file written by export_rules.")
        parser.add_argument("--replace", action="store_true", help="Delete the rules the file does not name.")

    def handle(self, *args, file, replace=False, **options):
        try:
            with open(file, encoding="utf-8") as handle:
                data = json.load(handle)
        # RecursionError: json gives up on nesting a few thousand levels deep.
        except (OSError, ValueError, RecursionError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None
        try:
            result = rules_import(data=data, replace=replace)
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from None
        self.stdout.write(
            f"{len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.unchanged)} unchanged, {len(result.deleted)} deleted."
        )
