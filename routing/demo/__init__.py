"""The demo organisation loaded by ``seed_demo``: departments, people, tags, rules.

The data lives in ``organisation`` (departments, logins, calendar, SLA policies,
tags) and ``rules`` (the routing rules, one module per department); the
``seed_demo`` command writes it to the database.
"""

from .organisation import (
    CALENDAR,
    DEFAULT_PASSWORD,
    DEPARTMENTS,
    FALLBACK,
    HOLIDAYS,
    SLA_POLICIES,
    SLA_TARGETS,
    TAGS,
    CalendarSpec,
)
from .rules import RULES

__all__ = [
    "CALENDAR",
    "DEFAULT_PASSWORD",
    "DEPARTMENTS",
    "FALLBACK",
    "HOLIDAYS",
    "RULES",
    "SLA_POLICIES",
    "SLA_TARGETS",
    "TAGS",
    "CalendarSpec",
]
