"""Moving a case to another department: the new owner is told once, the old team loses sight of it."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from cxportal.errors import ApplicationError
from feedback.models import Case, CaseEvent, Status
from notifications.models import Notification
from routing.models import Absence
from routing.services import case_reroute

from ..factories import CaseFactory

CHANGELIST = "/admin/feedback/case/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def change_data(case: Case, **overrides) -> dict:
    events = CaseEvent.objects.filter(case=case).count()
    return {
        "priority": case.priority,
        "department": case.department_id or "",
        "owner": case.owner_id or "",
        "tags": [t.pk for t in case.tags.all()],
        "note": "",
        "events-TOTAL_FORMS": events,
        "events-INITIAL_FORMS": events,
        "events-MIN_NUM_FORMS": 0,
        "events-MAX_NUM_FORMS": 1000,
    } | overrides


@pytest.fixture
def staff(organisation, laura, luis, bruno, staff_permissions):
    for user in (laura, luis, bruno):
        staff_permissions(user)


@pytest.fixture
def case(organisation, laura):
    now = timezone.now()
    return CaseFactory(
        subject="Factura con cargo doble",
        department=organisation["logistics"],
        owner=laura,
        status=Status.ROUTED,
        routed_at=now,
        first_response_due_at=now + timedelta(hours=8),
        resolution_due_at=now + timedelta(hours=72),
    )


class TestCaseReroute:
    def test_the_new_owner_is_notified_once(
        self, case, organisation, laura, bruno, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            case_reroute(case=case, department=organisation["billing"], actor=laura)
        with django_capture_on_commit_callbacks(execute=True):
            # Saved again with the same department (a double submit): nothing new.
            case_reroute(case=case, department=organisation["billing"], actor=laura)

        case.refresh_from_db()
        assert (case.department, case.owner) == (organisation["billing"], bruno)
        assert [m.to for m in mail.outbox] == [[bruno.email]]
        assert "Billing" in mail.outbox[0].subject
        notification = Notification.objects.get(case=case, event="rerouted")
        event = case.events.get(kind=CaseEvent.Kind.ROUTED)
        assert notification.key == f"case:{case.pk}:rerouted:{event.pk}:user:{bruno.pk}"

    def test_the_timeline_shows_where_it_came_from_and_went(self, case, organisation, laura, bruno):
        case_reroute(case=case, department=organisation["billing"], actor=laura)

        event = case.events.get(kind=CaseEvent.Kind.ROUTED)
        assert event.actor == laura
        assert event.data == {
            "from": "logistics",
            "to": "billing",
            "department": "billing",
            "owner_id": bruno.pk,
            "assignment": "owner",
            "rerouted": True,
        }
        assert event.text == "Logistics → Billing: Bruno"

    def test_the_new_department_s_escalation_chain_starts_over(self, case, organisation, laura):
        Case.objects.filter(pk=case.pk).update(escalation_level=2)
        case_reroute(case=case, department=organisation["billing"], actor=laura)

        case.refresh_from_db()
        assert case.escalation_level == 0

    def test_moving_back_and_forth_tells_each_new_owner_each_time(self, case, organisation, laura, bruno):
        case_reroute(case=case, department=organisation["billing"], actor=laura)
        case_reroute(case=case, department=organisation["logistics"], actor=bruno)
        case_reroute(case=case, department=organisation["billing"], actor=laura)

        sent = Notification.objects.filter(case=case, event="rerouted").order_by("id")
        assert [n.recipient for n in sent] == [bruno, laura, bruno]

    def test_the_new_department_s_backup_gets_it_when_its_owner_is_away(self, organisation, luis, bruno):
        now = timezone.now()
        case = CaseFactory(
            department=organisation["billing"], owner=bruno, status=Status.ROUTED, routed_at=now
        )
        Absence.objects.create(
            user=organisation["logistics"].owner,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=1),
        )

        case_reroute(case=case, department=organisation["logistics"], actor=bruno, now=now)

        assert case.owner == luis

    def test_a_case_not_routed_yet_cannot_be_moved(self, organisation, bruno):
        case = CaseFactory(status=Status.NEW)

        with pytest.raises(ApplicationError):
            case_reroute(case=case, department=organisation["billing"], actor=bruno)


class TestInTheAdmin:
    def test_changing_the_department_re_routes_the_case(self, staff, case, organisation, laura, bruno):
        response = client_for(laura).post(
            f"/admin/feedback/case/{case.pk}/change/",
            change_data(case, department=organisation["billing"].pk),
        )

        assert response.status_code == 302
        case.refresh_from_db()
        assert (case.department, case.owner) == (organisation["billing"], bruno)
        assert Notification.objects.filter(case=case, event="rerouted", recipient=bruno).count() == 1
        event = case.events.get(kind=CaseEvent.Kind.ROUTED)
        assert (event.data["from"], event.data["to"], event.actor) == ("logistics", "billing", laura)

    def test_the_old_department_no_longer_sees_it_and_the_new_one_does(
        self, staff, case, organisation, laura, luis, bruno
    ):
        client_for(laura).post(
            f"/admin/feedback/case/{case.pk}/change/",
            change_data(case, department=organisation["billing"].pk),
        )

        for user, sees in ((laura, False), (luis, False), (bruno, True)):
            listed = {c.reference for c in client_for(user).get(CHANGELIST).context["cl"].result_list}
            assert (case.reference in listed) is sees, user
        assert client_for(luis).get(f"/admin/feedback/case/{case.pk}/change/").status_code == 302

    def test_save_and_continue_after_a_move_lands_on_the_list(self, staff, case, organisation, laura):
        response = client_for(laura).post(
            f"/admin/feedback/case/{case.pk}/change/",
            change_data(case, department=organisation["billing"].pk, _continue="1"),
            follow=True,
        )

        assert response.redirect_chain[-1][0] == CHANGELIST
        assert f"{case.reference} was moved to Billing." in [str(m) for m in response.context["messages"]]

    def test_the_department_and_the_owner_cannot_change_together(
        self, staff, case, organisation, laura, luis
    ):
        response = client_for(laura).post(
            f"/admin/feedback/case/{case.pk}/change/",
            change_data(case, department=organisation["billing"].pk, owner=luis.pk),
        )

        assert response.status_code == 200
        assert "owner" in response.context["adminform"].form.errors
        case.refresh_from_db()
        assert case.department == organisation["logistics"]

    def test_every_department_is_offered(self, staff, case, organisation, laura):
        response = client_for(laura).get(f"/admin/feedback/case/{case.pk}/change/")

        offered = set(response.context["adminform"].form.fields["department"].queryset)
        assert offered == set(organisation.values())
