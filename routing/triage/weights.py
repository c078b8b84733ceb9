"""A loaded model made quick to ask: one message's TF-IDF row, its scores and the words that explain them.

``_Weights`` computes them from the fitted coefficients, without the
vectorisers' and logistic regressions' per-call checks (see its docstring).
"""

import functools
import itertools
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .features import char_grams, word_grams

if TYPE_CHECKING:
    from .model import TriageModel

_EDGES = re.compile(r"^\W+|\W+$")

# Words named in an explanation.
EXPLAIN_WORDS = 5
# Distinct words a loaded model keeps cut up into n-grams (about 1 kB
# each): customers reuse few words, so most are cut up once per process.
GRAM_CACHE_WORDS = 50_000


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
