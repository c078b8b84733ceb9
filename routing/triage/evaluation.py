"""How well triage does on labelled messages: rules alone, model alone, and both.

Plain Python (no ORM): ``bench/triage.py``, ``manage.py evaluate_triage`` and
the test that holds the README's figures all call ``compare``::

    report = compare(items, ruleset=demo_ruleset(), model=model, fallback="customer-service")
    print(format_markdown(report))
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from routing.quality import facts_of
from routing.rules import RuleSet

from .corpus import department_of, tags_of
from .hybrid import combine
from .model import TriageModel

RULES, MODEL, HYBRID = "rules", "model", "hybrid"
SYSTEMS = (RULES, MODEL, HYBRID)


@dataclass
class Score:
    """Department accuracy per language and department, and tag F1 per tag."""

    right: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    total: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    tag_counts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))

    def add(self, language: str, expected: str, got: str, expected_tags: set[str], tags: set[str]) -> None:
        self.total[language, expected] += 1
        self.right[language, expected] += expected == got
        for tag in expected_tags | tags:
            counts = self.tag_counts[tag]  # true positives, false positives, false negatives
            counts[0 if tag in tags and tag in expected_tags else 1 if tag in tags else 2] += 1

    def accuracy(self, language: str | None = None, department: str | None = None) -> float:
        keys = [
            k
            for k in self.total
            if (language is None or k[0] == language) and (department is None or k[1] == department)
        ]
        total = sum(self.total[k] for k in keys)
        return sum(self.right[k] for k in keys) / total if total else float("nan")

    def balanced_accuracy(self, language: str | None = None) -> float:
        """The mean of the per-department accuracies (recall), so small teams count as much as big ones."""
        departments = sorted({d for lang, d in self.total if language is None or lang == language})
        values = [self.accuracy(language, d) for d in departments]
        return sum(values) / len(values) if values else float("nan")

    def tag_f1(self, tag: str) -> float:
        tp, fp, fn = self.tag_counts[tag]
        return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0

    def tag_macro_f1(self) -> float:
        tags = [t for t, (tp, _, fn) in self.tag_counts.items() if tp + fn]  # tags the labels use
        return sum(self.tag_f1(t) for t in tags) / len(tags) if tags else float("nan")


@dataclass
class Report:
    scores: dict[str, Score]
    languages: list[str]
    departments: list[str]
    items: int
    # Hybrid: how many went by rule, by model, and to the fallback with a suggestion.
    decided_by: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    misses: list[dict[str, Any]] = field(default_factory=list)
    # The model's confidence in its department, and whether it was right.
    confidences: list[tuple[float, bool]] = field(default_factory=list)

    def calibration_error(self, bins: int = 10) -> float:
        """Expected calibration error: how far "80 % sure" is from right 80 % of the time."""
        if not self.confidences:
            return float("nan")
        said, right = [0.0] * bins, [0] * bins
        for confidence, was_right in self.confidences:
            b = min(int(confidence * bins), bins - 1)
            said[b] += confidence
            right[b] += was_right
        return sum(abs(s - r) for s, r in zip(said, right, strict=True)) / len(self.confidences)


def compare(
    items: Sequence[Mapping[str, Any]],
    *,
    ruleset: RuleSet,
    model: TriageModel | None,
    fallback: str,
    thresholds: Mapping[str, float] | None = None,
) -> Report:
    """Score rules alone, the model alone (its best guess) and the hybrid on ``items``."""
    scores = {system: Score() for system in SYSTEMS}
    facts = [facts_of(item) for item in items]
    predictions = model.predict(facts) if model else [None] * len(items)
    report = Report(scores, [], [], len(items))
    for item, fact, prediction in zip(items, facts, predictions, strict=True):
        language = item.get("language") or "?"
        expected, expected_tags = department_of(item), set(tags_of(item))
        decision = ruleset.evaluate(fact)
        triage = combine(decision, prediction, fallback=fallback, thresholds=thresholds)
        report.decided_by[triage.decided_by + ("+suggestion" if triage.suggestion else "")] += 1
        scores[RULES].add(
            language, expected, decision.department or fallback, expected_tags, set(decision.tags)
        )
        if prediction is not None:
            report.confidences.append((prediction.confidence, prediction.department == expected))
            scores[MODEL].add(language, expected, prediction.department, expected_tags, set(prediction.tags))
        scores[HYBRID].add(language, expected, triage.department, expected_tags, set(triage.tags))
        if triage.department != expected:
            report.misses.append(
                {
                    "id": item.get("id"),
                    "expected": expected,
                    "got": triage.department,
                    "by": triage.decided_by,
                    "suggestion": triage.suggestion,
                    "text": f"{item.get('subject', '')} | {item.get('message', '')}",
                }
            )
    report.languages = sorted({k[0] for k in scores[HYBRID].total})
    report.departments = sorted({k[1] for k in scores[HYBRID].total})
    if model is None:
        del scores[MODEL]
    return report


def format_markdown(report: Report) -> str:
    """The README's table: accuracy per language and department for each system, then totals."""
    systems = list(report.scores)
    header = ["department", "language", "n", *systems]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for department in report.departments:
        for language in report.languages:
            n = report.scores[HYBRID].total.get((language, department), 0)
            if not n:
                continue
            cells = [f"{report.scores[s].accuracy(language, department):.0%}" for s in systems]
            lines.append(f"| {department} | {language} | {n} | " + " | ".join(cells) + " |")
    # None: all languages together.
    for one_language in [*report.languages, None]:
        n = sum(
            v for k, v in report.scores[HYBRID].total.items() if one_language is None or k[0] == one_language
        )
        name = one_language or "all"
        cells = [f"**{report.scores[s].accuracy(one_language):.1%}**" for s in systems]
        lines.append(f"| **all departments** | **{name}** | {n} | " + " | ".join(cells) + " |")
    for one_language in [*report.languages, None]:
        cells = [f"{report.scores[s].balanced_accuracy(one_language):.1%}" for s in systems]
        lines.append(f"| balanced accuracy | {one_language or 'all'} | | " + " | ".join(cells) + " |")
    cells = [f"{report.scores[s].tag_macro_f1():.2f}" for s in systems]
    lines.append("| tag macro-F1 | all | | " + " | ".join(cells) + " |")
    if report.confidences:
        lines.append(f"\nModel calibration error (ECE, 10 bins): {report.calibration_error():.3f}")
    return "\n".join(lines)
