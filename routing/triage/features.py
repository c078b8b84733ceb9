"""TF-IDF features of prepared texts: fitted on a hundred thousand messages in seconds, one message in microseconds.

The features are those of two scikit-learn ``TfidfVectorizer`` with
``sublinear_tf=True``: the character n-grams (2 to 5) of each word, padded
with spaces (``analyzer="char_wb"``), and the word unigrams and bigrams
(``token_pattern=r"(?u)\\b\\w+\\b"``, ``lowercase=False``), both in the same
column order, with the same weights. ``tests/routing/test_triage.py`` holds
them equal to scikit-learn's.

They are computed here because scikit-learn's vectorisers count n-grams one
by one in Python: two thirds of a retraining on 100,000 cases, and most of
the time of one message. A word's character n-grams do not depend on its
neighbours, so each distinct word is cut up once and a corpus's counts are
one sparse product (documents x words, words x n-grams); one message
reuses the words it shares with the ones before it.
"""

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

CHAR_SIZES = (2, 5)
_TOKEN = re.compile(r"(?u)\b\w+\b")


def char_grams(word: str) -> list[str]:
    """The character n-grams of one word, as ``analyzer="char_wb"`` cuts it (a short word once)."""
    padded = f" {word} "
    grams = []
    for size in range(CHAR_SIZES[0], CHAR_SIZES[1] + 1):
        if len(padded) <= size:
            grams.append(padded)
            break
        grams.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return grams


def word_grams(text: str) -> list[str]:
    """The word unigrams, then bigrams, of ``text``."""
    words = _TOKEN.findall(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


@dataclass
class Vocabulary:
    """A fitted vectoriser's state, under the names scikit-learn gives it."""

    vocabulary_: dict[str, int]
    idf_: np.ndarray


def _weighted(counts: sparse.csr_matrix, documents: int) -> tuple[np.ndarray, sparse.csr_matrix]:
    # TfidfTransformer(sublinear_tf=True, smooth_idf=True, norm="l2"), in float32 as it computes it.
    frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = (np.log((documents + 1) / (frequency + 1.0)) + 1.0).astype(np.float32)
    weights = counts.astype(np.float32)
    np.log(weights.data, out=weights.data)
    weights.data += 1.0
    weights.data *= idf[weights.indices]
    return idf, normalize(weights, copy=False)


def _kept(names: list[str], counts: sparse.csr_matrix, min_df: int, max_features: int) -> np.ndarray:
    """Which n-grams become features, in the order of their columns: alphabetical, as scikit-learn has it.

    Those in at least ``min_df`` documents; of these, the ``max_features``
    most frequent overall (ties: the first in alphabetical order).
    """
    documents = np.bincount(counts.indices, minlength=len(names))
    frequent = np.flatnonzero(documents >= min_df).tolist()
    keep = np.array(sorted(frequent, key=names.__getitem__), dtype=np.int64)
    if len(keep) > max_features:
        totals = np.asarray(counts.sum(axis=0)).ravel()[keep]
        keep = keep[np.sort(np.argsort(-totals, kind="stable")[:max_features])]
    return keep


def fit_chars(
    texts: Sequence[str], *, min_df: int = 2, max_features: int = 300_000
) -> tuple[Vocabulary, sparse.csr_matrix]:
    """Fit the character n-gram features on ``texts``: the vocabulary and their TF-IDF rows."""
    words: dict[str, int] = {}
    indptr: list[int] = [0]
    indices: list[int] = []
    data: list[int] = []
    for text in texts:
        repeats = Counter(text.split())
        indices.extend(words.setdefault(word, len(words)) for word in repeats)
        data.extend(repeats.values())
        indptr.append(len(indices))
    by_document = sparse.csr_matrix((data, indices, indptr), shape=(len(texts), len(words)), dtype=np.int32)
    grams, by_word = _counted(char_grams(word) for word in words)
    return _fitted(grams, by_document @ by_word, min_df, max_features)


def fit_words(texts: Sequence[str], *, max_features: int = 100_000) -> tuple[Vocabulary, sparse.csr_matrix]:
    """Fit the word unigram and bigram features on ``texts``: the vocabulary and their TF-IDF rows."""
    grams, counts = _counted(word_grams(text) for text in texts)
    return _fitted(grams, counts, 1, max_features)


def _counted(rows: Iterable[list[str]]) -> tuple[list[str], sparse.csr_matrix]:
    """Every distinct n-gram of ``rows``, and how often each row has each."""
    grams: dict[str, int] = {}
    indptr: list[int] = [0]
    indices: list[int] = []
    for row in rows:
        indices.extend(grams.setdefault(gram, len(grams)) for gram in row)
        indptr.append(len(indices))
    counts = sparse.csr_matrix(
        (np.ones(len(indices), np.int32), indices, indptr), shape=(len(indptr) - 1, len(grams))
    )
    counts.sum_duplicates()
    return list(grams), counts


def _fitted(
    names: list[str], counts: sparse.csr_matrix, min_df: int, max_features: int
) -> tuple[Vocabulary, sparse.csr_matrix]:
    counts = counts.tocsr()
    counts.sum_duplicates()
    keep = _kept(names, counts, min_df, max_features)
    idf, rows = _weighted(counts[:, keep], counts.shape[0])
    rows.sort_indices()
    return Vocabulary({names[i]: column for column, i in enumerate(keep.tolist())}, idf), rows
