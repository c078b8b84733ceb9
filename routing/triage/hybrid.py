"""Rules and model together: the rules are the policy, the model fills the gaps.

A rule that sets a department wins. When none does, the model's department
is taken if the model is at least as sure as that department's threshold;
otherwise the case goes to the fallback department with the model's
suggestion attached, for a person to accept or not. Tags are the rules'
tags plus the model's.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from routing.rules import Decision

from .model import Prediction

RULE, MODEL, FALLBACK = "rule", "model", "fallback"
# Calibrated: below one chance in two the model is more often wrong than right,
# so a person decides (CV on the starter corpus: 1.3 % of messages go to them).
DEFAULT_THRESHOLD = 0.5


@dataclass
class Triage:
    """Where a case goes, who decided it, and what the model said."""

    department: str
    decided_by: str
    tags: list[str]
    # The model's department when it was not sure enough to route there.
    suggestion: str = ""
    prediction: Prediction | None = None
    threshold: float | None = None
    version: int | None = None
    model_tags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """What ``Case.decision["triage"]`` keeps (the case page reads it)."""
        return {
            "decided_by": self.decided_by,
            "department": self.department,
            "suggestion": self.suggestion,
            "threshold": self.threshold,
            "version": self.version,
            "model_tags": self.model_tags,
            "prediction": self.prediction.as_dict() if self.prediction else None,
        }


def combine(
    decision: Decision,
    prediction: Prediction | None,
    *,
    fallback: str,
    thresholds: Mapping[str, float] | None = None,
    version: int | None = None,
) -> Triage:
    """The department and tags of a case from the rules' ``decision`` and the model's ``prediction``."""
    thresholds = thresholds or {}
    if prediction is None:
        department = decision.department or fallback
        decided_by = RULE if decision.department else FALLBACK
        return Triage(department, decided_by, list(decision.tags), version=version)

    model_tags = [tag for tag in prediction.tags if tag not in decision.tags]
    tags = [*decision.tags, *model_tags]
    said: dict[str, Any] = {"prediction": prediction, "version": version, "model_tags": model_tags}
    if decision.department:
        return Triage(decision.department, RULE, tags, **said)
    threshold = thresholds.get(prediction.department, DEFAULT_THRESHOLD)
    if prediction.department == fallback:
        # The model agrees nobody else is meant: nothing to suggest.
        return Triage(fallback, FALLBACK, tags, threshold=threshold, **said)
    if prediction.confidence >= threshold:
        return Triage(prediction.department, MODEL, tags, threshold=threshold, **said)
    return Triage(fallback, FALLBACK, tags, suggestion=prediction.department, threshold=threshold, **said)
