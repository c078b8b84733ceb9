"""Triage in the admin: department scoping, the overdue filter, actions and the change form."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cxportal.errors import ApplicationError
from feedback.models import Case, CaseEvent, Status
from feedback.services import case_assign
from notifications.models import Notification
from routing.models import Tag

from .factories import CaseFactory, CustomerFactory

CHANGELIST = "/admin/feedback/case/"
SCRIPT = "<script>alert(1)</script>"


def change_url(case: Case) -> str:
    return f"/admin/feedback/case/{case.pk}/change/"


def client_for(user) -> Client:
    """A logged-in admin client that reads English, so messages can be asserted."""
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def listed(response) -> set[str]:
    return {case.reference for case in response.context["cl"].result_list}


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def run_action(client: Client, action: str, *cases: Case):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [c.pk for c in cases]}, follow=True)


def change_data(case: Case, **overrides) -> dict:
    """What the change form posts: the editable fields and the read-only timeline's management form."""
    events = CaseEvent.objects.filter(case=case).count()
    data = {
        "priority": case.priority,
        "department": case.department_id or "",
        "owner": case.owner_id or "",
        "tags": [t.pk for t in case.tags.all()],
        "note": "",
        "events-TOTAL_FORMS": events,
        "events-INITIAL_FORMS": events,
        "events-MIN_NUM_FORMS": 0,
        "events-MAX_NUM_FORMS": 1000,
    }
    return data | overrides


@pytest.fixture
def logistics_staff(organisation, laura, luis, staff_permissions):
    staff_permissions(laura)
    staff_permissions(luis)
    return laura


@pytest.fixture
def billing_staff(organisation, bruno, staff_permissions):
    staff_permissions(bruno)
    return bruno


@pytest.fixture
def logistics_case(organisation, laura):
    now = timezone.now()
    return CaseFactory(
        subject="Pedido 12345 sin llegar",
        department=organisation["logistics"],
        owner=laura,
        status=Status.ROUTED,
        routed_at=now,
        first_response_due_at=now + timedelta(hours=8),
        resolution_due_at=now + timedelta(hours=72),
        customer=CustomerFactory(name="Ana García", email="ana@example.com"),
    )


@pytest.fixture
def billing_case(organisation, bruno):
    return CaseFactory(
        subject="Factura duplicada",
        department=organisation["billing"],
        owner=bruno,
        status=Status.ROUTED,
        customer=CustomerFactory(name="Beatriz Soler", email="beatriz@example.com"),
    )


class TestScoping:
    def test_it_shows_logistics_cases_to_the_logistics_owner(
        self, logistics_staff, logistics_case, billing_case
    ):
        response = client_for(logistics_staff).get(CHANGELIST)

        assert response.status_code == 200
        assert listed(response) == {logistics_case.reference}
        assert billing_case.reference not in response.text

    def test_it_shows_logistics_cases_to_a_logistics_member(
        self, logistics_staff, luis, logistics_case, billing_case
    ):
        response = client_for(luis).get(CHANGELIST)

        assert listed(response) == {logistics_case.reference}

    def test_it_hides_logistics_cases_from_billing_staff(self, billing_staff, logistics_case, billing_case):
        response = client_for(billing_staff).get(CHANGELIST)

        assert listed(response) == {billing_case.reference}
        assert logistics_case.reference not in response.text

    def test_search_never_finds_another_departments_case(self, billing_staff, logistics_case):
        client = client_for(billing_staff)

        for term in (logistics_case.reference, "Ana García", "ana@example.com", "sin llegar"):
            response = client.get(CHANGELIST, {"q": term})
            assert response.status_code == 200
            assert listed(response) == set()
            # The search term is echoed in the search box; the case itself must not appear.
            assert logistics_case.subject not in response.text
            assert f"/admin/feedback/case/{logistics_case.pk}/change/" not in response.text

    def test_search_finds_own_cases_by_customer_email(self, logistics_staff, logistics_case):
        response = client_for(logistics_staff).get(CHANGELIST, {"q": "ana@example.com"})

        assert listed(response) == {logistics_case.reference}

    def test_another_departments_change_page_does_not_exist(self, billing_staff, logistics_case):
        client = client_for(billing_staff)

        response = client.get(change_url(logistics_case))
        assert response.status_code == 302

        followed = client.get(change_url(logistics_case), follow=True)
        assert "doesn\u2019t exist" in followed.text  # Django's typographic apostrophe
        assert logistics_case.reference not in followed.text
        assert logistics_case.subject not in followed.text

    def test_another_departments_history_does_not_exist(self, billing_staff, logistics_case):
        response = client_for(billing_staff).get(
            f"/admin/feedback/case/{logistics_case.pk}/history/", follow=True
        )

        assert response.redirect_chain[0][1] == 302
        assert logistics_case.reference not in response.text

    def test_actions_on_another_departments_case_change_nothing(self, billing_staff, logistics_case):
        run_action(client_for(billing_staff), "mark_resolved", logistics_case)

        logistics_case.refresh_from_db()
        assert logistics_case.status == Status.ROUTED
        assert not CaseEvent.objects.filter(case=logistics_case).exists()

    def test_department_filter_offers_only_the_users_departments(
        self, billing_staff, billing_case, organisation
    ):
        organisation["customer-service"].members.add(billing_staff)

        response = client_for(billing_staff).get(CHANGELIST)

        department_filter = next(f for f in response.context["cl"].filter_specs if f.title == "department")
        assert [name for _pk, name in department_filter.lookup_choices] == ["Billing", "Customer service"]
        assert not department_filter.include_empty_choice

    def test_the_executive_sees_every_department(self, elena, logistics_case, billing_case):
        response = client_for(elena).get(CHANGELIST)

        assert listed(response) == {logistics_case.reference, billing_case.reference}
        assert client_for(elena).get(change_url(billing_case)).status_code == 200

    def test_the_superuser_sees_every_case_even_unrouted(self, admin_user, logistics_case, billing_case):
        unrouted = CaseFactory()

        response = client_for(admin_user).get(CHANGELIST)

        assert listed(response) == {logistics_case.reference, billing_case.reference, unrouted.reference}

    def test_customers_without_a_visible_case_are_hidden(self, logistics_staff, logistics_case, billing_case):
        client = client_for(logistics_staff)

        response = client.get("/admin/feedback/customer/")
        assert [c.name for c in response.context["cl"].result_list] == ["Ana García"]

        hidden = client.get(f"/admin/feedback/customer/{billing_case.customer_id}/change/", follow=True)
        assert "Beatriz" not in hidden.text

    def test_a_customers_page_lists_only_visible_cases(
        self, logistics_staff, logistics_case, organisation, bruno
    ):
        other = CaseFactory(customer=logistics_case.customer, department=organisation["billing"], owner=bruno)

        response = client_for(logistics_staff).get(
            f"/admin/feedback/customer/{logistics_case.customer_id}/change/"
        )

        assert response.status_code == 200
        assert logistics_case.reference in response.text
        assert other.reference not in response.text

    def test_customers_are_searched_by_phone_and_number(self, admin_user):
        CustomerFactory(name="Carla", phone="+34600111222", customer_number="C-77")
        client = client_for(admin_user)

        assert client.get("/admin/feedback/customer/", {"q": "600111222"}).context["cl"].result_count == 1
        assert client.get("/admin/feedback/customer/", {"q": "C-77"}).context["cl"].result_count == 1

    def test_notifications_are_scoped_to_visible_cases(
        self, billing_staff, logistics_case, billing_case, laura, bruno, staff_permissions
    ):
        staff_permissions(bruno, "view_notification")
        Notification.objects.create(key="logistics-key", case=logistics_case, recipient=laura, event="routed")
        Notification.objects.create(key="billing-key", case=billing_case, recipient=bruno, event="routed")

        response = client_for(billing_staff).get("/admin/notifications/notification/")

        assert [n.key for n in response.context["cl"].result_list] == ["billing-key"]


class TestOverdueFilter:
    @pytest.fixture
    def cases(self, organisation, laura):
        now = timezone.now()
        past, future = now - timedelta(hours=1), now + timedelta(hours=1)
        logistics = organisation["logistics"]

        def case(name, **fields):
            fields.setdefault("status", Status.ROUTED)
            return CaseFactory(subject=name, department=logistics, owner=laura, **fields)

        return {
            "first response late": case("a", first_response_due_at=past, resolution_due_at=future),
            "resolution late": case(
                "b", first_response_at=past, first_response_due_at=past, resolution_due_at=past
            ),
            "answered in time": case(
                "c", first_response_at=past, first_response_due_at=past, resolution_due_at=future
            ),
            "closed late": case(
                "d", status=Status.CLOSED, first_response_due_at=past, resolution_due_at=past
            ),
            "no due dates": case("e"),
            "on time": case("f", first_response_due_at=future, resolution_due_at=future),
        }

    def test_it_lists_exactly_the_overdue_cases(self, logistics_staff, cases):
        response = client_for(logistics_staff).get(CHANGELIST, {"overdue": "yes"})

        expected = {c.reference for c in cases.values() if c.is_overdue()}
        assert expected == {cases["first response late"].reference, cases["resolution late"].reference}
        assert listed(response) == expected

    def test_it_lists_exactly_the_cases_on_time(self, logistics_staff, cases):
        response = client_for(logistics_staff).get(CHANGELIST, {"overdue": "no"})

        assert listed(response) == {c.reference for c in cases.values() if not c.is_overdue()}

    def test_the_overdue_column_follows_the_model(self, logistics_staff, cases):
        response = client_for(logistics_staff).get(CHANGELIST)

        assert response.text.count('alt="True"') == 2


class TestActions:
    def test_mark_in_progress_goes_through_the_service(self, logistics_staff, logistics_case):
        response = run_action(client_for(logistics_staff), "mark_in_progress", logistics_case)

        logistics_case.refresh_from_db()
        assert logistics_case.status == Status.IN_PROGRESS
        event = CaseEvent.objects.get(case=logistics_case, kind=CaseEvent.Kind.STATUS_CHANGED)
        assert event.actor == logistics_staff
        assert event.data == {"from": "routed", "to": "in_progress", "reopened": False}
        assert "1 case updated." in messages_of(response)

    def test_resolving_then_reopening_records_both_changes(self, logistics_staff, logistics_case):
        client = client_for(logistics_staff)

        run_action(client, "mark_resolved", logistics_case)
        logistics_case.refresh_from_db()
        assert logistics_case.status == Status.RESOLVED
        assert logistics_case.resolved_at is not None

        run_action(client, "reopen", logistics_case)
        logistics_case.refresh_from_db()
        assert logistics_case.status == Status.IN_PROGRESS
        assert logistics_case.resolved_at is None
        assert CaseEvent.objects.filter(case=logistics_case, kind=CaseEvent.Kind.STATUS_CHANGED).count() == 2

    def test_close_and_waiting_change_the_status(self, logistics_staff, logistics_case):
        client = client_for(logistics_staff)

        run_action(client, "mark_waiting", logistics_case)
        logistics_case.refresh_from_db()
        assert logistics_case.status == Status.WAITING

        run_action(client, "close", logistics_case)
        logistics_case.refresh_from_db()
        assert logistics_case.status == Status.CLOSED
        assert logistics_case.closed_at is not None

    def test_take_ownership_assigns_the_case_to_the_user(self, logistics_staff, luis, logistics_case):
        run_action(client_for(luis), "take_ownership", logistics_case)

        logistics_case.refresh_from_db()
        assert logistics_case.owner == luis
        assert logistics_case.status == Status.IN_PROGRESS
        assigned = CaseEvent.objects.get(case=logistics_case, kind=CaseEvent.Kind.ASSIGNED)
        assert assigned.actor == luis

    def test_an_invalid_transition_is_a_message_not_a_server_error(self, logistics_staff, logistics_case):
        logistics_case.status = Status.CLOSED
        logistics_case.save()

        response = run_action(client_for(logistics_staff), "mark_waiting", logistics_case)

        assert response.status_code == 200
        assert f"{logistics_case.reference}: A case cannot go from “Closed” to “Waiting on customer”." in (
            messages_of(response)
        )
        logistics_case.refresh_from_db()
        assert logistics_case.status == Status.CLOSED
        assert not CaseEvent.objects.filter(case=logistics_case).exists()

    def test_reopening_an_open_case_is_refused_with_a_message(self, logistics_staff, logistics_case):
        response = run_action(client_for(logistics_staff), "reopen", logistics_case)

        assert response.status_code == 200
        assert f"{logistics_case.reference}: Only resolved or closed cases can be reopened." in (
            messages_of(response)
        )
        logistics_case.refresh_from_db()
        assert logistics_case.status == Status.ROUTED

    def test_the_executive_is_offered_no_actions(self, elena, logistics_case):
        response = client_for(elena).get(CHANGELIST)

        assert "take_ownership" not in response.text
        run_action(client_for(elena), "close", logistics_case)
        logistics_case.refresh_from_db()
        assert logistics_case.status == Status.ROUTED


class TestChangePage:
    def test_customer_text_is_escaped(self, logistics_staff, organisation, laura):
        case = CaseFactory(
            department=organisation["logistics"],
            owner=laura,
            subject=f"Hola {SCRIPT}",
            message=f"Mi pedido {SCRIPT} no llega",
            customer=CustomerFactory(name=f"Eve {SCRIPT}"),
        )
        CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.NOTE, text=SCRIPT)

        response = client_for(logistics_staff).get(change_url(case))

        assert response.status_code == 200
        assert SCRIPT not in response.text
        assert "Mi pedido &lt;script&gt;alert(1)&lt;/script&gt; no llega" in response.text

    def test_the_changelist_escapes_the_subject(self, logistics_staff, organisation, laura):
        CaseFactory(department=organisation["logistics"], owner=laura, subject=SCRIPT)

        response = client_for(logistics_staff).get(CHANGELIST)

        assert SCRIPT not in response.text

    def test_it_explains_the_routing_decision(self, logistics_staff, logistics_case):
        logistics_case.decision = {
            "tags": ["delivery-delay"],
            "priority": "high",
            "department": "logistics",
            "department_rule_id": 7,
            "matches": [
                {
                    "rule_id": 7,
                    "name": "Late delivery",
                    "version": 3,
                    "conditions": [
                        {"field": "text", "operator": "contains_any", "value": "retras*", "matched": [SCRIPT]}
                    ],
                }
            ],
        }
        logistics_case.save()

        response = client_for(logistics_staff).get(change_url(logistics_case))

        assert "<strong>Late delivery</strong> (version 3)" in response.text
        assert "Subject or message contains any of “retras*” → &lt;script&gt;" in response.text
        assert SCRIPT not in response.text

    def test_it_shows_the_timeline(self, logistics_staff, logistics_case):
        CaseEvent.objects.create(
            case=logistics_case, kind=CaseEvent.Kind.NOTE, text="Llamar al transportista"
        )

        response = client_for(logistics_staff).get(change_url(logistics_case))

        assert "Llamar al transportista" in response.text
        assert 'name="events-0-text"' not in response.text  # shown, not editable

    def test_owner_choices_are_the_departments_people(self, logistics_staff, luis, bruno, logistics_case):
        response = client_for(logistics_staff).get(change_url(logistics_case))

        owners = set(response.context["adminform"].form.fields["owner"].queryset)
        assert owners == {logistics_staff, luis}
        assert f'<option value="{bruno.pk}"' not in response.text

    def test_changing_the_owner_records_an_assignment(self, logistics_staff, luis, logistics_case):
        response = client_for(logistics_staff).post(
            change_url(logistics_case), change_data(logistics_case, owner=luis.pk)
        )

        assert response.status_code == 302
        logistics_case.refresh_from_db()
        assert logistics_case.owner == luis
        event = CaseEvent.objects.get(case=logistics_case, kind=CaseEvent.Kind.ASSIGNED)
        assert event.actor == logistics_staff
        assert event.data == {"from": logistics_staff.pk, "to": luis.pk}

    def test_an_outsider_cannot_be_made_owner(self, logistics_staff, bruno, logistics_case):
        response = client_for(logistics_staff).post(
            change_url(logistics_case), change_data(logistics_case, owner=bruno.pk)
        )

        assert response.status_code == 200
        assert "owner" in response.context["adminform"].form.errors
        logistics_case.refresh_from_db()
        assert logistics_case.owner == logistics_staff

    def test_priority_and_tags_are_saved_and_status_is_not(self, logistics_staff, logistics_case):
        tag = Tag.objects.get(slug="delivery-delay")

        response = client_for(logistics_staff).post(
            change_url(logistics_case),
            change_data(logistics_case, priority="urgent", tags=[tag.pk], status=Status.CLOSED),
        )

        assert response.status_code == 302
        logistics_case.refresh_from_db()
        assert logistics_case.priority == "urgent"
        assert list(logistics_case.tags.all()) == [tag]
        assert logistics_case.status == Status.ROUTED

    def test_system_fields_are_read_only(self, logistics_staff, logistics_case):
        client_for(logistics_staff).post(
            change_url(logistics_case),
            change_data(logistics_case, message="rewritten", reference="CX-X", department=""),
        )

        logistics_case.refresh_from_db()
        assert logistics_case.message == "Mi pedido no ha llegado"
        assert logistics_case.reference.startswith("CX-2026-")
        assert logistics_case.department.slug == "logistics"

    def test_a_note_is_added_to_the_timeline(self, logistics_staff, logistics_case):
        client_for(logistics_staff).post(
            change_url(logistics_case), change_data(logistics_case, note="  Llamado el cliente  ")
        )

        note = CaseEvent.objects.get(case=logistics_case, kind=CaseEvent.Kind.NOTE)
        assert note.text == "Llamado el cliente"
        assert note.actor == logistics_staff
        assert note.is_public is False

    def test_the_executive_sees_the_case_read_only(self, elena, logistics_case):
        response = client_for(elena).get(change_url(logistics_case))

        assert response.status_code == 200
        assert 'name="note"' not in response.text
        assert 'name="priority"' not in response.text

    def test_cases_are_never_deleted_and_added_only_through_staff_entry(self, admin_user, logistics_case):
        client = client_for(admin_user)

        # "Add" is the staff-entry form (tests/feedback/test_staff_entry.py), not a model form.
        assert (
            client.get("/admin/feedback/case/add/").templates[0].name
            == "admin/feedback/case/staff_entry.html"
        )
        assert client.get(f"/admin/feedback/case/{logistics_case.pk}/delete/").status_code == 403
        assert Case.objects.filter(pk=logistics_case.pk).exists()


class TestQueries:
    def test_the_changelist_does_a_bounded_number_of_queries(
        self, logistics_staff, organisation, laura, django_assert_num_queries
    ):
        tags = [Tag.objects.get(slug="delivery-delay")]

        def add_cases(count: int) -> None:
            for _ in range(count):
                case = CaseFactory(department=organisation["logistics"], owner=laura, status=Status.ROUTED)
                case.tags.set(tags)

        client = client_for(logistics_staff)
        add_cases(5)
        client.get(CHANGELIST)  # warm the session and permission caches
        with CaptureQueriesContext(connection) as few:
            assert len(listed(client.get(CHANGELIST))) == 5
        # Session, user, permissions, filters, counts, dates and one page of rows.
        assert len(few.captured_queries) <= 12

        add_cases(25)
        with django_assert_num_queries(len(few.captured_queries)):
            assert len(listed(client.get(CHANGELIST))) == 30


def test_the_admin_is_branded(admin_user):
    response = client_for(admin_user).get("/admin/")

    assert "CX Portal" in response.text


def test_the_pages_render_in_spanish_by_default(logistics_staff, logistics_case):
    client = Client()
    client.force_login(logistics_staff)

    assert client.get(CHANGELIST).status_code == 200
    response = client.get(change_url(logistics_case))
    assert response.status_code == 200
    assert '<html lang="es"' in response.text


class TestCaseAssign:
    """The service behind owner changes (the form already offers only the department's people)."""

    def test_it_refuses_someone_outside_the_department(self, logistics_case, laura, bruno):
        with pytest.raises(ApplicationError) as refused:
            case_assign(case=logistics_case, owner=bruno, actor=laura)

        assert refused.value.code == "not_in_department"
        logistics_case.refresh_from_db()
        assert logistics_case.owner == laura
        assert not CaseEvent.objects.filter(case=logistics_case).exists()

    def test_assigning_the_current_owner_records_nothing(self, logistics_case, laura):
        case_assign(case=logistics_case, owner=laura, actor=laura)

        assert not CaseEvent.objects.filter(case=logistics_case).exists()


class TestMalformedQueries:
    @pytest.mark.parametrize("query", [{"tags__slug": "\x00"}, {"q": "ana\x00"}, {"status__exact": "\x00"}])
    def test_a_nul_byte_in_a_changelist_parameter_is_a_400(self, logistics_staff, logistics_case, query):
        # PostgreSQL text cannot hold NUL; the filter used to reach the query and fail there.
        response = client_for(logistics_staff).get(CHANGELIST, query)

        assert response.status_code == 400
