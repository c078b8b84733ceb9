"""The rules engine: plain Python, no ORM, no request — facts in, decision out.

rules = RuleSet([RuleSpec(id=1, name="Late delivery", any_of=(("text", "contains_any", "retraso, late"),),
                          add_tags=("delivery-delay",), set_department="logistics")])
rules.evaluate(Facts(message="Mi pedido lleva 5 días de RETRASO")).department  # "logistics"
"""

from .conditions import FIELDS, OPERATORS, OPERATORS_BY_TYPE, RuleError, compile_condition
from .engine import RuleSet, validate_rule
from .text import normalize, tokenize
from .types import Decision, Facts, RuleSpec

__all__ = [
    "FIELDS",
    "OPERATORS",
    "OPERATORS_BY_TYPE",
    "Decision",
    "Facts",
    "RuleError",
    "RuleSet",
    "RuleSpec",
    "compile_condition",
    "normalize",
    "tokenize",
    "validate_rule",
]
