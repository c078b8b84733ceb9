"""What the triage model reads and answers: a ``Message`` in, a ``Prediction`` out; ``Example`` to learn from."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


class Message(Protocol):
    # Read-only members, so frozen dataclasses (Example, the engine's Facts) match.
    @property
    def subject(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def channel(self) -> str: ...


@dataclass(frozen=True)
class Example:
    """One labelled message: the starter corpus, or a case the organisation settled."""

    subject: str
    message: str
    department: str
    tags: tuple[str, ...] = ()
    language: str = ""
    kind: str = ""
    channel: str = ""
    # Corrections by staff weigh more than the starter corpus.
    weight: float = 1.0


@dataclass
class Prediction:
    """What the model says about one message."""

    department: str
    confidence: float
    probabilities: dict[str, float]
    tags: list[str]
    tag_probabilities: dict[str, float]
    words: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "department": self.department,
            "confidence": round(self.confidence, 4),
            "probabilities": {k: round(v, 4) for k, v in self.probabilities.items()},
            "tags": self.tags,
            "tag_probabilities": {k: round(v, 4) for k, v in self.tag_probabilities.items() if v >= 0.05},
            "words": self.words,
        }


def examples_from(items: Iterable[dict[str, Any]]) -> list[Example]:
    """Examples from labelled dicts (the corpus files or the test data's format)."""
    return [
        Example(
            subject=item.get("subject") or "",
            message=item.get("message") or "",
            department=item.get("department") or item["expected_department"],
            tags=tuple(item.get("tags", item.get("expected_tags")) or ()),
            language=item.get("language") or "",
            kind=item.get("kind") or "",
            channel=item.get("channel") or "",
        )
        for item in items
    ]
