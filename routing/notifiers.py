"""Outbound messages. One class per destination, each with ``notify()``,
so tests and new channels touch one place."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
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
        # The customer wrote on their tracking page.
        "customer_message": "email/case_customer_message",
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


class CustomerEmailNotifier:
    """Email the case's customer, in the language they wrote in.

    These are messages about their own case (acknowledgement, replies,
    survey), which need no marketing consent.
    """

    templates = {
        "acknowledgement": "email/customer_acknowledgement",
        "reply": "email/customer_reply",
        "survey": "email/customer_survey",
    }

    def notify(self, notification: Notification) -> None:
        from feedback.models import CaseEvent
        from routing.selectors import promised_first_response_hours

        case = notification.case
        template = self.templates[notification.event]
        reply = None
        if notification.event == "reply":
            event_id = notification.key.split(":")[3]
            reply = CaseEvent.objects.filter(pk=event_id, case=case).first()
        context = {
            "case": case,
            "customer": case.customer,
            "reply": reply,
            "promised_hours": promised_first_response_hours(),
            "tracking_url": settings.SITE_URL + reverse("track", args=[case.tracking_token]),
            "survey_url": settings.SITE_URL + reverse("survey", args=[case.tracking_token]),
        }
        with translation.override(case.language or settings.LANGUAGE_CODE):
            subject = render_to_string(f"{template}_subject.txt", context).strip()
            text = render_to_string(f"{template}.txt", context)
            html = render_to_string(f"{template}.html", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=text,
            to=[case.customer.email],
            headers={"X-CX-Notification": notification.key},
        )
        message.attach_alternative(html, "text/html")
        message.send()


NOTIFIERS = {
    Notification.Channel.EMAIL: EmailNotifier(),
    Notification.Channel.CUSTOMER_EMAIL: CustomerEmailNotifier(),
}
