"""The learned triage model: department and tags from what the customer wrote.

Plain Python with scikit-learn, no ORM: examples in, a model out, and a
model answers for messages (anything with ``subject``, ``message``,
``language``, ``kind`` and ``channel``, such as the rules engine's
``Facts``). Features are TF-IDF weights of the character n-grams of each
word (robust to typos, missing accents and word endings: "reembolzo",
"devolucion", "delivary") and of word unigrams and bigrams, plus the
language, kind and channel as tokens of their own. One logistic
regression gives the department probabilities; one per tag gives the tags.
Logistic regression's weights explain each answer word by word, and one
fitted temperature keeps its probabilities close to how often it is right
(``manage.py evaluate_triage`` prints the calibration error).
"""

import os
import pickle
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_softmax, softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from .text import prepare, words_of

# A tag is given when the model is at least this sure of it, at most this many.
TAG_THRESHOLD = 0.5
MAX_TAGS = 2
# Words named in an explanation.
EXPLAIN_WORDS = 5
# Bumped when a change here makes older stored models unreadable.
FORMAT = 2


class Message(Protocol):
    subject: str
    message: str
    language: str
    kind: str
    channel: str


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


def _meta(item: Message) -> str:
    # The tokens cannot occur in prepared text: it has no capitals.
    return f" zzLANG{item.language or 'x'} zzKIND{item.kind or 'x'} zzCHAN{item.channel or 'x'}"


def _vectorise(
    examples: Sequence[Example], max_char_features: int
) -> tuple[TfidfVectorizer, TfidfVectorizer, sparse.csr_matrix]:
    texts = [prepare(e.subject, e.message) for e in examples]
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        min_df=2,
        sublinear_tf=True,
        max_features=max_char_features,
        dtype=np.float32,
    )
    words = TfidfVectorizer(
        analyzer="word",
        token_pattern=r"(?u)\b\w+\b",
        lowercase=False,
        ngram_range=(1, 2),
        min_df=1,
        sublinear_tf=True,
        max_features=max_char_features // 3,
        dtype=np.float32,
    )
    features = sparse.hstack(
        [
            chars.fit_transform(texts),
            words.fit_transform([t + _meta(e) for t, e in zip(texts, examples, strict=True)]),
        ],
        format="csr",
    )
    return chars, words, features


def _fit_departments(
    features: sparse.csr_matrix, examples: Sequence[Example], weights: np.ndarray, c: float
) -> LogisticRegression:
    # Balanced: a small team's messages count as much as logistics' many.
    departments = LogisticRegression(C=c, class_weight="balanced", max_iter=300)
    return departments.fit(features, [e.department for e in examples], sample_weight=weights)


def _tfidf(blocks: Sequence[tuple[Sequence[str], Any, dict[str, int], np.ndarray]]) -> sparse.csr_matrix:
    """Side by side, what each fitted ``TfidfVectorizer(sublinear_tf=True)`` gives for its texts.

    Each block is (texts, analyser, vocabulary, idf): per row, (1 + log
    count) x idf, scaled to length one within the block. Built in one go:
    one message at a time, sparse matrix bookkeeping would cost more than
    the arithmetic.
    """
    indptr, indices, data, stored = [0], [], [], 0
    offsets = np.cumsum([0, *(len(idf) for _, _, _, idf in blocks)])
    for row in range(len(blocks[0][0])):
        for (texts, analyse, vocabulary, idf), offset in zip(blocks, offsets, strict=False):
            found = Counter(
                column for gram in analyse(texts[row]) if (column := vocabulary.get(gram)) is not None
            )
            if not found:
                continue
            columns = np.fromiter(found, dtype=np.int64, count=len(found))
            counts = np.fromiter(found.values(), dtype=np.float64, count=len(found))
            values = (1.0 + np.log(counts)) * idf[columns]
            indices.append(columns + offset)
            data.append(values / np.sqrt(values @ values))
            stored += len(columns)
        indptr.append(stored)
    return sparse.csr_matrix(
        (
            np.concatenate(data).astype(np.float32) if data else np.zeros(0, np.float32),
            np.concatenate(indices) if indices else np.zeros(0, np.int64),
            np.array(indptr, dtype=np.int64),
        ),
        shape=(len(blocks[0][0]), int(offsets[-1])),
    )


# Fewer examples than this leave too few aside to fit a temperature on.
MIN_CALIBRATION_EXAMPLES = 200
# One number is well fitted on a few thousand scores: on a large training
# set the temperature comes from a sample, so calibrating stays cheap.
MAX_CALIBRATION_EXAMPLES = 20_000


def _temperature(examples: Sequence[Example], c: float, max_char_features: int) -> float:
    """The temperature that makes the department probabilities say how often the model is right.

    A weakly regularised, class-balanced logistic regression is too modest:
    when it says 50 % it is right about two times in three. A fifth of the
    examples is set aside, a model is fitted on the rest, and the one number
    that best fits its scores on the fifth set aside (least log loss) is
    kept, so that a department's threshold means what it says.
    """
    labels = [e.department for e in examples]
    if len(examples) < MIN_CALIBRATION_EXAMPLES or min(Counter(labels).values()) < 5:
        return 1.0
    size = min(len(examples), MAX_CALIBRATION_EXAMPLES)
    fit, held = train_test_split(
        list(examples),
        train_size=int(size * 0.8),
        test_size=size - int(size * 0.8),
        stratify=labels,
        random_state=0,
    )
    chars, words, features = _vectorise(fit, max_char_features)
    model = _fit_departments(features, fit, np.array([e.weight for e in fit]), c)
    partial = TriageModel(chars, words, model, {})
    scores = partial._weights().department_scores(partial._features(held)[1])
    truth = np.searchsorted(model.classes_, [e.department for e in held])

    def log_loss(log_t: float) -> float:
        return -float(log_softmax(scores / np.exp(log_t), axis=1)[np.arange(len(held)), truth].mean())

    best = minimize_scalar(log_loss, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(best.x))


@dataclass(frozen=True)
class _Weights:
    """Every fitted coefficient in two matrices, so a message costs two sparse products.

    One message at a time (what routing does), calling each logistic
    regression's own ``predict_proba`` spent most of its time checking its
    input fourteen times over.
    """

    departments: np.ndarray  # features x departments (one column with two departments)
    department_intercepts: np.ndarray
    tags: np.ndarray  # features x tags
    tag_intercepts: np.ndarray
    tag_names: tuple[str, ...]
    # Each department's weights over the average department's: what explanations read.
    relative: np.ndarray
    # Per vectoriser: its analyser, vocabulary and inverse document frequencies.
    chars: tuple[Any, dict[str, int], np.ndarray]
    words: tuple[Any, dict[str, int], np.ndarray]

    def department_scores(self, features: sparse.csr_matrix) -> np.ndarray:
        """One score per department, whose softmax is the fitted probabilities."""
        scores = np.asarray(features @ self.departments) + self.department_intercepts
        # With two departments there is one score: the second's against the first's.
        return np.column_stack([np.zeros(len(scores)), scores]) if scores.shape[1] == 1 else scores

    @classmethod
    def of(cls, model: "TriageModel") -> "_Weights":
        coef = model.departments.coef_
        names = tuple(model.tag_models)
        width = coef.shape[1]
        tag_coef = [model.tag_models[t].coef_[0] for t in names]
        relative = coef - coef.mean(axis=0)
        if coef.shape[0] == 1:
            relative = np.vstack([-coef[0], coef[0]])
        return cls(
            departments=np.ascontiguousarray(coef.T),
            department_intercepts=model.departments.intercept_,
            tags=np.column_stack(tag_coef) if names else np.zeros((width, 0)),
            tag_intercepts=np.array([model.tag_models[t].intercept_[0] for t in names]),
            tag_names=names,
            relative=relative,
            chars=(model.chars.build_analyzer(), model.chars.vocabulary_, model.chars.idf_),
            words=(model.words.build_analyzer(), model.words.vocabulary_, model.words.idf_),
        )


class TriageModel:
    """A fitted model; build one with ``TriageModel.train``."""

    def __init__(
        self,
        chars: TfidfVectorizer,
        words: TfidfVectorizer,
        departments: LogisticRegression,
        tags: dict[str, LogisticRegression],
    ):
        self.chars = chars
        self.words = words
        self.departments = departments
        self.tag_models = tags
        # Department scores are divided by it before the softmax (1: as fitted).
        self.temperature = 1.0
        self.format = FORMAT

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.departments.classes_]

    @classmethod
    def train(
        cls,
        examples: Sequence[Example],
        *,
        c_departments: float = 20.0,
        c_tags: float = 10.0,
        max_char_features: int = 300_000,
        calibrate: bool = True,
    ) -> "TriageModel":
        """Fit a model on ``examples``; each department needs at least one.

        ``calibrate`` fits the temperature that makes the department
        probabilities honest (see ``_temperature``); it costs a second,
        smaller fit.
        """
        if len({e.department for e in examples}) < 2:
            raise ValueError("A triage model needs examples of at least two departments.")
        chars, words, features = _vectorise(examples, max_char_features)
        weights = np.array([e.weight for e in examples], dtype=np.float64)
        departments = _fit_departments(features, examples, weights, c_departments)
        targets = {
            tag: np.array([tag in e.tags for e in examples])
            for tag in sorted({t for e in examples for t in e.tags})
        }
        targets = {tag: target for tag, target in targets.items() if target.any() and not target.all()}

        def fit_tag(target: np.ndarray) -> LogisticRegression:
            return LogisticRegression(C=c_tags, max_iter=300).fit(features, target, sample_weight=weights)

        # One fit per tag, side by side: lbfgs spends its time in sparse
        # products that let go of the GIL, so threads use every core.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            tag_models = dict(zip(targets, pool.map(fit_tag, targets.values()), strict=True))
        model = cls(chars, words, departments, tag_models)
        if calibrate:
            model.temperature = _temperature(examples, c_departments, max_char_features)
        return model

    def _features(self, items: Sequence[Message]) -> tuple[list[str], sparse.csr_matrix]:
        """The prepared texts and their TF-IDF rows, as the fitted vectorisers would give them.

        Built here rather than with the vectorisers' own ``transform``, which
        checks its input at a cost larger than the work for one message.
        ``tests/routing/test_triage.py`` holds the two equal.
        """
        texts = [prepare(i.subject, i.message) for i in items]
        weights = self._weights()
        with_meta = [t + _meta(i) for t, i in zip(texts, items, strict=True)]
        features = _tfidf([(texts, *weights.chars), (with_meta, *weights.words)])
        return texts, features

    def predict(self, items: Sequence[Message], *, explain: bool = False) -> list[Prediction]:
        """The department and tags of each of ``items``, with probabilities.

        ``explain`` adds the words that weighed most for the department
        given (slower: meant for one case at a time, not for evaluation).
        """
        if not items:
            return []
        texts, features = self._features(items)
        weights = self._weights()
        probabilities = softmax(weights.department_scores(features) / self.temperature, axis=1)
        tag_scores = np.asarray(features @ weights.tags) + weights.tag_intercepts
        tag_probabilities = dict(zip(weights.tag_names, expit(tag_scores).T, strict=True))
        classes = self.classes
        predictions = []
        for row, (text, probs) in enumerate(zip(texts, probabilities, strict=True)):
            best = int(np.argmax(probs))
            by_tag = {tag: float(p[row]) for tag, p in tag_probabilities.items()}
            ranked = sorted(by_tag.items(), key=lambda kv: kv[1], reverse=True)
            prediction = Prediction(
                department=classes[best],
                confidence=float(probs[best]),
                probabilities={c: float(p) for c, p in zip(classes, probs, strict=True)},
                tags=[tag for tag, p in ranked[:MAX_TAGS] if p >= TAG_THRESHOLD],
                tag_probabilities=by_tag,
            )
            if explain:
                prediction.words = self._explain(text, features[row], best)
            predictions.append(prediction)
        return predictions

    def predict_one(self, item: Message, *, explain: bool = True) -> Prediction:
        return self.predict([item], explain=explain)[0]

    def _explain(self, text: str, row: sparse.csr_matrix, klass: int) -> list[str]:
        """The words of ``text`` that pushed hardest towards department ``klass``.

        A word's weight is what its own features (its character n-grams and
        the word itself) add to the class's score over the average class.
        """
        known = self._weights()
        weights = known.relative[klass]
        values = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        char_vocabulary = self.chars.vocabulary_
        word_vocabulary = self.words.vocabulary_
        offset = len(char_vocabulary)
        analyse = known.chars[0]
        scores: dict[str, float] = {}
        for word in set(words_of(text)):
            if len(word) < 2 or word.isdigit():
                continue
            columns = {char_vocabulary[g] for g in analyse(word) if g in char_vocabulary}
            if word in word_vocabulary:
                columns.add(offset + word_vocabulary[word])
            score = sum(values.get(col, 0.0) * weights[col] for col in columns)
            if score > 0:
                scores[word] = score
        return [w for w, _ in sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:EXPLAIN_WORDS]]

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
            model = pickle.loads(zlib.decompress(blob))
        except (zlib.error, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            # Written by code that no longer exists (a class moved, a library changed).
            raise ValueError(f"Not a triage model this code can read ({exc}).") from exc
        if not isinstance(model, cls) or getattr(model, "format", None) != FORMAT:
            raise ValueError("Not a triage model of this version of CX Portal.")
        return model


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
