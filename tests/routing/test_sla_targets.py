"""SLA targets by priority: an urgent case gets shorter due dates than a normal one."""

from datetime import datetime, timedelta

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from routing.models import SLAPolicy, SLATarget
from routing.services import case_route

from ..factories import CaseFactory, RuleConditionFactory, RuleFactory

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.get_fixed_timezone(0))


def test_a_policy_without_a_target_for_the_priority_uses_its_own_figures(organisation, sla):
    assert sla.targets_for("urgent") == (8, 72)


def test_an_urgent_case_gets_the_urgent_target(organisation, sla):
    # The fixture policy: 8 h / 72 h, 24/7. Urgent cases: 2 h / 16 h.
    SLATarget.objects.create(policy=sla, priority="urgent", first_response_hours=2, resolution_hours=16)
    rule = RuleFactory(
        name="Legal threat", order=1, set_priority="urgent", set_department=organisation["logistics"]
    )
    RuleConditionFactory(rule=rule, value="abogado, denuncia")
    urgent = CaseFactory(message="Voy a poner una denuncia")
    normal = CaseFactory(message="Mi pedido no ha llegado")

    case_route(case_id=urgent.pk, now=NOW)
    case_route(case_id=normal.pk, now=NOW)

    urgent.refresh_from_db()
    normal.refresh_from_db()
    assert urgent.priority == "urgent"
    assert (urgent.first_response_due_at, urgent.resolution_due_at) == (
        NOW + timedelta(hours=2),
        NOW + timedelta(hours=16),
    )
    assert (normal.first_response_due_at, normal.resolution_due_at) == (
        NOW + timedelta(hours=8),
        NOW + timedelta(hours=72),
    )


def test_the_demo_standard_policy_answers_urgent_and_high_cases_sooner(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    standard = SLAPolicy.objects.get(name="standard")
    assert standard.targets_for("urgent") == (2, 16)
    assert standard.targets_for("high") == (4, 40)
    assert standard.targets_for("normal") == (8, 72)


def test_targets_are_edited_inline_on_the_policy(admin_client, sla):
    response = admin_client.get(reverse("admin:routing_slapolicy_change", args=[sla.pk]))
    assert response.status_code == 200
    assert "priority_targets-TOTAL_FORMS" in response.content.decode()
