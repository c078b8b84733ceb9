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
"""

import functools
import itertools
import os
import pickle
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from scipy.special import expit, log_softmax
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from .features import Vocabulary, char_grams, fit_chars, fit_words, word_grams
from .text import prepare

_EDGES = re.compile(r"^\W+|\W+$")

# A tag is given when the model is at least this sure of it, at most this many.
TAG_THRESHOLD = 0.5
MAX_TAGS = 2
# Words named in an explanation.
EXPLAIN_WORDS = 5
# Distinct words a loaded model keeps cut up into n-grams (about 1 kB
# each): customers reuse few words, so most are cut up once per process.
GRAM_CACHE_WORDS = 50_000
# Bumped when a change here makes older stored models unreadable.
FORMAT = 2


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


class _Token(NamedTuple):
    """What a loaded model knows of one whitespace-separated word of a prepared text."""

    grams: tuple[int, ...]  # its character n-grams' feature columns, one per occurrence
    word: str  # the word an explanation would name ("" for none: numbers, single letters)
    word_column: int  # the word's own feature column, -1 if it has none
    # Per department, what its character n-grams (each once) weigh towards it
    # over the average department, before the message's scaling (see explain),
    # and the word's own weight towards it.
    pull: tuple[float, ...]
    word_pull: tuple[float, ...]


@dataclass(frozen=True)
class _Row:
    """One message's TF-IDF row, with what an explanation needs to split it by word."""

    tokens: list[_Token]  # one per distinct word
    columns: np.ndarray  # its char n-gram columns, then its word n-gram columns
    values: np.ndarray
    chars: int  # how many of the columns are char n-grams
    char_length: float  # what the char n-grams' weights were divided by to make them length one


_EMPTY_VALUES = np.zeros(0, np.float32)


def _scaled(counts: np.ndarray, idf: np.ndarray) -> tuple[np.ndarray, float]:
    # TfidfVectorizer(sublinear_tf=True): (1 + log count) x idf, to length one.
    if not len(counts):
        return _EMPTY_VALUES, 1.0
    values = (1.0 + np.log(counts)) * idf
    length = float(np.sqrt(values @ values))
    return (values / length).astype(np.float32), length


@dataclass(frozen=True)
class _Weights:
    """A loaded model made quick to ask: every coefficient in one matrix, each word cut up once.

    One message at a time (what routing does), calling the vectorisers'
    ``transform`` and each logistic regression's ``predict_proba`` spent
    most of its time checking its input fifteen times over. Here a message
    costs one pass over its words and one product with the rows of the
    weights its features select.
    """

    # features x (department scores, then tags); one department column when there are two.
    weights: np.ndarray
    intercepts: np.ndarray
    department_width: int
    classes: list[str]
    tag_names: tuple[str, ...]
    char_idf: np.ndarray
    word_vocabulary: dict[str, int]
    word_idf: np.ndarray
    token: Any  # str -> _Token, remembered (see ``_Weights.of``)

    @classmethod
    def of(cls, model: "TriageModel") -> "_Weights":
        coef = model.departments.coef_
        names = tuple(model.tag_models)
        tag_coef = [model.tag_models[t].coef_[0] for t in names]
        # Each department's weights over the average department's, what
        # explanations read: features x departments, a word's rows side by side.
        relative = np.ascontiguousarray((coef - coef.mean(axis=0)).T)
        if coef.shape[0] == 1:
            relative = np.column_stack([-coef[0], coef[0]])
        char_vocabulary = model.chars.vocabulary_
        char_idf = model.chars.idf_
        word_vocabulary = model.words.vocabulary_
        offset = len(char_vocabulary)

        # The char_wb analyser pads and cuts each whitespace-separated word
        # on its own, so a message's n-grams are the sum of its words'.
        # Customers reuse few words, so each is cut up (and weighed for
        # explanations) once per process.
        @functools.lru_cache(maxsize=GRAM_CACHE_WORDS)
        def token(text: str) -> _Token:
            grams = tuple(
                column for gram in char_grams(text) if (column := char_vocabulary.get(gram)) is not None
            )
            word = _EDGES.sub("", text)
            if len(word) < 2 or word.isdigit():
                return _Token(grams, "", -1, (), ())
            column = word_vocabulary.get(word)
            distinct = np.fromiter(set(grams), dtype=np.int64)
            return _Token(
                grams=grams,
                word=word,
                word_column=-1 if column is None else offset + column,
                pull=tuple((char_idf[distinct] @ relative[distinct]).tolist()),
                word_pull=() if column is None else tuple(relative[offset + column].tolist()),
            )

        return cls(
            # float32 halves the memory a message's features are gathered from.
            weights=np.column_stack([coef.T, *tag_coef]).astype(np.float32),
            intercepts=np.concatenate(
                [model.departments.intercept_, [model.tag_models[t].intercept_[0] for t in names]]
            ),
            department_width=coef.shape[0],
            classes=model.classes,
            tag_names=names,
            char_idf=char_idf,
            word_vocabulary=word_vocabulary,
            word_idf=model.words.idf_,
            token=token,
        )

    def row(self, text: str, with_meta: str) -> _Row:
        """The TF-IDF row of a prepared text, as the fitted vectorisers would give it.

        ``tests/routing/test_triage.py`` holds the two equal.
        """
        words = text.split()
        tokens = {word: self.token(word) for word in words}
        chars = Counter(itertools.chain.from_iterable(tokens[word].grams for word in words))
        vocabulary = self.word_vocabulary
        grams = Counter(
            column for gram in word_grams(with_meta) if (column := vocabulary.get(gram)) is not None
        )
        char_columns = np.fromiter(chars, dtype=np.int64, count=len(chars))
        word_columns = np.fromiter(grams, dtype=np.int64, count=len(grams))
        char_values, char_length = _scaled(
            np.fromiter(chars.values(), np.float64, len(chars)), self.char_idf[char_columns]
        )
        word_values, _ = _scaled(
            np.fromiter(grams.values(), np.float64, len(grams)), self.word_idf[word_columns]
        )
        return _Row(
            tokens=list(tokens.values()),
            columns=np.concatenate([char_columns, word_columns + len(self.char_idf)]),
            values=np.concatenate([char_values, word_values]),
            chars=len(char_columns),
            char_length=char_length,
        )

    def scores(self, row: _Row) -> tuple[np.ndarray, np.ndarray]:
        """The row's department scores (their softmax is the fitted probabilities) and tag scores."""
        scores = row.values @ self.weights.take(row.columns, axis=0) + self.intercepts
        departments, tags = scores[: self.department_width], scores[self.department_width :]
        # With two departments there is one score: the second's against the first's.
        return (np.array([0.0, departments[0]]) if self.department_width == 1 else departments), tags

    def explain(self, row: _Row, klass: int) -> list[str]:
        """The words of the row's message that pushed hardest towards department ``klass``.

        A word's weight is what its own features add to the class's score
        over the average class: the word itself, and its character n-grams
        as they would weigh if it alone had them in this message (an n-gram
        several words share counts for each, as it would for any one alone).
        """
        own = dict(zip(row.columns[row.chars :].tolist(), row.values[row.chars :].tolist(), strict=True))
        scores: dict[str, float] = {}
        for token in row.tokens:
            if not token.word:
                continue
            score = token.pull[klass] / row.char_length
            if token.word_column in own:
                score += own[token.word_column] * token.word_pull[klass]
            if score > scores.get(token.word, 0.0):
                scores[token.word] = score
        return sorted(scores, key=scores.__getitem__, reverse=True)[:EXPLAIN_WORDS]


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
