"""Condition fields, operators and their compilation.

A condition is ``(field, operator, value)`` as staff typed it. Compiling it
checks the field exists, the operator fits the field and the value parses,
and raises ``RuleError`` (with a translated message) otherwise, so an
invalid rule never reaches the engine.
"""

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import re2
from django.utils.translation import gettext_lazy as _

from .text import Term

TEXT, CHOICE, NUMBER, BOOLEAN = "text", "choice", "number", "boolean"

# field name -> (type, label). Text fields are searched as words and phrases.
FIELDS: dict[str, tuple[str, Any]] = {
    "text": (TEXT, _("Subject or message")),
    "subject": (TEXT, _("Subject")),
    "message": (TEXT, _("Message")),
    "kind": (CHOICE, _("Kind")),
    "channel": (CHOICE, _("Channel")),
    "language": (CHOICE, _("Language")),
    "product": (CHOICE, _("Product or category")),
    "store": (CHOICE, _("Store")),
    "segment": (CHOICE, _("Customer segment")),
    "has_order_reference": (BOOLEAN, _("Order number given")),
    "has_attachments": (BOOLEAN, _("Attachments present")),
    "days_since_order": (NUMBER, _("Days since the order")),
    "days_late": (NUMBER, _("Days late (versus the promised delivery date)")),
    # Repeat complainants: how many earlier cases the same customer opened
    # in the window, so "3 cases in 30 days" reads "… 30 days is at least 3".
    "previous_cases": (NUMBER, _("Customer's cases in the last 90 days")),
    "previous_cases_30_days": (NUMBER, _("Customer's cases in the last 30 days")),
}

OPERATORS: dict[str, Any] = {
    "contains_any": _("contains any of"),
    "contains_all": _("contains all of"),
    "regex": _("matches the regular expression"),
    "equals": _("equals"),
    "in": _("is one of"),
    "gt": _("is greater than"),
    "gte": _("is at least"),
    "lt": _("is less than"),
    "lte": _("is at most"),
    "is": _("is"),
}

OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    TEXT: ("contains_any", "contains_all", "regex"),
    CHOICE: ("equals", "in", "contains_any", "regex"),
    NUMBER: ("equals", "gt", "gte", "lt", "lte"),
    BOOLEAN: ("is",),
}

_TRUE = {"yes", "true", "1", "si", "sí"}
_FALSE = {"no", "false", "0"}


class RuleError(ValueError):
    """A rule that cannot be compiled; ``message`` is shown to staff."""

    def __init__(self, message: Any, code: str):
        super().__init__(str(message))
        self.message = message
        self.code = code


def split_values(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", value) if part.strip()]


@dataclass(frozen=True)
class Condition:
    """A compiled condition. Text conditions carry terms; others a test."""

    field: str
    operator: str
    value: str
    terms: tuple[Term, ...] = ()
    # ``dataclasses.field`` in full below: the ``field`` attribute hides the bare name.
    # The terms as ``TextIndex.hits`` names them, worked out once.
    hit_keys: tuple[str, ...] = dataclasses.field(default=(), compare=False)
    test: Callable[[Any], bool] | None = dataclasses.field(default=None, compare=False)
    pattern: Any = dataclasses.field(default=None, compare=False)


# Regex hits share the keyword hits' namespace; no word can start with this.
REGEX_KEY = "\x00re:"


def regex_options() -> Any:
    """RE2 options for staff regexes: case-insensitive, bounded memory, quiet."""
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = 8 << 20
    options.log_errors = False
    return options


def compile_condition(field_name: str, operator: str, value: str) -> Condition:
    """Check and compile one condition, raising ``RuleError`` when invalid."""
    if field_name not in FIELDS:
        raise RuleError(_("Unknown field “%(field)s”.") % {"field": field_name}, "unknown_field")
    kind, label = FIELDS[field_name]
    if operator not in OPERATORS_BY_TYPE[kind]:
        raise RuleError(
            _("“%(operator)s” cannot be used with %(field)s.")
            % {"operator": OPERATORS.get(operator, operator), "field": label},
            "bad_operator",
        )
    value = (value or "").strip()
    if not value:
        raise RuleError(_("Give a value for %(field)s.") % {"field": label}, "empty_value")

    if operator in ("contains_any", "contains_all"):
        terms = tuple(t for t in map(Term.parse, split_values(value)) if t)
        if not terms:
            raise RuleError(_("Give at least one word or phrase."), "no_terms")
        return Condition(field_name, operator, value, terms=terms, hit_keys=tuple(t.hit_key for t in terms))
    if operator == "regex":
        # The key under which the rule set's one-pass regex scan reports a hit.
        return Condition(
            field_name, operator, value, pattern=_compile_regex(value), hit_keys=(REGEX_KEY + value,)
        )
    if kind == BOOLEAN:
        flag = value.casefold()
        if flag not in _TRUE | _FALSE:
            raise RuleError(_("Answer yes or no."), "bad_boolean")
        expected = flag in _TRUE
        return Condition(field_name, operator, value, test=lambda v: bool(v) is expected)
    if kind == NUMBER:
        try:
            number = float(value)
        except ValueError:
            raise RuleError(_("“%(value)s” is not a number.") % {"value": value}, "bad_number") from None
        return Condition(field_name, operator, value, test=_number_test(operator, number))
    # CHOICE fields compare case-insensitively.
    if operator == "equals":
        wanted = value.casefold()
        return Condition(field_name, operator, value, test=lambda v: (v or "").casefold() == wanted)
    options = {v.casefold() for v in split_values(value)}
    return Condition(field_name, operator, value, test=lambda v: (v or "").casefold() in options)


def _number_test(operator: str, number: float) -> Callable[[Any], bool]:
    compare = {
        "equals": lambda v: v == number,
        "gt": lambda v: v > number,
        "gte": lambda v: v >= number,
        "lt": lambda v: v < number,
        "lte": lambda v: v <= number,
    }[operator]
    # An unknown value (no order date, say) never satisfies a comparison.
    return lambda v: v is not None and compare(v)


def _compile_regex(pattern: str) -> Any:
    # RE2 matches in linear time: a pathological pattern cannot hang a worker.
    try:
        return re2.compile(pattern, regex_options())
    except re2.error as exc:
        detail = exc.args[0] if exc.args else ""
        if isinstance(detail, bytes):
            detail = detail.decode(errors="replace")
        raise RuleError(_("Invalid regular expression: %(error)s") % {"error": detail}, "bad_regex") from None
