"""One person, three channels, each tried four times: three cases of one customer, routed by the real worker.

Ana emails the demo mailbox (through the SMTP server `make run` starts; her
mail server delivers the message four times), phones customer service
(carmen enters it, and the form is sent four times: double click, reload,
back button) and writes to the chat integration (its API call is retried
three times with one Idempotency-Key). The real Celery worker routes each
case through the real Redis; the customer's page shows all three.
"""

import io
import smtplib
from email.message import EmailMessage

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cxportal.env import mailbox as _mailbox
from feedback import tasks
from feedback.models import Case, Customer, InboundEmail, IntegrationKey

from .parts import wait_for, wait_until_drained

pytestmark = pytest.mark.integration

TIMEOUT = 30
ADD = reverse("admin:feedback_case_add")


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", force=True, stdout=io.StringIO())


def staff(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def email_four_times(smtp_sink, settings) -> None:
    mail = EmailMessage()
    mail["From"] = "Ana García <Ana.Garcia@Example.com>"
    mail["To"] = settings.CX_INBOUND_ADDRESS
    mail["Subject"] = "Pedido 12345 con retraso"
    mail["Message-ID"] = "<ana-12345@mail.example.com>"
    mail.set_content("Hola, mi pedido 12345 no ha llegado, lleva 5 días de retraso.")
    waiting = smtp_sink.maildir / "new"
    for attempt in range(4):
        with smtplib.SMTP("127.0.0.1", smtp_sink.port, timeout=10) as smtp:
            smtp.send_message(mail)
        wait_for(lambda: list(waiting.glob("*")), timeout=TIMEOUT, what=f"delivery {attempt + 1}")
        tasks.poll_mailbox()
        assert not list(waiting.glob("*")), "the poll left a delivery unread"


def phone_call_entered_four_times() -> list[int]:
    carmen = staff("carmen")
    key = carmen.get(ADD).context["form"]["entry_key"].value()
    entry = {
        "entry_key": key,
        "channel": "phone",
        "kind": "complaint",
        "subject": "Llamada: pedido 12345",
        "message": "Llama porque su pedido 12345 lleva una semana de retraso y sigue sin llegar.",
        "language": "es",
        "order_reference": "12345",
        "name": "Ana García",
        "email": "ana.garcia@example.com",
        "phone": "600 11 22 33",
    }
    return [carmen.post(ADD, entry).status_code for _ in range(4)]


def chat_posted_four_times() -> list[int]:
    _key, secret = IntegrationKey.objects.create_key(
        name="Chat widget", source="chat-widget", can_intake=True, can_read=True
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}", HTTP_IDEMPOTENCY_KEY="chat-8812-1")
    body = {
        "customer": {"name": "Ana García", "phone": "+34 600-112-233"},
        "kind": "complaint",
        "channel": "chat",
        "subject": "Chat: pedido 12345",
        "message": "El pedido 12345 no ha llegado, ya va con retraso de una semana.",
        "external_id": "conversation-8812",
    }
    return [api.post("/api/v1/cases/", body, format="json").status_code for _ in range(4)]


def test_an_email_a_phone_call_and_a_chat_are_three_cases_of_one_customer(
    demo, smtp_sink, real_celery, settings
):
    settings.CX_MAILBOX = _mailbox(f"maildir://{smtp_sink.maildir}")

    email_four_times(smtp_sink, settings)
    assert phone_call_entered_four_times() == [302] * 4
    assert chat_posted_four_times() == [201, 200, 200, 200]

    cases = list(Case.objects.order_by("pk"))
    assert [case.channel for case in cases] == ["email", "phone", "chat"]
    assert Customer.objects.count() == 1
    ana = Customer.objects.get()
    assert {case.customer_id for case in cases} == {ana.pk}
    assert set(ana.identities.values_list("kind", "value")) == {
        ("email", "ana.garcia@example.com"),
        ("phone", "+34600112233"),
    }
    assert list(InboundEmail.objects.values_list("outcome", flat=True)) == ["created"]
    created = {case.channel: case.events.get(kind="created") for case in cases}
    assert created["phone"].actor.username == "carmen"
    assert created["chat"].data == {"integration": "Chat widget", "source": "chat-widget"}

    def all_routed():
        return all(case.routed_at for case in Case.objects.all())

    wait_for(all_routed, timeout=TIMEOUT, what="the worker to route the three cases", interval=0.2)
    for case in Case.objects.select_related("department", "owner"):
        assert (case.department.slug, case.owner.username) == ("logistics", "laura"), case.reference

    def routings() -> list[tuple[str, int]]:
        return list(Case.objects.order_by("pk").values_list("channel", "routing_attempts"))

    routed_once = [("email", 1), ("phone", 1), ("chat", 1)]
    assert routings() == routed_once
    # Still three cases, each routed once, when nothing is left to run.
    wait_until_drained(real_celery.broker_url, timeout=TIMEOUT)
    assert routings() == routed_once

    # The 360° view: laura (logistics) and the administrator see the three, across channels.
    for viewer in ("laura", "admin"):
        page = staff(viewer).get(reverse("admin:feedback_customer_change", args=[ana.pk]))
        assert page.status_code == 200
        for case in cases:
            assert case.reference in page.content.decode(), (viewer, case.reference)
