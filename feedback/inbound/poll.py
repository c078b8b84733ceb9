"""One poll of the configured mailbox: read unread mail, act on each email once."""

import logging
from collections import Counter
from datetime import datetime
from email.message import EmailMessage

from django.core.cache import cache
from django.utils import timezone

from .mailboxes import MailboxConfig, mailbox_read, reader_for
from .services import inbound_email_handle

log = logging.getLogger(__name__)

# Long enough for a big batch; short enough that a poller killed while
# holding it delays the next polls by minutes, not hours.
LOCK_TIMEOUT = 5 * 60


class PollRunning(Exception):
    """Another poller is reading this mailbox right now."""


def mailbox_poll(*, config: MailboxConfig, now: datetime | None = None) -> Counter:
    """Process the mailbox's unread emails; counts by outcome ("created", "seen", "failed"…).

    A cache lock keeps two pollers from reading one mailbox at once, which
    would only waste work: correctness comes from the fingerprints, so with
    the cache down the poll goes ahead without the lock. Raises
    ``PollRunning`` when another poller holds it.
    """
    key = f"inbound:poll:{config.label}"
    try:
        locked = cache.add(key, (now or timezone.now()).isoformat(), LOCK_TIMEOUT)
    except Exception:
        log.warning("No cache for the mailbox lock; polling without it.", exc_info=True)
        locked = None
    if locked is False:
        raise PollRunning(config.label)

    def process(message: EmailMessage) -> str:
        record, new = inbound_email_handle(message=message, mailbox=config.label, now=now)
        return record.outcome if new else "seen"

    try:
        with reader_for(config) as reader:
            return mailbox_read(reader, process=process)
    finally:
        if locked:
            cache.delete(key)
