"""Writing rules from their file format: import, clone and restoring a version.

The format itself (``rule_to_dict``, ``rule_resolve``, ``rules_parse``) lives
in ``routing.rulefile`` and writes nothing; the services here write what it
read. Each resolves everything first and then writes inside one transaction,
so an invalid file or snapshot changes nothing. An existing rule that
changes keeps its previous state through ``routing.versions.rule_save_version``.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Rule, RuleCondition, RuleVersion
from .rulefile import ResolvedRule, rule_problem, rule_resolve, rule_to_dict, rules_parse, rules_to_file
from .versions import rule_check_write, rule_may_publish, rule_save_version


def rules_export() -> dict[str, Any]:
    """The whole rule set, in order, as ``export_rules`` writes it."""
    rules = Rule.objects.select_related("set_department", "set_sla_policy").prefetch_related(
        "add_tags", "add_watchers", "notify_users"
    )
    return rules_to_file(rules.order_by("order", "id"))


def rule_apply(*, rule: Rule, resolved: ResolvedRule) -> Rule:
    """Write a resolved rule dict onto ``rule`` (new or existing), conditions included.

    Does not touch the version: callers that change an existing rule record
    the previous state with ``routing.versions.rule_save_version``.
    """
    data = resolved.data
    rule.name = data["name"]
    rule.order = data["order"]
    rule.enabled = bool(data.get("enabled", True))
    rule.stop_processing = bool(data.get("stop_processing"))
    rule.set_priority = data.get("set_priority") or ""
    rule.set_department = resolved.department
    rule.override_department = bool(data.get("override_department"))
    rule.set_sla_policy = resolved.sla_policy
    rule.save()
    rule.conditions.all().delete()
    RuleCondition.objects.bulk_create(
        [
            RuleCondition(
                rule=rule,
                group=c["group"],
                field=str(c["field"]),
                operator=str(c["operator"]),
                value=str(c["value"]),
            )
            for c in data["conditions"]
        ]
    )
    rule.add_tags.set(resolved.tags)
    rule.add_watchers.set(resolved.watchers)
    rule.notify_users.set(resolved.notify)
    return rule


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


def rules_import(*, data: Any, replace: bool = False, actor=None) -> ImportResult:
    """Import a rules file in one transaction: all of it or, if anything is invalid, nothing.

    Rules are matched by name: an existing rule is updated (its previous state
    kept as a version), a new name creates a rule. With ``replace`` rules the
    file does not name are deleted, so the file becomes the whole rule set.
    """
    resolved = rules_parse(data)
    result = ImportResult()
    with transaction.atomic():
        existing: dict[str, Rule] = {}
        for stored in Rule.objects.select_for_update().order_by("id"):
            if stored.name in existing:
                if stored.name in {r.data["name"] for r in resolved}:
                    raise rule_problem(
                        stored.name,
                        _("several existing rules have this name; rename them first."),
                        "ambiguous",
                    )
                continue
            existing[stored.name] = stored
        for item in resolved:
            rule = existing.get(item.data["name"])
            if rule is None:
                rule_apply(rule=Rule(), resolved=item)
                result.created.append(item.data["name"])
                continue
            before = rule_to_dict(rule)
            rule_apply(rule=rule, resolved=item)
            if rule_save_version(rule=rule, actor=actor, before=before):
                result.updated.append(rule.name)
            else:
                result.unchanged.append(rule.name)
        if replace:
            names = {item.data["name"] for item in resolved}
            doomed = Rule.objects.exclude(name__in=names)
            result.deleted = sorted(doomed.values_list("name", flat=True))
            doomed.delete()
    return result


def rules_import_by(*, actor: User | AnonymousUser | None, data: Any, replace: bool) -> ImportResult:
    """``rules_import`` on behalf of ``actor``, who must be allowed to publish rules.

    An imported rule is enabled unless the file says otherwise, and
    ``replace`` deletes live rules, so importing is never a draft.
    """
    if not rule_may_publish(actor):
        raise PermissionDenied(_("Only an administrator may import rules."))
    return rules_import(data=data, replace=replace, actor=actor)


def rule_clone(*, rule: Rule) -> Rule:
    """A disabled copy of ``rule`` named "… (copy)": how managers start a draft."""
    name = _("%(name)s (copy)") % {"name": rule.name}
    # A CharField: its max_length is set.
    overflow = len(name) - Rule._meta.get_field("name").max_length  # type: ignore[operator]
    if overflow > 0:
        name = _("%(name)s (copy)") % {"name": rule.name[: -overflow - 1] + "…"}
    data = rule_to_dict(rule) | {"name": name, "enabled": False}
    with transaction.atomic():
        return rule_apply(rule=Rule(), resolved=rule_resolve(data))


def rule_restore(*, version: RuleVersion, actor) -> Rule:
    """Bring a rule back to ``version``. Restoring is a change: the state it replaces is kept too.

    Raises ``ApplicationError`` when the old version names something that no
    longer exists (a deleted tag or user) or no longer passes the engine.
    """
    resolved = rule_resolve(version.snapshot)
    with transaction.atomic():
        rule = Rule.objects.select_for_update().get(pk=version.rule_id)
        rule_check_write(
            actor=actor, was_enabled=rule.enabled, enabled=bool(version.snapshot.get("enabled", True))
        )
        before = rule_to_dict(rule)
        rule_apply(rule=rule, resolved=resolved)
        rule_save_version(
            rule=rule, actor=actor, before=before, note=_("restored version %(v)d") % {"v": version.version}
        )
    return rule
