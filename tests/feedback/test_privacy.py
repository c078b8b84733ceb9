"""Right of access, right to be forgotten, and retention."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from feedback import privacy
from feedback.models import Case, CaseEvent, Consent, Customer, Status, SurveyResponse
from feedback.privacy import customer_erase, customer_export, retention_apply
from feedback.services import case_customer_message, consent_update

from ..factories import CaseFactory, CustomerFactory

NAME, EMAIL, PHONE = "Zoraida Quintanilla", "zoraida.q@example.com", "+34600111222"


@pytest.fixture
def customer(organisation, laura):
    customer = CustomerFactory(name=NAME, email=EMAIL, phone=PHONE, customer_number="C-778899")
    case = CaseFactory(
        customer=customer,
        department=organisation["logistics"],
        owner=laura,
        status=Status.RESOLVED,
        message=f"Soy {NAME}, llamadme al {PHONE} o escribid a {EMAIL}",
    )
    case.tags.add(_tag())
    case_customer_message(case=case, text=f"Firmado: {NAME}")
    SurveyResponse.objects.create(case=case, csat=2, nps=3, ces=4, comment=f"{NAME} no está contenta")
    consent_update(customer=customer, choices={"email": True}, source="web")
    return customer


def _tag():
    from routing.models import Tag

    return Tag.objects.get(slug="delivery-delay")


def every_text_in_the_database() -> str:
    """All rows of every table, as text: what an erased name must not appear in."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            # Table names from the database's own catalogue, not from input.
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_export_gives_everything_about_the_customer(customer):
    data = customer_export(customer=customer)
    assert data["customer"]["email"] == EMAIL
    assert {"kind": "phone", "value": PHONE} in data["identities"]
    assert data["consents"][0]["channel"] == "email"
    (case,) = data["cases"]
    assert NAME in case["message"]
    assert case["tags"] == ["delivery-delay"]
    assert case["survey"]["csat"] == 2
    json.dumps(data)  # JSON-ready


def test_an_erased_customer_appears_nowhere_in_the_database(customer):
    customer_erase(customer=customer)
    text = every_text_in_the_database()
    for value in (NAME, EMAIL, PHONE, "C-778899"):
        assert value not in text


def test_erasure_keeps_the_statistics(customer):
    case = customer.cases.get()
    customer_erase(customer=customer)
    case.refresh_from_db()
    assert case.anonymised
    assert case.kind == "complaint"
    assert case.department.slug == "logistics"
    assert list(case.tags.values_list("slug", flat=True)) == ["delivery-delay"]
    assert SurveyResponse.objects.get(case=case).csat == 2
    assert not Consent.objects.filter(customer=customer).exists()


def test_retention_anonymises_only_closed_cases_older_than_the_period(organisation):
    now = timezone.now()
    old = CaseFactory(status=Status.CLOSED, closed_at=now - timedelta(days=400), message="viejo y personal")
    recent = CaseFactory(status=Status.CLOSED, closed_at=now - timedelta(days=10), message="reciente")
    open_old = CaseFactory(status=Status.IN_PROGRESS, created_at=now - timedelta(days=500), message="abierto")
    assert retention_apply(months=12, now=now) == 1
    assert Case.objects.get(pk=old.pk).message == "—"
    assert Case.objects.get(pk=recent.pk).message == "reciente"
    assert Case.objects.get(pk=open_old.pk).message == "abierto"
    assert retention_apply(months=0, now=now) == 0


def test_retention_commits_batch_by_batch_so_a_stopped_run_keeps_what_it_did(organisation):
    now = timezone.now()
    cases = [CaseFactory(status=Status.CLOSED, closed_at=now - timedelta(days=400)) for _ in range(3)]
    real = privacy.cases_anonymise
    calls = []

    def stopped_on_the_third_batch(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise SoftTimeLimitExceeded
        return real(**kwargs)

    with (
        mock.patch.object(privacy, "cases_anonymise", side_effect=stopped_on_the_third_batch),
        pytest.raises(SoftTimeLimitExceeded),
    ):
        retention_apply(months=12, now=now, batch_size=1)

    assert Case.objects.filter(pk__in=[c.pk for c in cases], anonymised=True).count() == 2
    assert retention_apply(months=12, now=now, batch_size=1) == 1  # the next run goes on
    assert not Case.objects.filter(anonymised=False).exists()


def test_admin_export_downloads_json_for_permitted_staff(admin_client, customer):
    response = admin_client.post(
        reverse("admin:feedback_customer_changelist"),
        {"action": "export_json", "_selected_action": [customer.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert json.loads(response.content)[0]["customer"]["email"] == EMAIL


def test_admin_erase_asks_for_confirmation_first(admin_client, customer):
    # An earlier edit in the admin leaves the name in the admin's history.
    admin_client.post(
        reverse("admin:feedback_customer_change", args=[customer.pk]),
        {
            "name": NAME,
            "email": EMAIL,
            "phone": PHONE,
            "customer_number": "C-778899",
            "language": "es",
            "segment": "",
            "cases-TOTAL_FORMS": "0",
            "cases-INITIAL_FORMS": "0",
        },
    )
    assert LogEntry.objects.filter(object_repr=NAME).exists()
    url = reverse("admin:feedback_customer_changelist")
    response = admin_client.post(url, {"action": "erase", "_selected_action": [customer.pk]})
    assert response.status_code == 200
    assert Customer.objects.get(pk=customer.pk).email == EMAIL  # nothing erased yet
    admin_client.post(url, {"action": "erase", "_selected_action": [customer.pk], "confirm": "yes"})
    assert Customer.objects.get(pk=customer.pk).email == ""
    assert NAME not in every_text_in_the_database()


def test_staff_without_the_permission_cannot_erase(client, customer, laura, staff_permissions):
    staff_permissions(laura)
    laura.user_permissions.add(Permission.objects.get(codename="change_customer"))
    client.force_login(laura)
    url = reverse("admin:feedback_customer_changelist")
    client.post(url, {"action": "erase", "_selected_action": [customer.pk], "confirm": "yes"})
    assert Customer.objects.get(pk=customer.pk).email == EMAIL
    assert CaseEvent.objects.filter(text__contains=NAME).exists()


def test_an_erased_customer_who_wrote_by_email_and_was_merged_appears_nowhere(customer):
    from email.message import EmailMessage

    from feedback.identity import customers_merge
    from feedback.inbound.services import inbound_email_process

    other = CustomerFactory(name=NAME, email="zoraida.trabajo@example.com")
    CaseFactory(customer=other, message="Pedido 55 roto")
    customers_merge(target=customer, sources=[other], actor=None)

    def received(
        subject: str, text: str, message_id: str, sender: str = "zoraida.trabajo@example.com", **headers
    ):
        message = EmailMessage()
        message["From"] = f"{NAME} <{sender}>"
        message["Subject"] = subject
        message["Message-ID"] = message_id
        for name, value in headers.items():
            message[name] = value
        message.set_content(text)
        if subject.startswith("Re:"):
            message.add_attachment(
                b"MZ\x90\x00", maintype="application", subtype="octet-stream", filename=f"{NAME}.exe"
            )
        inbound_email_process(message=message, mailbox="maildir")

    received(f"{NAME}: pedido roto", f"Soy {NAME}", "<z-1@example.com>")
    reference = customer.cases.order_by("-pk").first().reference
    received(f"Re: {reference}", "Os mando mi DNI", "<z-3@example.com>")
    received(
        f"Fuera de la oficina: {NAME}",
        "Vuelvo el lunes",
        "<z-2@example.com>",
        sender="Zoraida.Trabajo@EXAMPLE.com",
        **{"Auto-Submitted": "auto-replied"},
    )

    customer_erase(customer=customer)

    text = every_text_in_the_database()
    for value in (NAME, EMAIL, PHONE, "C-778899", "zoraida.trabajo@example.com"):
        assert value not in text, value
