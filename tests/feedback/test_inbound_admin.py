"""The inbound email log in the admin: readable by those who see every department, never editable."""

from email.message import EmailMessage

import pytest
from django.urls import reverse

from feedback.inbound.services import inbound_email_process
from tests.test_admin import client_for

LIST = reverse("admin:feedback_inboundemail_changelist")


@pytest.fixture
def received(organisation):
    message = EmailMessage()
    message["From"] = "Ana García <ana@example.com>"
    message["To"] = "support@cxportal.localhost"
    message["Subject"] = "Pedido 12345 sin llegar"
    message["Message-ID"] = "<abc-1@mail.example>"
    message.set_content("Mi pedido 12345 no ha llegado todavía.")
    return inbound_email_process(message=message, mailbox="maildir")


def test_a_superuser_sees_what_became_of_each_email(admin_user, received):
    response = client_for(admin_user).get(LIST)

    assert response.status_code == 200
    assert "ana@example.com" in response.content.decode()
    assert received.case.reference in response.content.decode()


def test_department_staff_cannot_list_other_departments_senders(laura, staff_permissions, received):
    staff_permissions(laura, "view_case", "view_customer", "view_inboundemail")

    assert client_for(laura).get(LIST).status_code == 403


def test_nobody_adds_or_edits_a_record(admin_user, received):
    client = client_for(admin_user)

    assert client.get(reverse("admin:feedback_inboundemail_add")).status_code == 403
    change = reverse("admin:feedback_inboundemail_change", args=[received.pk])
    assert client.post(change, {"subject": "changed"}).status_code == 403
    received.refresh_from_db()
    assert received.subject == "Pedido 12345 sin llegar"
