"""A triage model version next to the live one on the most recent settled cases (what-if for models).

Read-only: nothing is stored or sent. Predicting is fast (thousands of
messages a second), so the admin page runs it while the user waits.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from cxportal.errors import ApplicationError
from feedback.models import Case

from .learning import labelled_cases, live_triage
from .models import Department, TriageVersion
from .triage import TriageModel

MAX_CASES = 2_000
MAX_DISAGREEMENTS = 50


@dataclass
class DepartmentScore:
    """How often each model was right about the cases that ended in one department."""

    name: str
    cases: int = 0
    right: int = 0
    live_right: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.cases if self.cases else 0.0

    @property
    def live_accuracy(self) -> float:
        return self.live_right / self.cases if self.cases else 0.0


@dataclass(frozen=True)
class Disagreement:
    case_id: int
    reference: str
    expected: str
    live: str
    this: str


@dataclass
class Comparison:
    version: int
    live_version: int | None
    cases: int = 0
    right: int = 0
    live_right: int = 0
    departments: list[DepartmentScore] = field(default_factory=list)
    # The most recent first, at most MAX_DISAGREEMENTS.
    disagreements: list[Disagreement] = field(default_factory=list)
    disagreeing: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.cases if self.cases else 0.0

    @property
    def live_accuracy(self) -> float:
        return self.live_right / self.cases if self.cases else 0.0


def triage_compare(*, version: TriageVersion, limit: int = MAX_CASES) -> Comparison:
    """Run ``version`` and the live model over the ``limit`` most recent settled cases.

    A case's right answer is the department it ended in. Both models have
    learnt from the cases settled before they were trained, so each scores
    best on those: the figures compare, they do not promise.
    """
    try:
        model = TriageModel.from_bytes(bytes(version.blob))
    except ValueError as exc:
        raise ApplicationError(
            _("Version %(version)d cannot be read by this version of CX Portal.")
            % {"version": version.version},
            code="unreadable_model",
        ) from exc
    live = live_triage()
    live_model = None if live is None or live.version == version.version else live.model
    comparison = Comparison(version=version.version, live_version=live.version if live else None)
    pairs = labelled_cases(limit=limit)
    if not pairs:
        return comparison
    examples = [example for _, example in pairs]
    said = [p.department for p in model.predict(examples)]
    live_said = [p.department for p in live_model.predict(examples)] if live_model else said
    names = dict(Department.objects.values_list("slug", "name"))
    scores: dict[str, DepartmentScore] = {}
    disagreeing: list[tuple[int, str, str, str]] = []
    for (case_id, example), this, other in zip(pairs, said, live_said, strict=True):
        expected = example.department
        score = scores.setdefault(expected, DepartmentScore(name=names.get(expected, expected)))
        score.cases += 1
        score.right += this == expected
        score.live_right += other == expected
        if this != other:
            disagreeing.append((case_id, expected, other, this))
    references = dict(
        Case.objects.filter(pk__in=[row[0] for row in disagreeing[-MAX_DISAGREEMENTS:]]).values_list(
            "pk", "reference"
        )
    )
    comparison.cases = len(pairs)
    comparison.right = sum(s.right for s in scores.values())
    comparison.live_right = sum(s.live_right for s in scores.values())
    comparison.departments = sorted(scores.values(), key=lambda s: (-s.cases, s.name))
    comparison.disagreeing = len(disagreeing)
    comparison.disagreements = [
        Disagreement(
            case_id=case_id,
            reference=references.get(case_id) or str(case_id),
            expected=names.get(expected, expected),
            live=names.get(other, other),
            this=names.get(this, this),
        )
        # labelled_cases lists the oldest first.
        for case_id, expected, other, this in reversed(disagreeing[-MAX_DISAGREEMENTS:])
    ]
    return comparison
