"""What goes into the engine and what comes out: ``Facts`` and ``RuleSpec`` in, ``Decision`` out.

Plain frozen or simple dataclasses, so callers build them without the engine
(``routing.selectors`` from the ORM, tests and benchmarks by hand).
"""

import dataclasses
from dataclasses import asdict, dataclass, field
from typing import Any


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
    previous_cases_30_days: int = 0

    def get(self, name: str) -> Any:
        if name == "text":
            return f"{self.subject}\n{self.message}"
        return getattr(self, name)


@dataclass(frozen=True)
class RuleSpec:
    """A rule as the engine sees it; conditions are ``(field, operator, value)``.

    The rule matches when every ``all_of`` condition holds, at least one
    ``any_of`` condition holds (or there are none) and no ``none_of``
    condition holds.
    """

    id: int
    name: str
    version: int = 1
    all_of: tuple[tuple[str, str, str], ...] = ()
    any_of: tuple[tuple[str, str, str], ...] = ()
    none_of: tuple[tuple[str, str, str], ...] = ()
    add_tags: tuple[str, ...] = ()
    set_priority: str = ""
    set_department: str = ""
    override_department: bool = False
    stop_processing: bool = False
    # An SLA policy by name, used instead of the department's own.
    set_sla_policy: str = ""
    # User ids: the engine knows no users, the caller resolves them.
    add_watchers: tuple[int, ...] = ()
    notify_users: tuple[int, ...] = ()


@dataclass
class ConditionHit:
    field: str
    operator: str
    value: str
    # ``dataclasses.field`` in full: the ``field`` attribute hides the bare name.
    matched: list[str] = dataclasses.field(default_factory=list)


@dataclass
class RuleMatch:
    rule_id: int
    name: str
    version: int
    conditions: list[ConditionHit]


@dataclass
class Decision:
    """The engine's answer: tags, priority, department, SLA, people and why."""

    tags: list[str] = field(default_factory=list)
    priority: str = ""
    department: str = ""
    department_rule_id: int | None = None
    sla_policy: str = ""
    sla_policy_rule_id: int | None = None
    watchers: list[int] = field(default_factory=list)
    notify: list[int] = field(default_factory=list)
    matches: list[RuleMatch] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
