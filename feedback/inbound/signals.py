"""django-anymail's inbound webhooks (``/email/<esp>/inbound/``) hand their emails to intake."""

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.signals import AnymailInboundEvent
from django.conf import settings


def email_received(sender: type, event: AnymailInboundEvent, esp_name: str, **kwargs: object) -> None:
    """Process the posted email like a polled one, under the mailbox name ``webhook:<esp>``.

    An ESP that only authenticates with HTTP Basic auth is refused while
    ``CX_INBOUND_WEBHOOK_SECRET`` is empty: anymail would accept anyone's
    post, and anyone could then write into customers' cases. An error here
    answers 500, which the ESP retries; the fingerprint makes the retry safe.
    """
    from .services import inbound_email_process

    if getattr(sender, "warn_if_no_basic_auth", True) and not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        raise AnymailWebhookValidationFailure(
            f"The {esp_name} inbound webhook is off: set CX_INBOUND_WEBHOOK_SECRET to user:password."
        )
    inbound_email_process(message=event.message, mailbox=f"webhook:{esp_name.lower()}")
