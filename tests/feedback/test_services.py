"""Intake and the case lifecycle: the writes of the customer side."""

import re
from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from cxportal.errors import ApplicationError
from feedback.identity import customer_resolve
from feedback.models import Case, CaseEvent, Customer, Status
from feedback.services import (
    case_add_note,
    case_change_status,
    case_create,
    case_take_ownership,
)
from notifications import tasks as notification_tasks
from routing import tasks

from ..factories import CaseFactory, CustomerFactory

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.get_fixed_timezone(0))


def submit(**overrides) -> Case:
    data = {
        "name": "Ana García",
        "email": "ana@example.com",
        "kind": "complaint",
        "channel": "web",
        "subject": "Pedido 12345",
        "message": "Mi pedido no ha llegado, lleva 5 días de retraso",
        "language": "es",
        "order_reference": "12345",
        "order_date": date(2026, 3, 1),
        "promised_delivery_date": date(2026, 3, 4),
        "now": NOW,
    }
    return case_create(**(data | overrides))


class TestCaseCreate:
    def test_it_stores_the_customer_and_a_new_case_with_a_reference(self, db):
        case = submit()

        case.refresh_from_db()
        assert re.fullmatch(r"CX-2026-\d{6}", case.reference)
        assert case.reference == f"CX-2026-{case.pk:06d}"
        assert case.status == Status.NEW
        assert case.created_at == NOW
        assert (case.subject, case.order_reference, case.promised_delivery_date) == (
            "Pedido 12345",
            "12345",
            date(2026, 3, 4),
        )
        assert (case.customer.name, case.customer.email) == ("Ana García", "ana@example.com")

    def test_it_records_a_public_created_event(self, db):
        case = submit()

        event = case.events.get()
        assert (event.kind, event.at, event.is_public) == (CaseEvent.Kind.CREATED, NOW, True)

    def test_the_reference_year_is_the_local_year(self, db, settings):
        settings.TIME_ZONE = "Europe/Madrid"
        # 23:30 UTC on New Year's Eve is already the new year in Madrid.
        case = submit(now=datetime(2026, 12, 31, 23, 30, tzinfo=timezone.get_fixed_timezone(0)))

        assert case.reference.startswith("CX-2027-")

    def test_routing_is_queued_only_after_commit(self, db, django_capture_on_commit_callbacks):
        with (
            mock.patch.object(tasks.route_case, "delay") as delay,
            mock.patch.object(notification_tasks.send_notification, "delay"),
        ):
            with django_capture_on_commit_callbacks() as callbacks:
                case = submit()
            delay.assert_not_called()
            assert callbacks  # routing (and the acknowledgement) wait for the commit

            for callback in callbacks:
                callback()

        delay.assert_called_once_with(case.pk)

    def test_the_case_is_routed_once_committed(
        self, organisation, carmen, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            case = submit(message="Quería saber el horario de las tiendas")

        case.refresh_from_db()
        assert case.status == Status.ROUTED
        assert case.owner == carmen

    def test_a_broker_outage_still_stores_the_case(self, db, django_capture_on_commit_callbacks, caplog):
        with (
            mock.patch.object(tasks.route_case, "delay", side_effect=ConnectionError("broker down")),
            django_capture_on_commit_callbacks(execute=True),
        ):
            case = submit()

        case.refresh_from_db()
        assert case.status == Status.NEW
        assert case.reference
        assert "the sweep will retry" in caplog.text

    def test_nothing_is_stored_when_a_step_fails(self, db, django_capture_on_commit_callbacks):
        with (
            mock.patch.object(CaseEvent.objects, "create", side_effect=RuntimeError("disk full")),
            django_capture_on_commit_callbacks() as callbacks,
            pytest.raises(RuntimeError),
        ):
            submit()

        assert not Customer.objects.exists()
        assert not Case.objects.exists()
        assert callbacks == []

    def test_it_needs_a_way_to_answer_the_customer(self, db):
        with pytest.raises(ApplicationError) as caught:
            submit(email="", phone="")

        assert caught.value.code == "no_contact"
        assert not Case.objects.exists()

    def test_a_phone_is_enough(self, db):
        case = submit(email="", phone="+34 600 11 22 33")

        assert case.customer.phone == "+34600112233"

    def test_the_same_customer_gets_every_case(self, db):
        first = submit()
        second = submit(email="ANA@example.com", name="Ana")

        assert first.customer_id == second.customer_id
        assert Customer.objects.count() == 1


class TestCustomerResolve:
    def test_it_creates_a_customer_with_a_lower_case_email(self, db):
        customer = customer_resolve(name="Ana", email=" Ana@Example.COM ", language="en")

        assert (customer.email, customer.language) == ("ana@example.com", "en")

    def test_it_finds_a_customer_by_email_ignoring_case(self, db):
        known = CustomerFactory(email="Ana@Example.com")

        assert customer_resolve(name="Ana", email="ana@EXAMPLE.com") == known
        assert Customer.objects.count() == 1

    def test_it_finds_a_customer_by_phone_ignoring_spaces(self, db):
        known = customer_resolve(name="Ana", phone="+34 600 11 22 33")

        assert customer_resolve(name="Ana", phone="+34 600-112-233") == known

    def test_it_finds_a_customer_by_customer_number_first(self, db):
        by_number = CustomerFactory(customer_number="C-77", email="")
        CustomerFactory(email="ana@example.com")

        assert customer_resolve(name="Ana", email="ana@example.com", customer_number="C-77") == by_number

    def test_it_fills_blanks_without_overwriting(self, db):
        known = CustomerFactory(name="Ana García", email="ana@example.com", phone="")

        customer = customer_resolve(
            name="A. G.", email="ana@example.com", phone="600112233", customer_number="C-1"
        )

        customer.refresh_from_db()
        assert customer == known
        assert (customer.name, customer.email) == ("Ana García", "ana@example.com")
        assert (customer.phone, customer.customer_number) == ("+34600112233", "C-1")

    def test_different_contacts_are_different_customers(self, db):
        ana = customer_resolve(name="Ana", email="ana@example.com")
        bea = customer_resolve(name="Bea", email="bea@example.com")

        assert ana != bea


class TestCaseChangeStatus:
    @pytest.fixture
    def case(self, db):
        return CaseFactory(status=Status.ROUTED)

    def test_it_moves_a_case_and_records_who_did_it(self, case, laura):
        case_change_status(case=case, status=Status.IN_PROGRESS, actor=laura, now=NOW)

        case.refresh_from_db()
        assert case.status == Status.IN_PROGRESS
        event = case.events.get(kind=CaseEvent.Kind.STATUS_CHANGED)
        assert (event.actor, event.at, event.is_public) == (laura, NOW, True)
        assert event.data == {"from": "routed", "to": "in_progress", "reopened": False}

    def test_resolving_and_closing_stamp_the_dates(self, case, laura):
        case_change_status(case=case, status=Status.RESOLVED, actor=laura, now=NOW)
        later = NOW + timedelta(days=2)
        case_change_status(case=case, status=Status.CLOSED, actor=laura, now=later)

        case.refresh_from_db()
        assert (case.resolved_at, case.closed_at) == (NOW, later)

    def test_closing_an_unresolved_case_also_resolves_it(self, case, laura):
        case_change_status(case=case, status=Status.CLOSED, actor=laura, now=NOW)

        case.refresh_from_db()
        assert (case.resolved_at, case.closed_at) == (NOW, NOW)

    @pytest.mark.parametrize("finished", [Status.RESOLVED, Status.CLOSED])
    def test_reopening_clears_the_resolution(self, case, laura, finished):
        case_change_status(case=case, status=finished, actor=laura, now=NOW)

        case_change_status(case=case, status=Status.IN_PROGRESS, actor=laura, now=NOW + timedelta(days=1))

        case.refresh_from_db()
        assert case.status == Status.IN_PROGRESS
        assert (case.resolved_at, case.closed_at) == (None, None)
        assert case.events.filter(kind=CaseEvent.Kind.STATUS_CHANGED).last().data["reopened"] is True

    @pytest.mark.parametrize(
        ("start", "target"),
        [(Status.IN_PROGRESS, Status.ROUTED), (Status.CLOSED, Status.RESOLVED), (Status.ROUTED, Status.NEW)],
    )
    def test_an_invalid_transition_is_refused(self, case, laura, start, target):
        Case.objects.filter(pk=case.pk).update(status=start)
        case.refresh_from_db()

        with pytest.raises(ApplicationError) as caught:
            case_change_status(case=case, status=target, actor=laura)

        assert caught.value.code == "bad_transition"
        case.refresh_from_db()
        assert case.status == start
        assert not case.events.exists()

    def test_an_unknown_status_is_refused(self, case, laura):
        with pytest.raises(ApplicationError) as caught:
            case_change_status(case=case, status="lost", actor=laura)

        assert caught.value.code == "bad_transition"

    def test_the_same_status_changes_nothing(self, case, laura):
        case_change_status(case=case, status=Status.ROUTED, actor=laura)

        assert not case.events.exists()


class TestCaseTakeOwnership:
    def test_taking_a_routed_case_starts_work_on_it(self, db, laura, luis):
        case = CaseFactory(status=Status.ROUTED, owner=laura)

        case_take_ownership(case=case, user=luis, now=NOW)

        case.refresh_from_db()
        assert (case.owner, case.status) == (luis, Status.IN_PROGRESS)
        assigned = case.events.get(kind=CaseEvent.Kind.ASSIGNED)
        assert assigned.data == {"from": laura.pk, "to": luis.pk}
        assert assigned.actor == luis

    def test_taking_a_waiting_case_keeps_its_status(self, db, luis):
        case = CaseFactory(status=Status.WAITING)

        case_take_ownership(case=case, user=luis, now=NOW)

        case.refresh_from_db()
        assert (case.owner, case.status) == (luis, Status.WAITING)
        assert case.events.get().data == {"from": None, "to": luis.pk}

    def test_taking_your_own_case_records_nothing(self, db, laura):
        case = CaseFactory(status=Status.ROUTED, owner=laura)

        case_take_ownership(case=case, user=laura)

        assert not case.events.exists()


class TestCaseAddNote:
    def test_it_adds_a_private_note(self, db, laura):
        case = CaseFactory()

        note = case_add_note(case=case, text="  Llamar mañana  ", actor=laura, now=NOW)

        assert (note.kind, note.text, note.actor, note.at) == (
            CaseEvent.Kind.NOTE,
            "Llamar mañana",
            laura,
            NOW,
        )
        assert note.is_public is False

    @pytest.mark.parametrize("text", ["", "   \n"])
    def test_an_empty_note_is_refused(self, db, laura, text):
        case = CaseFactory()

        with pytest.raises(ApplicationError) as caught:
            case_add_note(case=case, text=text, actor=laura)

        assert caught.value.code == "empty_note"
        assert not case.events.exists()
