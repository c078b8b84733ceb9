import imaplib

from django.core.management.base import BaseCommand, CommandError

from feedback.inbound.mailboxes import MailboxConfig
from feedback.inbound.poll import PollRunning, mailbox_poll


class Command(BaseCommand):
    help = "Read CX_MAILBOX_URL's unread mail once (what the beat does every CX_MAILBOX_POLL_SECONDS)."

    def handle(self, *args, **options):
        config = MailboxConfig.from_settings()
        if config is None:
            raise CommandError("CX_MAILBOX_URL is not set: there is no mailbox to read.")
        try:
            counts = mailbox_poll(config=config)
        except PollRunning:
            raise CommandError(
                f"Another poller is reading {config.label} right now; try again shortly."
            ) from None
        except (OSError, imaplib.IMAP4.error) as exc:
            raise CommandError(f"Could not read {config.label}: {exc}") from exc
        names = ("created", "appended", "ignored", "rejected", "seen", "failed")
        self.stdout.write(f"{config.label}: " + ", ".join(f"{name} {counts.get(name, 0)}" for name in names))
