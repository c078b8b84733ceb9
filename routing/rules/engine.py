"""The rule set: compiled once, evaluated per case with no database access."""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from .conditions import FIELDS, TEXT, Condition, RuleError, compile_condition
from .text import Term, TextIndex

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


@dataclass(frozen=True)
class Facts:
    """What the engine may know about a case. Built from the ORM elsewhere."""

    subject: str = ""
    message: str = ""
    kind: str = ""
    channel: str = ""
    language: str = ""
    product: str = ""
    store: str = ""
    segment: str = ""
    has_order_reference: bool = False
    has_attachments: bool = False
    days_since_order: int | None = None
    days_late: int | None = None
    previous_cases: int = 0

    def get(self, name: str) -> Any:
        if name == "text":
            return f"{self.subject}\n{self.message}"
        return getattr(self, name)


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the engine sees it; conditions are ``(field, operator, value)``."""

    id: int
    name: str
    version: int = 1
    all_of: tuple[tuple[str, str, str], ...] = ()
    any_of: tuple[tuple[str, str, str], ...] = ()
    add_tags: tuple[str, ...] = ()
    set_priority: str = ""
    set_department: str = ""
    override_department: bool = False
    stop_processing: bool = False


@dataclass
class ConditionHit:
    field: str
    operator: str
    value: str
    matched: list[str] = field(default_factory=list)


@dataclass
class RuleMatch:
    rule_id: int
    name: str
    version: int
    conditions: list[ConditionHit]


@dataclass
class Decision:
    """The engine's answer: tags, priority, department and why."""

    tags: list[str] = field(default_factory=list)
    priority: str = ""
    department: str = ""
    department_rule_id: int | None = None
    matches: list[RuleMatch] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _CompiledRule:
    spec: RuleSpec
    all_of: tuple[Condition, ...]
    any_of: tuple[Condition, ...]


def validate_rule(spec: RuleSpec) -> None:
    """Raise ``RuleError`` if the rule cannot be compiled or does nothing."""
    _compile(spec)


def _compile(spec: RuleSpec) -> _CompiledRule:
    if not (spec.add_tags or spec.set_priority or spec.set_department):
        raise RuleError(
            _("A rule must do something: add tags, set a priority or a department."), "no_actions"
        )
    if spec.set_priority and spec.set_priority not in PRIORITY_RANK:
        raise RuleError(_("Unknown priority “%(p)s”.") % {"p": spec.set_priority}, "bad_priority")
    return _CompiledRule(
        spec,
        tuple(compile_condition(*c) for c in spec.all_of),
        tuple(compile_condition(*c) for c in spec.any_of),
    )


class RuleSet:
    """Rules in order, compiled, with one keyword index shared by all of them."""

    def __init__(self, specs: Iterable[RuleSpec]):
        self.rules = [_compile(spec) for spec in specs]
        # Per text field: exact terms by word count, prefix terms by word count.
        self._exact: dict[str, dict[int, set[str]]] = {}
        self._prefix: dict[str, dict[int, set[str]]] = {}
        for rule in self.rules:
            for cond in rule.all_of + rule.any_of:
                for term in cond.terms:
                    table = self._prefix if term.prefix else self._exact
                    table.setdefault(cond.field, {}).setdefault(len(term.words), set()).add(term.key)
        self._exact_frozen = {f: {n: frozenset(k) for n, k in t.items()} for f, t in self._exact.items()}
        self._prefix_sorted = {
            f: {n: tuple(sorted(k)) for n, k in t.items()} for f, t in self._prefix.items()
        }

    def __len__(self) -> int:
        return len(self.rules)

    def evaluate(self, facts: Facts) -> Decision:
        """Run every rule in order and return what they decide together."""
        indexes, hits = self._index(facts)
        decision = Decision()
        best_priority = -1
        for rule in self.rules:
            matched = self._match(rule, facts, indexes, hits)
            if matched is None:
                continue
            spec = rule.spec
            decision.matches.append(RuleMatch(spec.id, spec.name, spec.version, matched))
            for tag in spec.add_tags:
                if tag not in decision.tags:
                    decision.tags.append(tag)
            # The most urgent priority wins: a later rule cannot calm a case down.
            if spec.set_priority and PRIORITY_RANK[spec.set_priority] > best_priority:
                best_priority = PRIORITY_RANK[spec.set_priority]
                decision.priority = spec.set_priority
            if spec.set_department and (not decision.department or spec.override_department):
                decision.department = spec.set_department
                decision.department_rule_id = spec.id
            if spec.stop_processing:
                break
        return decision

    def _index(self, facts: Facts) -> tuple[dict[str, TextIndex], dict[str, set[str]]]:
        indexes: dict[str, TextIndex] = {}
        hits: dict[str, set[str]] = {}
        for name in self._exact.keys() | self._prefix.keys():
            exact = self._exact_frozen.get(name, {})
            prefix = self._prefix_sorted.get(name, {})
            index = TextIndex(str(facts.get(name) or ""), set(exact), set(prefix))
            indexes[name] = index
            hits[name] = index.hits(exact, prefix)
        return indexes, hits

    def _match(
        self,
        rule: _CompiledRule,
        facts: Facts,
        indexes: dict[str, TextIndex],
        hits: dict[str, set[str]],
    ) -> list[ConditionHit] | None:
        found: list[ConditionHit] = []
        for cond in rule.all_of:
            hit = self._check(cond, facts, indexes, hits)
            if hit is None:
                return None
            found.append(hit)
        if rule.any_of:
            any_hits = [h for c in rule.any_of if (h := self._check(c, facts, indexes, hits))]
            if not any_hits:
                return None
            found.extend(any_hits)
        return found

    @staticmethod
    def _check(
        cond: Condition,
        facts: Facts,
        indexes: dict[str, TextIndex],
        hits: dict[str, set[str]],
    ) -> ConditionHit | None:
        if cond.terms:
            present = hits[cond.field]
            matched = [t for t in cond.terms if _hit_key(t) in present]
            wanted_all = cond.operator == "contains_all"
            if not matched or (wanted_all and len(matched) < len(cond.terms)):
                return None
            words = [indexes[cond.field].matching_words(t) or t.key for t in matched]
            return ConditionHit(cond.field, cond.operator, cond.value, words)
        value = facts.get(cond.field)
        if cond.pattern is not None:
            found = cond.pattern.search(str(value or ""))
            if not found:
                return None
            return ConditionHit(cond.field, cond.operator, cond.value, [found.group(0)])
        if cond.test is not None and cond.test(value):
            return ConditionHit(cond.field, cond.operator, cond.value, [str(value)])
        return None


def _hit_key(term: Term) -> str:
    return term.key + "*" if term.prefix else term.key


__all__ = ["FIELDS", "TEXT", "Decision", "Facts", "RuleError", "RuleSet", "RuleSpec", "validate_rule"]
