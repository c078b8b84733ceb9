"""The routing set-up a worker reads once per change, not once per case.

Routing a case needs the compiled rules, the live triage model, the
departments with their SLA policies, calendars and holidays, the tags and
the webhook destinations. They change a few times a day and are read
thousands of times, so each worker process builds a ``RoutingSetup`` once
and keeps it until either of two tokens in the cache changes:

* the set-up version (``RULESET_VERSION_KEY``), bumped after commit by
  ``routing.signals`` whenever a rule, department, SLA policy or target,
  calendar, holiday, tag or webhook destination is saved or deleted, and
* the live triage model's version (``routing.learning.LIVE_KEY``).

Both are read with one cache round trip per case. With the cache down the
database answers (``ruleset_version_in_database``): routing must not fail
because Redis is. Who gets the case (members, absences, workload) is not
kept here: it is read per case, in the routing transaction.
"""

import logging
from dataclasses import dataclass

from django.core.cache import cache

from notifications.models import WebhookDestination

from ..learning import LIVE_KEY, LiveModel, live_version_in_database, load_live_model
from ..models import Department, Rule, SLAPolicy, Tag
from ..rules import RuleSet
from ..selectors import rule_specs
from ..sla import Calendar
from .ruleset import RULESET_VERSION_KEY, ruleset_version, ruleset_version_in_database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policy:
    """An SLA policy as routing uses it: hours per priority and the calendar."""

    pk: int
    name: str
    first_response_hours: int
    resolution_hours: int
    targets: dict[str, tuple[int, int]]
    calendar: Calendar | None

    def targets_for(self, priority: str) -> tuple[int, int]:
        """(first response, resolution) hours; a priority's own target wins."""
        return self.targets.get(priority, (self.first_response_hours, self.resolution_hours))


@dataclass(frozen=True)
class Team:
    """A department as routing uses it (the fields ``assignee_with_user`` reads)."""

    pk: int
    slug: str
    name: str
    owner_id: int
    backup_owner_id: int | None
    assignment_mode: str
    policy: Policy
    # Round robin reads the department's turn under a row lock when it routes.
    last_assigned_id: int | None = None


@dataclass(frozen=True)
class RoutingSetup:
    ruleset: RuleSet
    teams: dict[str, Team]  # by slug
    fallback: Team
    policies: dict[str, Policy]  # by name
    tag_ids: dict[str, int]  # by slug
    thresholds: dict[str, float]  # department slug -> the model's least confidence to route there
    # Active, switched-on webhook destinations by event they asked for.
    webhooks: dict[str, tuple[int, ...]]
    live: LiveModel | None  # None before the first model

    def team(self, slug: str) -> Team | None:
        return self.teams.get(slug)


_setups: dict[tuple[str, int | None], RoutingSetup] = {}


def routing_setup() -> RoutingSetup:
    """This process's routing set-up, rebuilt when the set-up or the live model changes."""
    version, live_version = _versions()
    key = (version, live_version)
    setup = _setups.get(key)
    if setup is None:
        setup = _build(live_version)
        _setups.clear()
        _setups[key] = setup
    return setup


def forget_routing_setup() -> None:
    """Drop this process's set-up (tests simulate a fresh worker)."""
    _setups.clear()


def _versions() -> tuple[str, int | None]:
    try:
        found = cache.get_many([RULESET_VERSION_KEY, LIVE_KEY])
    except Exception as exc:
        # One line, not a traceback: an outage would otherwise flood the log.
        log.warning("Cache unreachable (%s); reading the routing set-up version from the database.", exc)
        return "db:" + ruleset_version_in_database(), live_version_in_database() or None
    version = found.get(RULESET_VERSION_KEY)
    # First use, or the cache was flushed: start the token every process adopts.
    version = f"cache:{version}" if version is not None else ruleset_version()
    live_version = found.get(LIVE_KEY)
    if live_version is None:
        live_version = live_version_in_database()
    return version, live_version or None


def _build(live_version: int | None) -> RoutingSetup:
    policies = {}
    for policy in SLAPolicy.objects.select_related("calendar").prefetch_related(
        "priority_targets", "calendar__holidays"
    ):
        policies[policy.name] = Policy(
            pk=policy.pk,
            name=policy.name,
            first_response_hours=policy.first_response_hours,
            resolution_hours=policy.resolution_hours,
            targets={
                t.priority: (t.first_response_hours, t.resolution_hours)
                for t in policy.priority_targets.all()
            },
            calendar=policy.calendar.as_calendar() if policy.calendar else None,
        )
    by_pk = {policy.pk: policy for policy in policies.values()}
    teams, thresholds, fallback = {}, {}, None
    for department in Department.objects.all():
        team = Team(
            pk=department.pk,
            slug=department.slug,
            name=department.name,
            owner_id=department.owner_id,
            backup_owner_id=department.backup_owner_id,
            assignment_mode=department.assignment_mode,
            policy=by_pk[department.sla_policy_id],
        )
        teams[team.slug] = team
        thresholds[team.slug] = department.triage_threshold
        if department.is_fallback:
            fallback = team
    if fallback is None:
        raise Department.DoesNotExist("No fallback department: routing needs exactly one.")
    webhooks: dict[str, list[int]] = {}
    for pk, events in WebhookDestination.objects.filter(active=True, disabled_at__isnull=True).values_list(
        "pk", "events"
    ):
        for event in events or []:
            webhooks.setdefault(event, []).append(pk)
    return RoutingSetup(
        ruleset=RuleSet(rule_specs(Rule.objects.filter(enabled=True))),
        teams=teams,
        fallback=fallback,
        policies=policies,
        tag_ids=dict(Tag.objects.values_list("slug", "pk")),
        thresholds=thresholds,
        webhooks={event: tuple(ids) for event, ids in webhooks.items()},
        live=load_live_model(live_version, thresholds=thresholds, fallback=fallback.slug),
    )
