"""What every fuzzed example must leave behind, shared by the page and API fuzzers."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from feedback.models import Case, Status
from routing.config import active_ruleset
from routing.models import Department, Priority, Tag
from routing.selectors import facts_for_case, fallback_department


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example and undo its database writes, so the next starts from the fixtures.

    The rate-limit counters live in the cache: cleared too, so the twentieth
    example is not refused as the twentieth submission from one address.
    """
    cache.clear()
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def assert_routed_as_the_rules_decide(case: Case) -> None:
    """The case left ``new`` with the department, owner, priority and tags its rules give.

    The rules are evaluated again on the stored case: whatever the
    submission held, what was stored must be what got routed.
    """
    case.refresh_from_db()
    assert case.routed_at is not None, f"{case.reference} was stored but never routed"
    assert case.status == Status.ROUTED
    decision = active_ruleset().evaluate(facts_for_case(case, today=timezone.localdate(case.routed_at)))
    expected = (
        Department.objects.get(slug=decision.department) if decision.department else fallback_department()
    )
    assert case.department == expected
    people = {expected.owner_id, expected.backup_owner_id, *expected.members.values_list("pk", flat=True)}
    assert case.owner_id in people
    assert case.priority == (decision.priority or Priority.NORMAL)
    assert set(case.tags.values_list("slug", flat=True)) == set(
        Tag.objects.filter(slug__in=decision.tags).values_list("slug", flat=True)
    )
