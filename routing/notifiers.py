"""Outbound messages. One class per destination, each with ``notify()``,
so tests and new channels touch one place."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from .models import Notification


class EmailNotifier:
    """Email a staff member about a case event, in plain text and HTML."""

    templates = {
        "routed": "email/case_routed",
        # Added as a watcher by a rule: copied on the case.
        "watching": "email/case_watching",
        # Named in a rule's "notify": told once that the case matched it.
        "rule_notify": "email/case_rule_notify",
    }

    def notify(self, notification: Notification) -> None:
        case = notification.case
        recipient = notification.recipient
        template = self.templates[notification.event]
        context = {
            "case": case,
            "recipient": recipient,
            "case_url": settings.SITE_URL + case.get_absolute_url(),
            "matched_rules": [m.get("name", "") for m in (case.decision or {}).get("matches", [])],
        }
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string(f"{template}_subject.txt", context).strip()
            text = render_to_string(f"{template}.txt", context)
            html = render_to_string(f"{template}.html", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=text,
            to=[recipient.email],
            headers={"X-CX-Notification": notification.key},
        )
        message.attach_alternative(html, "text/html")
        message.send()


NOTIFIERS = {Notification.Channel.EMAIL: EmailNotifier()}
