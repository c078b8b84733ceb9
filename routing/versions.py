"""Rule history: every change keeps the rule as it was, and any version can come back.

The flow of a change: take ``before = rule_to_dict(rule)`` *before* writing,
write the change, then call ``rule_save_version(rule=..., actor=..., before=before)``
in the same transaction. It stores ``before`` as the rule's current version
number, says what changed, and moves the rule to the next version — or does
nothing when the change changed nothing. Cases keep the version that matched
them in ``Case.decision``, so an old case can be read against its version.
Bringing a version back (``rule_restore``) and importing rules are in
``routing.transfer``, which writes rules from their file format.

Who may write what: any enabled rule can divert any team's cases, so
enabling or disabling a rule, changing or restoring an enabled one and
importing rules need ``routing.publish_rule`` (administrators; superusers
have it implicitly). Those with only ``change_rule`` write drafts. Every
service here checks it, so a crafted request cannot go around the admin.
An ``actor`` of ``None`` is the system itself (a management command).
"""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Rule, RuleVersion
from .rulefile import rule_to_dict

PUBLISH_PERMISSION = "routing.publish_rule"

# Fields shown as "old → new" in a summary, in this order.
_SCALARS = (
    "name",
    "order",
    "enabled",
    "stop_processing",
    "set_priority",
    "set_department",
    "override_department",
    "set_sla_policy",
)
_LISTS = ("add_tags", "add_watchers", "notify_users")
MINUS = "\N{MINUS SIGN}"


def rule_may_publish(actor: User | AnonymousUser | None) -> bool:
    """Whether ``actor`` may switch rules on or off, change live rules and import rules."""
    if actor is None:
        return True
    return bool(actor.is_active and actor.has_perm(PUBLISH_PERMISSION))


def rule_check_write(*, actor: User | AnonymousUser | None, was_enabled: bool, enabled: bool) -> None:
    """Refuse a write that touches a live rule (before or after it) unless ``actor`` may publish.

    Raises ``PermissionDenied``; call it inside the write's transaction so a
    refusal undoes what was already written.
    """
    if (was_enabled or enabled) and not rule_may_publish(actor):
        raise PermissionDenied(_("Only an administrator may enable rules or change an enabled rule."))


def _shown(value: Any) -> str:
    if value in (None, ""):
        return "—"
    return str(value)


def _condition_key(condition: dict[str, Any]) -> tuple:
    return (condition["group"], condition["field"], condition["operator"], condition["value"])


def rule_changes(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What changed between two snapshots, e.g. ``conditions: +1 \N{MINUS SIGN}0; set_priority: high → urgent``."""
    parts = []
    old = [_condition_key(c) for c in before.get("conditions") or []]
    new = [_condition_key(c) for c in after.get("conditions") or []]
    if old != new:
        added = sum(1 for c in new if c not in old)
        removed = sum(1 for c in old if c not in new)
        parts.append(f"conditions: +{added} {MINUS}{removed}")
    for name in _SCALARS:
        if before.get(name) != after.get(name):
            parts.append(f"{name}: {_shown(before.get(name))} → {_shown(after.get(name))}")
    for name in _LISTS:
        old_items, new_items = set(before.get(name) or ()), set(after.get(name) or ())
        if old_items != new_items:
            changes = [f"+{item}" for item in sorted(new_items - old_items)]
            changes += [f"{MINUS}{item}" for item in sorted(old_items - new_items)]
            parts.append(f"{name}: {' '.join(changes)}")
    return "; ".join(parts)


def rule_save_version(*, rule: Rule, actor, before: dict[str, Any], note: str = "") -> RuleVersion | None:
    """Keep ``before`` (the rule as it was before this change) and move the rule to its next version.

    Call it after the change is written, in the same transaction; ``before``
    is ``rule_to_dict(rule)`` taken before writing. Returns ``None`` (and
    keeps the version) when the rule is the same as before.
    """
    after = rule_to_dict(Rule.objects.get(pk=rule.pk))
    summary = rule_changes(before, after)
    if not summary:
        return None
    # Every change of a rule passes here: the last guard for live rules.
    rule_check_write(actor=actor, was_enabled=bool(before.get("enabled")), enabled=after["enabled"])
    with transaction.atomic():
        current = Rule.objects.select_for_update().values_list("version", flat=True).get(pk=rule.pk)
        version = RuleVersion.objects.create(
            rule=rule,
            version=current,
            snapshot=before,
            changed_by=actor if actor is not None and actor.is_authenticated else None,
            summary=f"{note}; {summary}" if note else summary,
        )
        # save(), not update(): the post_save signal tells workers to recompile,
        # and cases must record the version that matched them.
        rule.version = current + 1
        rule.save(update_fields=["version", "updated_at"])
    return version


def rule_set_enabled(*, rule: Rule, enabled: bool, actor) -> bool:
    """Switch a rule on or off, keeping the previous version. Returns whether it changed."""
    if rule.enabled == enabled:
        return False
    rule_check_write(actor=actor, was_enabled=rule.enabled, enabled=enabled)
    with transaction.atomic():
        before = rule_to_dict(rule)
        rule.enabled = enabled
        rule.save(update_fields=["enabled", "updated_at"])
        rule_save_version(rule=rule, actor=actor, before=before)
    return True
