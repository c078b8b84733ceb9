"""Who gets a routed case: owner, backup when the owner is away, round robin, least open."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from feedback.models import CaseEvent, Status
from notifications.models import Notification
from routing.assignment import (
    LEAST_OPEN,
    OWNER,
    REASON_BACKUP,
    REASON_LEAST_OPEN,
    REASON_OWNER,
    REASON_OWNER_ANYWAY,
    REASON_ROUND_ROBIN,
    ROUND_ROBIN,
    Assignment,
    choose_assignee,
)
from routing.models import Absence, AssignmentMode, BusinessCalendar, Holiday, Tag
from routing.selectors import absent_user_ids
from routing.services import case_route

from ..factories import CaseFactory, RuleConditionFactory, RuleFactory, UserFactory

MADRID = ZoneInfo("Europe/Madrid")
# Friday 13 March 2026, 15:00 in Madrid.
FRIDAY_AFTERNOON = datetime(2026, 3, 13, 15, tzinfo=MADRID)


def away(user, *, at: datetime = FRIDAY_AFTERNOON, days: int = 3) -> Absence:
    return Absence.objects.create(
        user=user, starts_at=at - timedelta(hours=6), ends_at=at + timedelta(days=days), note="Vacaciones"
    )


class TestChooseAssignee:
    """The pure choice: ids in, one person and the reason out."""

    def test_the_owner_when_present(self):
        assert choose_assignee(mode=OWNER, owner_id=1, backup_id=2) == Assignment(1, REASON_OWNER)

    def test_the_backup_when_the_owner_is_absent(self):
        assert choose_assignee(mode=OWNER, owner_id=1, backup_id=2, absent={1}) == Assignment(
            2, REASON_BACKUP
        )

    def test_the_owner_anyway_when_both_are_absent_or_there_is_no_backup(self):
        assert choose_assignee(mode=OWNER, owner_id=1, backup_id=2, absent={1, 2}) == Assignment(
            1, REASON_OWNER_ANYWAY
        )
        assert choose_assignee(mode=OWNER, owner_id=1, absent={1}) == Assignment(1, REASON_OWNER_ANYWAY)

    def test_round_robin_cycles_through_members_by_id(self):
        chosen, last = [], None
        for _ in range(5):
            last = choose_assignee(
                mode=ROUND_ROBIN, owner_id=1, members=[7, 3, 5], last_assigned_id=last
            ).user_id
            chosen.append(last)

        assert chosen == [3, 5, 7, 3, 5]

    def test_round_robin_skips_absent_members(self):
        pick = choose_assignee(
            mode=ROUND_ROBIN, owner_id=1, members=[3, 5, 7], absent={5}, last_assigned_id=3
        )

        assert pick == Assignment(7, REASON_ROUND_ROBIN)

    def test_least_open_picks_the_member_with_fewest_open_cases(self):
        pick = choose_assignee(mode=LEAST_OPEN, owner_id=1, members=[3, 5, 7], open_counts={3: 4, 5: 1, 7: 2})

        assert pick == Assignment(5, REASON_LEAST_OPEN)

    def test_least_open_skips_absent_members_and_breaks_ties_by_id(self):
        pick = choose_assignee(
            mode=LEAST_OPEN, owner_id=1, members=[3, 5, 7], absent={5}, open_counts={3: 2, 5: 0, 7: 2}
        )

        assert pick == Assignment(3, REASON_LEAST_OPEN)

    def test_with_every_member_absent_the_owner_rule_decides(self):
        # The backup is not a member here, and is present.
        pick = choose_assignee(mode=ROUND_ROBIN, owner_id=1, backup_id=2, members=[1, 3], absent={1, 3})

        assert pick == Assignment(2, REASON_BACKUP)


def test_an_absence_counts_from_its_start_until_its_end(laura):
    absence = away(laura)

    assert absent_user_ids([laura.pk], at=absence.starts_at) == {laura.pk}
    assert absent_user_ids([laura.pk], at=absence.ends_at) == set()
    assert absent_user_ids([laura.pk], at=absence.starts_at - timedelta(seconds=1)) == set()


@pytest.fixture
def delivery_rule(organisation):
    rule = RuleFactory(name="Late delivery", order=10, set_department=organisation["logistics"])
    rule.add_tags.set(Tag.objects.filter(slug="delivery-delay"))
    RuleConditionFactory(rule=rule, value="retras*, no ha llegado")
    return rule


def delivery_complaint(**kwargs):
    return CaseFactory(subject="Pedido 4711", message="Mi pedido no ha llegado", **kwargs)


def routed_event(case) -> CaseEvent:
    return case.events.get(kind=CaseEvent.Kind.ROUTED)


class TestCaseRouteAssignment:
    def test_an_absent_owner_s_case_goes_to_the_backup(self, delivery_rule, laura, luis):
        away(laura)
        case = delivery_complaint()

        with translation.override("en"):
            case_route(case_id=case.pk, now=FRIDAY_AFTERNOON)

        case.refresh_from_db()
        assert case.owner == luis
        assert routed_event(case).data["assignment"] == REASON_BACKUP
        assert routed_event(case).text == "Logistics → Luis (owner absent: backup)"
        assert Notification.objects.get(case=case, event="routed").recipient == luis

    def test_with_owner_and_backup_absent_the_owner_gets_it_and_it_is_recorded(
        self, delivery_rule, laura, luis
    ):
        away(laura)
        away(luis)
        case = delivery_complaint()

        case_route(case_id=case.pk, now=FRIDAY_AFTERNOON)

        case.refresh_from_db()
        assert case.owner == laura
        assert routed_event(case).data == routed_event(case).data | {
            "owner_id": laura.pk,
            "assignment": REASON_OWNER_ANYWAY,
        }

    def test_a_past_absence_changes_nothing(self, delivery_rule, laura):
        away(laura, at=FRIDAY_AFTERNOON - timedelta(days=30))
        case = delivery_complaint()

        case_route(case_id=case.pk, now=FRIDAY_AFTERNOON)

        case.refresh_from_db()
        assert case.owner == laura

    def test_round_robin_cycles_deterministically(self, delivery_rule, organisation, laura, luis):
        logistics = organisation["logistics"]
        lucia = UserFactory(username="lucia")
        logistics.members.add(lucia)
        logistics.assignment_mode = AssignmentMode.ROUND_ROBIN
        logistics.save()
        cases = [delivery_complaint() for _ in range(4)]

        for case in cases:
            case_route(case_id=case.pk, now=FRIDAY_AFTERNOON)

        people = sorted([laura, luis, lucia], key=lambda u: u.pk)
        owners = [type(c).objects.get(pk=c.pk).owner for c in cases]
        assert owners == [*people, people[0]]
        assert routed_event(cases[0]).data["assignment"] == REASON_ROUND_ROBIN

    def test_round_robin_skips_an_absent_member(self, delivery_rule, organisation, laura, luis):
        logistics = organisation["logistics"]
        logistics.assignment_mode = AssignmentMode.ROUND_ROBIN
        logistics.save()
        away(laura)
        cases = [delivery_complaint() for _ in range(2)]

        for case in cases:
            case_route(case_id=case.pk, now=FRIDAY_AFTERNOON)

        assert [type(c).objects.get(pk=c.pk).owner for c in cases] == [luis, luis]

    def test_least_open_picks_the_member_with_fewest_open_cases(
        self, delivery_rule, organisation, laura, luis
    ):
        logistics = organisation["logistics"]
        lucia = UserFactory(username="lucia")
        logistics.members.add(lucia)
        logistics.assignment_mode = AssignmentMode.LEAST_OPEN
        logistics.save()
        for owner, how_many in ((laura, 2), (luis, 1)):
            for _ in range(how_many):
                CaseFactory(department=logistics, owner=owner, status=Status.IN_PROGRESS)
        # Closed cases are not work: lucia's do not count.
        CaseFactory.create_batch(3, department=logistics, owner=lucia, status=Status.CLOSED)
        case = delivery_complaint()

        case_route(case_id=case.pk, now=FRIDAY_AFTERNOON)

        case.refresh_from_db()
        assert case.owner == lucia
        assert routed_event(case).data["assignment"] == REASON_LEAST_OPEN

    def test_least_open_skips_absent_members(self, delivery_rule, organisation, laura, luis):
        logistics = organisation["logistics"]
        logistics.assignment_mode = AssignmentMode.LEAST_OPEN
        logistics.save()
        CaseFactory(department=logistics, owner=laura, status=Status.IN_PROGRESS)
        away(luis)
        case = delivery_complaint()

        case_route(case_id=case.pk, now=FRIDAY_AFTERNOON)

        case.refresh_from_db()
        assert case.owner == laura


def test_a_delivery_complaint_submitted_while_laura_is_absent_goes_to_her_backup_with_due_dates_that_skip_the_weekend(
    delivery_rule, sla, laura, luis, django_capture_on_commit_callbacks
):
    """The issue's done-when, with the demo's Madrid office hours (Mon-Fri 9:00-18:00)."""
    from django.core import mail

    calendar = BusinessCalendar.objects.create(name="Madrid office", time_zone="Europe/Madrid")
    Holiday.objects.create(calendar=calendar, date=date(2026, 4, 3), name="Viernes Santo")
    sla.calendar = calendar
    sla.first_response_hours, sla.resolution_hours = 8, 12
    sla.save()
    away(laura)
    case = delivery_complaint()

    # Submitted on Friday 13 March 2026 at 15:00 in Madrid.
    with django_capture_on_commit_callbacks(execute=True):
        case_route(case_id=case.pk, now=FRIDAY_AFTERNOON)

    case.refresh_from_db()
    assert case.owner == luis
    # First response, 8 h: 3 h on Friday (15-18), then Monday 9:00 + 5 h = 14:00.
    assert case.first_response_due_at == datetime(2026, 3, 16, 14, tzinfo=MADRID)
    # Resolution, 12 h: 3 h on Friday and 9 h on Monday = Monday 18:00.
    assert case.resolution_due_at == datetime(2026, 3, 16, 18, tzinfo=MADRID)
    assert case.first_response_due_at.astimezone(UTC).date().weekday() == 0  # Monday
    assert [m.to for m in mail.outbox] == [[luis.email]]
    assert routed_event(case).data["assignment"] == REASON_BACKUP
    assert routed_event(case).data["business_hours"] is True
