"""generate_cases: realistic, consistent history for dashboards and benchmarks."""

import re

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from feedback.models import OPEN_STATUSES, Case, Status, SurveyResponse
from feedback.services import case_create


def test_it_needs_departments(db):
    with pytest.raises(CommandError):
        call_command("generate_cases", count=10)


def test_it_creates_consistent_cases(organisation, django_capture_on_commit_callbacks):
    call_command("generate_cases", count=300, days=60)
    cases = Case.objects.all()
    assert cases.count() == 300
    assert all(re.fullmatch(r"CX-\d{4}-\d{6}", c.reference) for c in cases)
    assert not cases.filter(status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__isnull=True).exists()
    assert not cases.filter(status__in=OPEN_STATUSES, resolved_at__isnull=False).exists()
    assert not cases.filter(routed_at__lt=F("created_at")).exists()
    assert cases.filter(tags__isnull=False).exists()
    assert not SurveyResponse.objects.filter(case__resolved_at__isnull=True).exists()
    assert {c.department.slug for c in cases} <= set(organisation)

    # A real case afterwards still gets a fresh id and reference.
    with django_capture_on_commit_callbacks(execute=True):
        real = case_create(
            name="Ana",
            email="ana@example.com",
            kind="complaint",
            channel="web",
            subject="Pedido",
            message="No llega",
            language="es",
        )
    assert real.pk > max(c.pk for c in cases)
