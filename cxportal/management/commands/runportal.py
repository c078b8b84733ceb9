import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from cxportal import runner
from routing import demo
from routing.demo import DEFAULT_PASSWORD


class Command(BaseCommand):
    help = (
        "Migrate, optionally load the demo, then run Redis (embedded unless REDIS_URL is set), "
        "a Celery worker, Celery beat and the web server until Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="Load the demo organisation (seed_demo).")
        parser.add_argument("--host", default="127.0.0.1", help="Web server address (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Web server port (default 8000).")
        parser.add_argument(
            "--redis-port",
            type=int,
            default=6379,
            help="Port of the embedded Redis (default 6379; a free one if taken).",
        )
        parser.add_argument(
            "--smtp-port",
            type=int,
            default=2525,
            help="Port of the demo SMTP sink whose mail becomes cases (default 2525; a free one if taken; "
            "not started when CX_MAILBOX_URL is set).",
        )

    def handle(self, *args, demo: bool, host: str, port: int, redis_port: int, smtp_port: int, **options):
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        if demo:
            call_command("seed_demo", password=DEFAULT_PASSWORD)
        if not settings.DEBUG:
            # Without DEBUG, static files are served from hashed copies.
            call_command("collectstatic", interactive=False, verbosity=0)
        # The children open their own connections; this process is only the supervisor now.
        connections.close_all()
        file_backend = settings.EMAIL_BACKEND.endswith("filebased.EmailBackend")
        portal = runner.PortalOptions(
            host=host,
            port=port,
            redis_port=redis_port,
            smtp_port=smtp_port,
            inbound_address=settings.CX_INBOUND_ADDRESS,
            demo_logins=demo_logins() if demo else [],
            demo_password=DEFAULT_PASSWORD,
        )
        try:
            status = runner.run_portal(
                options=portal,
                base_dir=settings.BASE_DIR,
                var_dir=settings.VAR_DIR,
                email_dir=settings.EMAIL_FILE_PATH if file_backend else None,
            )
        except runner.StartupError as exc:
            raise CommandError(str(exc)) from exc
        if status:
            sys.exit(status)


def demo_logins() -> list[str]:
    """``laura (logistics)``, ... then the executive and the administrator."""
    owners = [f"{owner} ({slug})" for slug, _name, owner, *_rest in demo.DEPARTMENTS]
    return [*owners, "elena (executive)", "admin (administrator)"]
