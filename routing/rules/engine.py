"""The rule set: compiled once, evaluated per case with no database access.

Evaluation cost follows the words a message contains, not the number of
rules: an inverted index (term -> conditions) built at compile time says
which keyword conditions a message can satisfy, and a rule that needs a
keyword the message lacks is skipped without looking at its other
conditions. Regular expressions work the same way: all of a field's
patterns run together in one RE2 set, one pass over the text, and only
the rules whose patterns hit are visited.

None-of conditions (exclusions such as "hace falta" next to "falta") are
found by the same index and the same RE2 sets, but they never decide
which rules are visited: they can only turn a visited rule down.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import re2
from django.utils.translation import gettext_lazy as _

from .conditions import FIELDS, TEXT, Condition, RuleError, compile_condition, regex_options
from .text import TextIndex
from .types import ConditionHit, Decision, Facts, RuleMatch, RuleSpec

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


@dataclass(frozen=True)
class _CompiledRule:
    spec: RuleSpec
    all_of: tuple[Condition, ...]
    any_of: tuple[Condition, ...]
    none_of: tuple[Condition, ...] = ()

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return self.all_of + self.any_of + self.none_of


def validate_rule(spec: RuleSpec) -> None:
    """Raise ``RuleError`` if the rule cannot be compiled or does nothing."""
    _compile(spec)


def _compile(spec: RuleSpec) -> _CompiledRule:
    actions = (
        spec.add_tags,
        spec.set_priority,
        spec.set_department,
        spec.set_sla_policy,
        spec.add_watchers,
        spec.notify_users,
    )
    if not any(actions):
        # The message predates the SLA and people actions; it is kept as
        # translated (the admin shows those fields next to it).
        raise RuleError(
            _("A rule must do something: add tags, set a priority or a department."), "no_actions"
        )
    if spec.set_priority and spec.set_priority not in PRIORITY_RANK:
        raise RuleError(_("Unknown priority “%(p)s”.") % {"p": spec.set_priority}, "bad_priority")
    return _CompiledRule(
        spec,
        tuple(compile_condition(*c) for c in spec.all_of),
        tuple(compile_condition(*c) for c in spec.any_of),
        tuple(compile_condition(*c) for c in spec.none_of),
    )


class RuleSet:
    """Rules in order, compiled, with one keyword index shared by all of them."""

    def __init__(self, specs: Iterable[RuleSpec]):
        self.rules = [_compile(spec) for spec in specs]
        # The facts some rule reads: routing skips counting what none does.
        self.fields = frozenset(cond.field for rule in self.rules for cond in rule.conditions)
        # Per text field: exact terms by word count, prefix terms by word count.
        exact: dict[str, dict[int, set[str]]] = {}
        prefix: dict[str, dict[int, set[str]]] = {}
        for rule in self.rules:
            # None-of terms too: _match must see whether they occur.
            for cond in rule.conditions:
                for term in cond.terms:
                    table = prefix if term.prefix else exact
                    table.setdefault(cond.field, {}).setdefault(len(term.words), set()).add(term.key)
        self._exact = {f: {n: frozenset(k) for n, k in t.items()} for f, t in exact.items()}
        self._prefix = {f: {n: frozenset(k) for n, k in t.items()} for f, t in prefix.items()}
        self._text_fields = tuple(sorted(exact.keys() | prefix.keys()))
        self._regex_sets = self._build_regex_sets()
        self._build_gates()

    def _build_regex_sets(self) -> dict[str, tuple[Any, list[str]]]:
        """Per field, one RE2 set of every distinct pattern, and each pattern's hit key."""
        patterns: dict[str, dict[str, str]] = {}
        for rule in self.rules:
            for cond in rule.conditions:
                if cond.pattern is not None:
                    patterns.setdefault(cond.field, {})[cond.value] = cond.hit_keys[0]
        sets = {}
        for name, by_pattern in patterns.items():
            regex_set = re2.Set.SearchSet(regex_options())
            for pattern in by_pattern:
                regex_set.Add(pattern)
            regex_set.Compile()
            sets[name] = (regex_set, list(by_pattern.values()))
        return sets

    def _build_gates(self) -> None:
        """Index which keyword conditions a rule cannot do without.

        A *gate* is a keyword condition of the all-of list, or the whole
        any-of list when it holds only keyword conditions. A rule can match
        only if a term of each of its gates occurs in the message, so
        ``self._gates[field][term]`` lists the gates a found term opens and
        a rule is visited only once all its gates are open. None-of
        conditions are never gates: their terms occurring can only rule a
        rule out, so a rule with nothing else to wait for stays ungated.
        """
        self._gates: dict[str, dict[str, list[int]]] = {}
        self._gate_rule: list[int] = []
        self._gates_needed: list[int] = []
        self._ungated: list[int] = []
        for position, rule in enumerate(self.rules):
            groups: list[tuple[Condition, ...]] = [(c,) for c in rule.all_of if c.hit_keys]
            if rule.any_of and all(c.hit_keys for c in rule.any_of):
                groups.append(rule.any_of)
            self._gates_needed.append(len(groups))
            if not groups:
                self._ungated.append(position)
            for conditions in groups:
                gate = len(self._gate_rule)
                self._gate_rule.append(position)
                for cond in conditions:
                    for key in cond.hit_keys:
                        opened = self._gates.setdefault(cond.field, {}).setdefault(key, [])
                        if not opened or opened[-1] != gate:
                            opened.append(gate)

    def __len__(self) -> int:
        return len(self.rules)

    def evaluate(self, facts: Facts, *, skip_unreachable: bool = True) -> Decision:
        """Run every rule in order and return what they decide together.

        ``skip_unreachable=False`` visits every rule; the answer is the same,
        only slower (tests compare both).
        """
        indexes, hits = self._index(facts)
        candidates = self._candidates(hits) if skip_unreachable else range(len(self.rules))
        decision = Decision()
        best_priority = -1
        for position in candidates:
            rule = self.rules[position]
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
            # Like the department, the first SLA policy set wins.
            if spec.set_sla_policy and not decision.sla_policy:
                decision.sla_policy = spec.set_sla_policy
                decision.sla_policy_rule_id = spec.id
            for user_id in spec.add_watchers:
                if user_id not in decision.watchers:
                    decision.watchers.append(user_id)
            for user_id in spec.notify_users:
                if user_id not in decision.notify:
                    decision.notify.append(user_id)
            if spec.stop_processing:
                break
        return decision

    def _candidates(self, hits: dict[str, set[str]]) -> list[int]:
        """Positions, in order, of the rules whose every gate the message opens."""
        if not self._gate_rule:
            return self._ungated
        opened: set[int] = set()
        for name, found in hits.items():
            gates = self._gates.get(name)
            if gates:
                for key in found:
                    opened.update(gates.get(key, ()))
        counts = Counter(self._gate_rule[gate] for gate in opened)
        needed = self._gates_needed
        reachable = [position for position, n in counts.items() if n == needed[position]]
        if not reachable:
            return self._ungated
        return sorted(reachable + self._ungated)

    def _index(self, facts: Facts) -> tuple[dict[str, TextIndex], dict[str, set[str]]]:
        indexes: dict[str, TextIndex] = {}
        hits: dict[str, set[str]] = {}
        for name in self._text_fields:
            exact = self._exact.get(name, {})
            prefix = self._prefix.get(name, {})
            index = TextIndex(str(facts.get(name) or ""), set(exact), set(prefix))
            indexes[name] = index
            hits[name] = index.hits(exact, prefix)
        for name, (regex_set, keys) in self._regex_sets.items():
            found = regex_set.Match(str(facts.get(name) or "")) or ()
            hits.setdefault(name, set()).update(keys[i] for i in found)
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
        # Exclusions say nothing about why a rule matched, so they add no hits.
        if any(self._check(c, facts, indexes, hits) for c in rule.none_of):
            return None
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
            matched = [t for t, key in zip(cond.terms, cond.hit_keys, strict=True) if key in present]
            wanted_all = cond.operator == "contains_all"
            if not matched or (wanted_all and len(matched) < len(cond.terms)):
                return None
            words = [indexes[cond.field].matching_words(t) or t.key for t in matched]
            return ConditionHit(cond.field, cond.operator, cond.value, words)
        value = facts.get(cond.field)
        if cond.pattern is not None:
            if cond.hit_keys[0] not in hits.get(cond.field, ()):
                return None
            # The set said it matches; search once more for the words to explain.
            found = cond.pattern.search(str(value or ""))
            if not found:
                return None
            return ConditionHit(cond.field, cond.operator, cond.value, [found.group(0)])
        if cond.test is not None and cond.test(value):
            return ConditionHit(cond.field, cond.operator, cond.value, [str(value)])
        return None


__all__ = ["FIELDS", "TEXT", "Decision", "Facts", "RuleError", "RuleSet", "RuleSpec", "validate_rule"]
