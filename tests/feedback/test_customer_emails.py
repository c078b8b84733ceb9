"""What the customer receives: acknowledgement, replies, the survey — each once."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from feedback.models import Status
from feedback.services import case_change_status, case_customer_message, case_reply
from notifications.models import Notification

from ..factories import CaseFactory, CustomerFactory

VALID = {
    "kind": "complaint",
    "subject": "Pedido",
    "message": "No ha llegado mi pedido",
    "name": "Ana",
    "email": "ana@example.com",
}


@pytest.fixture
def case(organisation, laura):
    customer = CustomerFactory(email="ana@example.com")
    return CaseFactory(
        customer=customer, department=organisation["logistics"], owner=laura, status=Status.ROUTED
    )


def emails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def test_the_customer_gets_the_reference_promise_and_private_link(
    client, organisation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/feedback/new/?lang=en", VALID)
    (ack,) = emails_to("ana@example.com")
    notification = Notification.objects.get(event="acknowledgement")
    case = notification.case
    assert case.reference in ack.subject
    assert "We will answer you within 8 hours." in ack.body  # the English the customer wrote in
    assert reverse("track", args=[case.tracking_token]) in ack.body


def test_a_staff_reply_is_emailed_with_its_text_escaped_in_html(
    case, laura, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_reply(case=case, text="Sale hoy <b>seguro</b>", actor=laura)
    (email,) = emails_to("ana@example.com")
    assert "Sale hoy <b>seguro</b>" in email.body
    html = email.alternatives[0][0]
    assert "&lt;b&gt;seguro&lt;/b&gt;" in html


def test_each_reply_is_its_own_email(case, laura, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case_reply(case=case, text="Primera", actor=laura)
        case_reply(case=case, text="Segunda", actor=laura)
    assert len(emails_to("ana@example.com")) == 2


def test_the_survey_is_sent_on_resolution_and_only_once(case, laura, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case_change_status(case=case, status=Status.RESOLVED, actor=laura)
        case_change_status(case=case, status=Status.IN_PROGRESS, actor=laura)
        case_change_status(case=case, status=Status.RESOLVED, actor=laura)
    surveys = [
        m for m in emails_to("ana@example.com") if reverse("survey", args=[case.tracking_token]) in m.body
    ]
    assert len(surveys) == 1


def test_a_customer_message_tells_the_owner_once(case, laura, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case_customer_message(case=case, text="Aquí está la foto")
    (email,) = emails_to(laura.email)
    assert case.reference in email.subject


def test_a_customer_without_email_is_not_written_to(organisation, laura, django_capture_on_commit_callbacks):
    case = CaseFactory(
        customer=CustomerFactory(email="", phone="600111222"), owner=laura, status=Status.ROUTED
    )
    with django_capture_on_commit_callbacks(execute=True):
        case_reply(case=case, text="Le llamamos", actor=laura)
    assert not Notification.objects.filter(channel=Notification.Channel.CUSTOMER_EMAIL).exists()


class TestAcknowledgementTiming:
    def test_it_goes_out_with_the_first_routing_not_before(
        self, client, organisation, django_capture_on_commit_callbacks
    ):
        from routing import tasks

        with mock.patch.object(tasks.route_case, "delay"), django_capture_on_commit_callbacks(execute=True):
            client.post("/feedback/new/", VALID)
        notification = Notification.objects.get(event="acknowledgement")
        assert notification.status == Notification.Status.PENDING
        assert emails_to("ana@example.com") == []

        with django_capture_on_commit_callbacks(execute=True):
            tasks.route_case(notification.case_id)

        notification.refresh_from_db()
        assert notification.status == Notification.Status.SENT
        assert len(emails_to("ana@example.com")) == 1
        assert len(mail.outbox) == 2  # and the owner's, in the same task

        with django_capture_on_commit_callbacks(execute=True):
            tasks.route_case(notification.case_id)
        assert len(mail.outbox) == 2

    def test_if_routing_is_held_up_the_sweep_sends_it(
        self, client, organisation, django_capture_on_commit_callbacks
    ):
        from notifications import tasks as notification_tasks
        from routing import tasks

        with mock.patch.object(tasks.route_case, "delay"), django_capture_on_commit_callbacks(execute=True):
            client.post("/feedback/new/", VALID)
        Notification.objects.update(created_at=timezone.now() - timedelta(minutes=5))

        assert notification_tasks.sweep_notifications() == 1

        assert len(emails_to("ana@example.com")) == 1
        assert Notification.objects.get(event="acknowledgement").status == Notification.Status.SENT
