"""Keep every worker's routing set-up fresh: any change to a rule, department,
SLA policy, calendar, tag or webhook destination bumps the version that
``routing.config.routing_setup`` and ``routing.config.active_ruleset`` check."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from notifications.models import WebhookDestination
from notifications.signals import destinations_changed

from .config import ruleset_changed
from .models import (
    BusinessCalendar,
    Department,
    Holiday,
    Rule,
    RuleCondition,
    SLAPolicy,
    SLATarget,
    Tag,
)


def rules_changed(*, action: str = "post", **kwargs) -> None:
    if not action.startswith("post"):
        return  # m2m_changed also fires before the change (pre_add, ...)
    # After commit is the bump other processes rely on: before it they could
    # compile rules that are not committed yet (or never will be). The bump
    # now lets this same transaction — a shell, a test — see its own edit.
    ruleset_changed()
    transaction.on_commit(ruleset_changed)


def connect() -> None:
    """Called once from ``RoutingConfig.ready``."""
    uid = "routing.signals.rules_changed"
    # Rules name their department, SLA policy and tags: renaming those
    # changes the compiled rules too; the rest is what routing reads per case.
    watched = (Rule, RuleCondition, Department, SLAPolicy, SLATarget, BusinessCalendar, Holiday, Tag)
    for model in (*watched, WebhookDestination):
        post_save.connect(rules_changed, sender=model, dispatch_uid=f"{uid}.save.{model.__name__}")
        post_delete.connect(rules_changed, sender=model, dispatch_uid=f"{uid}.delete.{model.__name__}")
    for relation in (Rule.add_tags, Rule.add_watchers, Rule.notify_users):
        through = relation.through
        m2m_changed.connect(rules_changed, sender=through, dispatch_uid=f"{uid}.m2m.{through.__name__}")
    # A destination switched on or off by an update() (no post_save): the set-up's subscriptions change.
    destinations_changed.connect(rules_changed, dispatch_uid=f"{uid}.destinations")
