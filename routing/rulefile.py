"""The rules file format: a rule as plain data, read and written without saving anything.

A rule is written as a dict that names what it points to by slug (departments,
tags), name (SLA policies) and username (watchers, people to notify), so a
file exported on one site can be read on another. ``rule_to_dict`` is the
only writer of that format: ``export_rules``, the admin download and every
``RuleVersion.snapshot`` use it. A whole file (``rules_to_file``) wraps the
rules, in order, as ``{"format": FORMAT, "version": FORMAT_VERSION, "rules": [...]}``.

Reading goes the other way: ``rule_resolve`` checks one dict and looks its
references up (raising ``ApplicationError`` with the rule's name and the
problem) and ``rules_parse`` does it for a whole file, so a caller can refuse
an invalid file before writing anything. ``spec_from_dict`` gives the engine's
view of a dict without the database. Nothing here writes: the services in
``routing.transfer`` and ``routing.versions`` do.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError

from .models import Department, Priority, Rule, RuleCondition, SLAPolicy, Tag
from .rules import RuleError, RuleSpec, compile_condition, validate_rule

FORMAT = "cx-portal-rules"
FORMAT_VERSION = 1

_RULE_SPEC_FIELDS = {f.name for f in fields(RuleSpec)}


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """The whole rule (fields, conditions, actions) as JSON-ready data."""
    return {
        "name": rule.name,
        "order": rule.order,
        "enabled": rule.enabled,
        "stop_processing": rule.stop_processing,
        "conditions": [
            {"group": c.group, "field": c.field, "operator": c.operator, "value": c.value}
            for c in rule.conditions.order_by("id")
        ],
        "add_tags": sorted(tag.slug for tag in rule.add_tags.all()),
        "set_priority": rule.set_priority,
        "set_department": rule.set_department.slug if rule.set_department else None,
        "override_department": rule.override_department,
        "set_sla_policy": rule.set_sla_policy.name if rule.set_sla_policy else None,
        "add_watchers": sorted(user.get_username() for user in rule.add_watchers.all()),
        "notify_users": sorted(user.get_username() for user in rule.notify_users.all()),
    }


def rules_to_file(rules: Iterable[Rule]) -> dict[str, Any]:
    """A whole rules file: ``rules``, in the order given, under the format's name and version."""
    return {"format": FORMAT, "version": FORMAT_VERSION, "rules": [rule_to_dict(rule) for rule in rules]}


def spec_from_dict(
    data: dict[str, Any], *, id: int = 0, version: int = 1, user_ids: dict[str, int] | None = None
) -> RuleSpec:
    """The engine's view of a rule dict (no database access).

    The engine names people by id; pass ``user_ids`` (username -> id) when
    the spec is evaluated. Without it usernames stand in, which is enough
    to validate the rule.
    """
    user_ids = user_ids or {}

    def people(key: str) -> tuple:
        return tuple(user_ids.get(name, name) for name in data.get(key) or ())

    conditions = data.get("conditions") or []
    values: dict[str, Any] = {
        "id": id,
        "name": data.get("name") or "",
        "version": version,
        "all_of": tuple((c["field"], c["operator"], c["value"]) for c in conditions if c["group"] == "all"),
        "any_of": tuple((c["field"], c["operator"], c["value"]) for c in conditions if c["group"] == "any"),
        "none_of": tuple((c["field"], c["operator"], c["value"]) for c in conditions if c["group"] == "none"),
        "add_tags": tuple(data.get("add_tags") or ()),
        "set_priority": data.get("set_priority") or "",
        "set_department": data.get("set_department") or "",
        "override_department": bool(data.get("override_department")),
        "stop_processing": bool(data.get("stop_processing")),
        "set_sla_policy": data.get("set_sla_policy") or "",
        "add_watchers": people("add_watchers"),
        "notify_users": people("notify_users"),
    }
    # The engine learns new actions over time; pass it only what it knows.
    return RuleSpec(**{name: value for name, value in values.items() if name in _RULE_SPEC_FIELDS})


@dataclass
class ResolvedRule:
    """A checked rule dict with its references looked up, ready to write."""

    data: dict[str, Any]
    tags: list[Tag] = field(default_factory=list)
    department: Department | None = None
    sla_policy: SLAPolicy | None = None
    watchers: list[Any] = field(default_factory=list)
    notify: list[Any] = field(default_factory=list)


def rule_problem(name: str, message: str, code: str) -> ApplicationError:
    """The error for a problem with the rule called ``name``, worded the same wherever it is found."""
    return ApplicationError(_("Rule “%(rule)s”: %(problem)s") % {"rule": name, "problem": message}, code=code)


def rule_resolve(data: Any, *, position: int = 0) -> ResolvedRule:
    """Check one rule dict and look up what it names; raise ``ApplicationError`` if anything is wrong."""
    if not isinstance(data, dict) or not str(data.get("name") or "").strip():
        raise ApplicationError(_("Rule #%(n)d has no name.") % {"n": position + 1}, code="no_name")
    name = str(data["name"]).strip()

    def fail(message: str, code: str) -> ApplicationError:
        return rule_problem(name, message, code)

    conditions = data.get("conditions") or []
    if not isinstance(conditions, list):
        raise fail(_("conditions must be a list."), "bad_conditions")
    for condition in conditions:
        if not isinstance(condition, dict) or not {"group", "field", "operator", "value"} <= condition.keys():
            raise fail(_("each condition needs group, field, operator and value."), "bad_conditions")
        if condition["group"] not in RuleCondition.Group.values:
            raise fail(_("unknown condition group “%(g)s”.") % {"g": condition["group"]}, "bad_group")
        try:
            compile_condition(str(condition["field"]), str(condition["operator"]), str(condition["value"]))
        except RuleError as exc:
            raise fail(str(exc.message), exc.code) from None
    if (data.get("set_priority") or "") not in {"", *Priority.values}:
        raise fail(_("unknown priority “%(p)s”.") % {"p": data["set_priority"]}, "bad_priority")
    order = data.get("order", 100)
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        raise fail(_("the order must be a whole number."), "bad_order")

    resolved = ResolvedRule(data={**data, "name": name, "order": order, "conditions": conditions})
    slugs = list(data.get("add_tags") or [])
    tags = {tag.slug: tag for tag in Tag.objects.filter(slug__in=slugs)}
    for slug in slugs:
        if slug not in tags:
            raise fail(_("unknown tag “%(tag)s”.") % {"tag": slug}, "unknown_tag")
    resolved.tags = [tags[slug] for slug in slugs]
    if data.get("set_department"):
        resolved.department = Department.objects.filter(slug=data["set_department"]).first()
        if resolved.department is None:
            raise fail(
                _("unknown department “%(department)s”.") % {"department": data["set_department"]},
                "unknown_department",
            )
    if data.get("set_sla_policy"):
        resolved.sla_policy = SLAPolicy.objects.filter(name=data["set_sla_policy"]).first()
        if resolved.sla_policy is None:
            raise fail(
                _("unknown SLA policy “%(policy)s”.") % {"policy": data["set_sla_policy"]},
                "unknown_sla_policy",
            )
    resolved.watchers = _users(data.get("add_watchers"), fail)
    resolved.notify = _users(data.get("notify_users"), fail)
    try:
        validate_rule(spec_from_dict(resolved.data))
    except RuleError as exc:
        raise fail(str(exc.message), exc.code) from None
    return resolved


def _users(usernames: Any, fail: Callable[[str, str], ApplicationError]) -> list[Any]:
    usernames = list(usernames or [])
    User = get_user_model()
    found = {u.get_username(): u for u in User.objects.filter(**{f"{User.USERNAME_FIELD}__in": usernames})}
    for username in usernames:
        if username not in found:
            raise fail(_("unknown user “%(user)s”.") % {"user": username}, "unknown_user")
    return [found[username] for username in usernames]


def rules_parse(data: Any) -> list[ResolvedRule]:
    """Check a whole exported file; raise ``ApplicationError`` on the first problem."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("rules"), list):
        raise ApplicationError(_("This is not a CX Portal rules file."), code="bad_format")
    if data.get("version") != FORMAT_VERSION:
        raise ApplicationError(
            _("Unsupported rules file version “%(version)s”.") % {"version": data.get("version")},
            code="bad_version",
        )
    resolved = [rule_resolve(rule, position=i) for i, rule in enumerate(data["rules"])]
    seen: set[str] = set()
    for rule in resolved:
        name = rule.data["name"]
        if name in seen:
            raise rule_problem(name, _("the name appears twice in the file."), "duplicate_name")
        seen.add(name)
    return resolved
