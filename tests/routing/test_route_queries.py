"""Routing a case costs few queries once a worker has read its departments,
policies, tags and webhooks — and it still sees every edit to them."""

import re
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.services import case_create
from notifications.delivery import notification_failed
from notifications.models import Notification, WebhookDestination
from routing.config import forget_compiled_ruleset
from routing.models import Absence, BusinessCalendar, Holiday, SLATarget, Tag
from routing.selectors import case_for_routing, facts_for_case
from routing.services import case_route

from ..factories import CaseFactory, RuleConditionFactory, RuleFactory

# A Tuesday.
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.get_fixed_timezone(0))
LATE = "Mi pedido no ha llegado, lleva 5 días de retraso"
# The case, the people to pick from, the claim, rule hit counts, tags,
# timeline and notifications: one statement each. Transaction control
# (BEGIN, COMMIT, savepoints) is not counted.
WARM_ROUTING_QUERIES = 7
TRANSACTION_CONTROL = re.compile(
    r"^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b"
)


def complaint(n: int):
    return case_create(
        name=f"Ana {n}",
        email=f"ana{n}@example.com",
        kind="complaint",
        channel="web",
        subject="Pedido retrasado",
        message=LATE,
        language="es",
        acknowledge=False,
    )


def test_a_warm_worker_routes_a_demo_case_in_few_queries(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", force=True, stdout=StringIO())
    assert case_route(case_id=complaint(0).pk)  # fills the worker's caches
    case = complaint(1)

    with CaptureQueriesContext(connection) as captured:
        assert case_route(case_id=case.pk)

    statements = [q["sql"] for q in captured.captured_queries]
    queries = [sql for sql in statements if not TRANSACTION_CONTROL.match(sql)]
    assert len(queries) <= WARM_ROUTING_QUERIES, "\n".join(queries)
    case.refresh_from_db()
    assert case.department.slug == "logistics"
    assert "delivery-delay" in case.tags.values_list("slug", flat=True)
    assert case.notifications.get(event="routed").recipient == case.owner


def test_the_history_is_counted_only_when_a_rule_reads_it(late_rule):
    RuleConditionFactory(rule=late_rule, field="previous_cases", operator="gte", value="0")
    forget_compiled_ruleset()
    case = CaseFactory(message=LATE)

    with CaptureQueriesContext(connection) as captured:
        assert case_route(case_id=case.pk, now=NOW)

    assert any("COUNT(" in q["sql"] for q in captured.captured_queries)


def test_the_case_query_counts_history_as_facts_for_case_does(db):
    case = CaseFactory(created_at=NOW)
    for days in (1, 29, 30, 31, 89, 90, 91):
        CaseFactory(customer=case.customer, created_at=NOW - timedelta(days=days))
    CaseFactory(customer=case.customer, created_at=NOW + timedelta(days=1))  # later: not history
    CaseFactory(created_at=NOW - timedelta(days=2))  # someone else

    read = case_for_routing(case.pk)

    assert (read.routing_previous_cases, read.routing_previous_cases_30_days) == (6, 3)
    assert facts_for_case(read, today=NOW.date()) == facts_for_case(case, today=NOW.date())


@pytest.fixture
def late_rule(organisation):
    rule = RuleFactory(name="Late", order=10, set_department=organisation["logistics"], set_priority="high")
    rule.add_tags.set(Tag.objects.filter(slug="delivery-delay"))
    RuleConditionFactory(rule=rule, field="message", operator="contains_any", value="retraso")
    return rule


def route_one():
    case = CaseFactory(message=LATE)
    assert case_route(case_id=case.pk, now=NOW)
    case.refresh_from_db()
    return case


class TestAWarmWorkerSeesEdits:
    """Each test routes once (filling the caches), edits, and routes again."""

    def test_a_new_department_owner(self, late_rule, organisation, laura, bruno):
        assert route_one().owner == laura
        logistics = organisation["logistics"]
        logistics.owner = bruno
        logistics.save()

        assert route_one().owner == bruno

    def test_an_absence(self, late_rule, laura, luis):
        assert route_one().owner == laura
        Absence.objects.create(user=laura, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=1))

        assert route_one().owner == luis

    def test_the_sla_policys_figures_and_targets(self, late_rule, sla):
        assert route_one().first_response_due_at == NOW + timedelta(hours=8)
        sla.first_response_hours = 6
        sla.save()
        assert route_one().first_response_due_at == NOW + timedelta(hours=6)
        SLATarget.objects.create(policy=sla, priority="high", first_response_hours=2, resolution_hours=20)

        assert route_one().first_response_due_at == NOW + timedelta(hours=2)

    def test_a_holiday(self, late_rule, sla):
        sla.calendar = BusinessCalendar.objects.create(name="Madrid", time_zone="UTC")
        sla.save()
        assert route_one().first_response_due_at == NOW.replace(hour=17, minute=30)
        Holiday.objects.create(calendar=sla.calendar, date=NOW.date())

        # Not today: from Wednesday's opening.
        assert route_one().first_response_due_at == NOW.replace(day=11, hour=17, minute=0)

    def test_a_renamed_tag(self, late_rule):
        assert list(route_one().tags.values_list("slug", flat=True)) == ["delivery-delay"]
        tag = Tag.objects.get(slug="delivery-delay")
        tag.slug = "late-delivery"
        tag.save()

        assert list(route_one().tags.values_list("slug", flat=True)) == ["late-delivery"]

    def test_webhook_destinations_added_and_switched_off(self, late_rule, settings):
        def webhooks(case):
            return Notification.objects.filter(case=case, channel=Notification.Channel.WEBHOOK).count()

        assert webhooks(route_one()) == 0
        WebhookDestination.objects.create(
            name="Chat", url="https://chat.example.com/", secret="s", events=["routed"]
        )
        case = route_one()
        assert webhooks(case) == 1

        # Switched off by failures (an update(), not a save()).
        settings.CX_WEBHOOK_DISABLE_AFTER = 1
        notification_failed(
            notification_id=Notification.objects.get(case=case, channel=Notification.Channel.WEBHOOK).pk,
            error="410 Gone",
        )

        assert webhooks(route_one()) == 0
