"""Staff emails are written in each recipient's language."""

from datetime import datetime

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications.models import StaffPreference
from routing.services import case_route

from ..factories import CaseFactory

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.get_fixed_timezone(0))


def routed_email(django_capture_on_commit_callbacks):
    case = CaseFactory(message="Mi pedido no ha llegado")
    with django_capture_on_commit_callbacks(execute=True):
        case_route(case_id=case.pk, now=NOW)
    [email] = mail.outbox
    return email


def test_without_a_preference_the_site_language_is_used(organisation, django_capture_on_commit_callbacks):
    email = routed_email(django_capture_on_commit_callbacks)
    assert "Nuevo caso para" in email.subject  # the fallback department's owner, in Spanish


def test_a_staff_member_who_chose_english_reads_english(
    organisation, carmen, django_capture_on_commit_callbacks
):
    StaffPreference.objects.create(user=carmen, language="en")
    email = routed_email(django_capture_on_commit_callbacks)
    assert email.to == [carmen.email]
    assert "New case for" in email.subject
    assert "Open the case" in email.body


def test_the_preference_is_set_on_the_user_page(admin_client, carmen):
    response = admin_client.get(reverse("admin:auth_user_change", args=[carmen.pk]))
    assert response.status_code == 200
    assert "cx_preference-TOTAL_FORMS" in response.content.decode()
