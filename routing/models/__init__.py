"""Routing's models, by job; imported from here (``from routing.models import Rule``)."""

from .calendars import Absence, BusinessCalendar, Holiday
from .organisation import AssignmentMode, Department, Priority, SLAPolicy, SLATarget, Tag
from .rules import Rule, RuleCondition, RuleTrial, RuleVersion
from .triage import TriageVersion

__all__ = [
    "Absence",
    "AssignmentMode",
    "BusinessCalendar",
    "Department",
    "Holiday",
    "Priority",
    "Rule",
    "RuleCondition",
    "RuleTrial",
    "RuleVersion",
    "SLAPolicy",
    "SLATarget",
    "Tag",
    "TriageVersion",
]
