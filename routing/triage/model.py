"""The learned triage model: department and tags from what the customer wrote.

Plain Python with scikit-learn, no ORM: examples in, a model out, and a
model answers for messages (anything with ``subject``, ``message``,
``language``, ``kind`` and ``channel``, such as the rules engine's
``Facts``). Features (``features.py``) are TF-IDF weights of the character
n-grams of each word (robust to typos, missing accents and word endings:
"reembolzo", "devolucion", "delivary") and of word unigrams and bigrams,
plus the language, kind and channel as tokens of their own. One logistic
regression gives the department probabilities; one per tag gives the tags.
Logistic regression's weights explain each answer word by word, and one
fitted temperature keeps its probabilities close to how often it is right
(``manage.py evaluate_triage`` prints the calibration error).

The steps of training are in ``training.py``, the arithmetic that answers
one message quickly in ``weights.py``, the messages, examples and
predictions in ``types.py``. ``TriageModel`` stays here: stored models are
pickles that name this module.
"""

import os
import pickle
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from .features import Vocabulary
from .text import prepare
from .training import _aside, _department_model, _meta, _scores, _tag_model, _temperature, _vectorise
from .types import Example, Message, Prediction
from .weights import _Row, _Weights

# A tag is given when the model is at least this sure of it, at most this many.
TAG_THRESHOLD = 0.5
MAX_TAGS = 2
# Bumped when a change here makes older stored models unreadable.
FORMAT = 2


class TriageModel:
    """A fitted model; build one with ``TriageModel.train``."""

    def __init__(
        self,
        chars: Vocabulary,
        words: Vocabulary,
        departments: LogisticRegression,
        tags: dict[str, LogisticRegression],
    ):
        self.chars = chars
        self.words = words
        self.departments = departments
        self.tag_models = tags
        # Department scores are divided by it before the softmax (1: as fitted).
        self.temperature = 1.0
        # Right on this share of the examples set aside when trained (None: none were).
        self.judged: float | None = None
        self.format = FORMAT

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.departments.classes_]

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        *,
        judge_on: int = 0,
        c_departments: float = 20.0,
        c_tags: float = 10.0,
        max_char_features: int = 300_000,
        calibrate: bool = True,
    ) -> "TriageModel":
        """Fit a model on ``examples``; each department needs at least one.

        Beside it, a second department model is fitted without some of the
        examples and asked about them: the last ``judge_on`` (the most
        recent cases; ``judged`` then says how often it was right on them),
        or else a fifth drawn at random. Its scores on them fit the
        temperature that makes the probabilities honest (``calibrate``, see
        ``_temperature``). The vocabulary is fitted once on all the texts
        (no labels: the set-aside examples' departments stay unseen).
        """
        if len({e.department for e in examples}) < 2:
            raise ValueError("A triage model needs examples of at least two departments.")
        chars, words, features = _vectorise(examples, max_char_features)
        labels = np.array([e.department for e in examples])
        weights = np.array([e.weight for e in examples], dtype=np.float64)
        every_tag = sorted({t for e in examples for t in e.tags})
        targets = {tag: np.array([tag in e.tags for e in examples]) for tag in every_tag}
        # A tag on every example, or on none, has nothing to learn.
        targets = {tag: target for tag, target in targets.items() if target.any() and not target.all()}

        departments = _department_model(c_departments)
        tag_models = {tag: _tag_model(c_tags) for tag in targets}
        aside = _aside(labels, judge_on, calibrate)
        # Fits side by side: lbfgs spends its time in sparse products that let
        # go of the GIL, so threads use every core. The slowest go first.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            fits = [pool.submit(departments.fit, features, labels, weights)]
            if aside is not None:
                kept = np.setdiff1d(np.arange(len(examples)), aside)
                held_back = pool.submit(
                    _department_model(c_departments).fit, features[kept], labels[kept], weights[kept]
                )
                fits.append(held_back)
            fits += [
                pool.submit(tag_models[tag].fit, features, target, weights) for tag, target in targets.items()
            ]
            for fit in fits:
                fit.result()
        model = cls(chars, words, departments, tag_models)
        judged, temperature = None, 1.0
        if aside is not None:
            judge = held_back.result()
            scores = _scores(judge, features[aside])
            judged = float(np.mean(judge.classes_[scores.argmax(axis=1)] == labels[aside]))
            # Departments it never saw cannot be scored against.
            known = np.isin(labels[aside], judge.classes_)
            if calibrate and known.any():
                temperature = _temperature(
                    scores[known], np.searchsorted(judge.classes_, labels[aside][known])
                )
        model.temperature = temperature
        model.judged = judged
        return model

    def _rows(self, items: Sequence[Message]) -> list[_Row]:
        weights = self._weights()
        texts = [prepare(i.subject, i.message) for i in items]
        return [weights.row(t, t + _meta(i)) for t, i in zip(texts, items, strict=True)]

    def _features(self, items: Sequence[Message]) -> sparse.csr_matrix:
        """The TF-IDF rows of ``items`` as one matrix (what the vectorisers' ``transform`` gives)."""
        rows = self._rows(items)
        width = self.departments.coef_.shape[1]
        indptr = np.cumsum([0, *(len(r.columns) for r in rows)])
        if not indptr[-1]:
            return sparse.csr_matrix((len(rows), width), dtype=np.float32)
        return sparse.csr_matrix(
            (
                np.concatenate([r.values for r in rows]),
                np.concatenate([r.columns for r in rows]),
                indptr,
            ),
            shape=(len(rows), width),
        )

    def predict(self, items: Sequence[Message], *, explain: bool = False) -> list[Prediction]:
        """The department and tags of each of ``items``, with probabilities.

        ``explain`` adds the words that weighed most for the department given.
        """
        weights = self._weights()
        classes = weights.classes
        predictions = []
        for row in self._rows(items):
            department_scores, tag_scores = weights.scores(row)
            probs = np.exp((department_scores - department_scores.max()) / self.temperature)
            probs /= probs.sum()
            best = int(np.argmax(probs))
            by_tag = dict(zip(weights.tag_names, expit(tag_scores).tolist(), strict=True))
            likely = sorted((p, tag) for tag, p in by_tag.items() if p >= TAG_THRESHOLD)
            predictions.append(
                Prediction(
                    department=classes[best],
                    confidence=float(probs[best]),
                    probabilities=dict(zip(classes, probs.tolist(), strict=True)),
                    tags=[tag for _, tag in likely[::-1][:MAX_TAGS]],
                    tag_probabilities=by_tag,
                    words=weights.explain(row, best) if explain else [],
                )
            )
        return predictions

    def predict_one(self, item: Message, *, explain: bool = True) -> Prediction:
        return self.predict([item], explain=explain)[0]

    def _weights(self) -> "_Weights":
        # Computed once per loaded model, never stored: the stored model stays small.
        weights = self.__dict__.get("_cached_weights")
        if weights is None:
            weights = self._cached_weights = _Weights.of(self)
        return weights

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_cached_weights", None)
        return state

    def to_bytes(self) -> bytes:
        """The model as bytes to store (compressed pickle)."""
        return zlib.compress(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL), 6)

    @classmethod
    def from_bytes(cls, blob: bytes) -> "TriageModel":
        """A model back from ``to_bytes``; ``ValueError`` when it cannot be read.

        Only bytes this application wrote to its own database are ever read:
        unpickling runs code, so a model never comes from outside.
        """
        try:
            model = pickle.loads(zlib.decompress(blob))  # noqa: S301  (our own rows only, see above)
        except (zlib.error, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            # Written by code that no longer exists (a class moved, a library changed).
            raise ValueError(f"Not a triage model this code can read ({exc}).") from exc
        if not isinstance(model, cls) or getattr(model, "format", None) != FORMAT:
            raise ValueError("Not a triage model of this version of CX Portal.")
        return model
