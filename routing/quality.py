"""How well a rule set tags and routes labelled messages: precision, recall, accuracy.

Plain Python like the engine (no ORM), so the test suite and ``bench/rules.py``
can both measure the demo rules against ``tests/data/labelled_messages.json``::

    report = evaluate(demo_ruleset(), load_labelled(path))
    print(format_table(report))
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from . import demo
from .rules import Facts, RuleSet, RuleSpec

_FACT_NAMES = {f.name for f in fields(Facts)}


def demo_ruleset() -> RuleSet:
    """The demo organisation's rules as ``seed_demo`` stores them.

    Each demo rule becomes one *any of* condition, "subject or message
    contains any of" its keywords, its extra conditions as *all of*, and
    its exclusions, if any, as one *none of* condition, "subject or message
    contains any of" the exclusion keywords.
    """
    return RuleSet(
        RuleSpec(
            id=order,
            name=name,
            any_of=(("text", "contains_any", keywords),),
            all_of=tuple(extra),
            none_of=(("text", "contains_any", exclusions),) if exclusions else (),
            add_tags=tuple(tags),
            set_department=department,
            set_priority=priority,
        )
        for name, order, keywords, extra, tags, department, priority, exclusions in sorted(
            demo.RULES, key=lambda r: r[1]
        )
    )


def load_labelled(path: str | Path) -> list[dict[str, Any]]:
    """The labelled items of a JSON file: a list, or an object with ``items``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data["items"] if isinstance(data, dict) else data


def facts_of(item: Mapping[str, Any]) -> Facts:
    """The engine's facts from a labelled item; labels and unknown keys are ignored."""
    return Facts(**{k: v for k, v in item.items() if k in _FACT_NAMES})


@dataclass
class TagScore:
    tag: str
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0

    @property
    def support(self) -> int:
        return self.true_positives + self.false_negatives

    @property
    def precision(self) -> float:
        return _ratio(self.true_positives, self.true_positives + self.false_positives)

    @property
    def recall(self) -> float:
        return _ratio(self.true_positives, self.support)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Miss:
    """One item the rule set got wrong, for reading the mistakes."""

    id: str
    text: str
    expected_tags: list[str]
    tags: list[str]
    expected_department: str
    department: str


@dataclass
class QualityReport:
    tags: dict[str, TagScore] = field(default_factory=dict)
    items: int = 0
    departments_right: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def department_accuracy(self) -> float:
        return _ratio(self.departments_right, self.items)

    @property
    def micro(self) -> TagScore:
        """All tags pooled: every tag decision counts once."""
        total = TagScore("all tags")
        for score in self.tags.values():
            total.true_positives += score.true_positives
            total.false_positives += score.false_positives
            total.false_negatives += score.false_negatives
        return total


def evaluate(
    ruleset: RuleSet, items: Iterable[Mapping[str, Any]], fallback: str = demo.FALLBACK
) -> QualityReport:
    """Run ``ruleset`` on each labelled item and score its tags and department.

    A case no rule sends anywhere goes to ``fallback``, as the router does.
    Tags are listed in rule order, then any tag only the labels know.
    """
    report = QualityReport()
    for rule in ruleset.rules:
        for tag in rule.spec.add_tags:
            report.tags.setdefault(tag, TagScore(tag))
    for item in items:
        decision = ruleset.evaluate(facts_of(item))
        got, expected = set(decision.tags), set(item["expected_tags"])
        for tag in got | expected:
            score = report.tags.setdefault(tag, TagScore(tag))
            if tag in got and tag in expected:
                score.true_positives += 1
            elif tag in got:
                score.false_positives += 1
            else:
                score.false_negatives += 1
        department = decision.department or fallback
        report.items += 1
        report.departments_right += department == item["expected_department"]
        if got != expected or department != item["expected_department"]:
            report.misses.append(
                Miss(
                    id=item.get("id", str(report.items)),
                    text=f"{item.get('subject', '')} | {item.get('message', '')}",
                    expected_tags=sorted(expected),
                    tags=sorted(got),
                    expected_department=item["expected_department"],
                    department=department,
                )
            )
    return report


def format_table(report: QualityReport, misses: bool = False) -> str:
    """The report as a plain-text table; with ``misses``, the wrong items after it."""
    lines = [f"{'tag':<18} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}"]
    for score in [*report.tags.values(), report.micro]:
        lines.append(
            f"{score.tag:<18} {score.precision:>9.2f} {score.recall:>7.2f} {score.f1:>6.2f} {score.support:>8}"
        )
    lines.append(
        f"department accuracy: {report.department_accuracy:.2f} ({report.departments_right}/{report.items})"
    )
    if misses:
        for miss in report.misses:
            lines.append(
                f"  {miss.id}: tags {miss.tags} (expected {miss.expected_tags}), "
                f"department {miss.department} (expected {miss.expected_department}) — {miss.text}"
            )
    return "\n".join(lines)


def _ratio(part: int, whole: int) -> float:
    # Nothing to find and nothing found is a perfect score, not a division by zero.
    return part / whole if whole else 1.0
