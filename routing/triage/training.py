"""The steps of ``TriageModel.train``: features, examples set aside, models and temperature.

The vocabularies are fitted on every text; a second department model,
fitted without the examples set aside, is judged on them and its scores fit
the temperature that keeps the probabilities honest.
"""

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from .features import Vocabulary, fit_chars, fit_words
from .text import prepare
from .types import Example, Message


def _meta(item: Message) -> str:
    # The tokens cannot occur in prepared text: it has no capitals.
    return f" zzLANG{item.language or 'x'} zzKIND{item.kind or 'x'} zzCHAN{item.channel or 'x'}"


def _vectorise(
    examples: Sequence[Example], max_char_features: int
) -> tuple[Vocabulary, Vocabulary, sparse.csr_matrix]:
    texts = [prepare(e.subject, e.message) for e in examples]
    chars, char_rows = fit_chars(texts, min_df=2, max_features=max_char_features)
    words, word_rows = fit_words(
        [t + _meta(e) for t, e in zip(texts, examples, strict=True)], max_features=max_char_features // 3
    )
    return chars, words, sparse.hstack([char_rows, word_rows], format="csr")


# Fewer examples than this leave too few aside to fit a temperature on.
MIN_CALIBRATION_EXAMPLES = 200


def _aside(labels: np.ndarray, judge_on: int, calibrate: bool) -> np.ndarray | None:
    """Which examples a first model is fitted without, to be asked about: None for no first model."""
    if judge_on:
        return np.arange(len(labels) - judge_on, len(labels))
    if not calibrate or len(labels) < MIN_CALIBRATION_EXAMPLES or min(Counter(labels).values()) < 5:
        return None
    _, aside = train_test_split(np.arange(len(labels)), test_size=0.2, stratify=labels, random_state=0)
    return np.sort(aside)


def _scores(departments: LogisticRegression, features: sparse.csr_matrix) -> np.ndarray:
    scores = np.asarray(features @ departments.coef_.T) + departments.intercept_
    # With two departments there is one score: the second's against the first's.
    return np.column_stack([np.zeros(len(scores)), scores]) if scores.shape[1] == 1 else scores


def _temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that makes the department probabilities say how often the model is right.

    A weakly regularised, class-balanced logistic regression is too modest:
    when it says 50 % it is right about two times in three. Given a model's
    scores on examples it was not fitted on, and the right department's
    index for each, the one number that best fits them (least log loss) is
    kept, so that a department's threshold means what it says.
    """

    def log_loss(log_t: float) -> float:
        return -float(log_softmax(scores / np.exp(log_t), axis=1)[np.arange(len(truth)), truth].mean())

    return float(np.exp(minimize_scalar(log_loss, bounds=(-3.0, 3.0), method="bounded").x))


def _department_model(c: float) -> LogisticRegression:
    # Balanced: a small team's messages count as much as logistics' many.
    return LogisticRegression(C=c, class_weight="balanced", max_iter=300)


def _tag_model(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=300)
