"""The learned triage model: plain Python with scikit-learn, no ORM, no request.

model = TriageModel.train(examples_from(starter_corpus()))
model.predict_one(Facts(message="not dlvd after 1 wk")).department  # "logistics"
combine(ruleset.evaluate(facts), prediction, fallback="customer-service")  # rules first, then the model
"""

from .corpus import starter_corpus
from .hybrid import FALLBACK, MODEL, RULE, Triage, combine
from .model import TriageModel
from .types import Example, Prediction, examples_from

__all__ = [
    "FALLBACK",
    "MODEL",
    "RULE",
    "Example",
    "Prediction",
    "Triage",
    "TriageModel",
    "combine",
    "examples_from",
    "starter_corpus",
]
