"""Text normalisation and the one-pass keyword index.

Keyword matching is case- and accent-insensitive and works on whole words:
``retraso`` matches ``RETRASÓ`` but ``tarde`` does not match ``tardes``
unless written ``tarde*``. Every term of the whole rule set is looked up in
one index built once per message, so adding rules adds set look-ups, not
passes over the text.
"""

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass

_WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    """Lower-case ``text`` and strip accents: ``RETRASÓ`` -> ``retraso``."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # A message has few distinct characters: drop each combining mark in one
    # pass (all of them are at U+0300 or above), not test every character.
    for ch in set(decomposed):
        if ch >= "\u0300" and unicodedata.combining(ch):
            decomposed = decomposed.replace(ch, "")
    return decomposed


def tokenize(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


@dataclass(frozen=True)
class Term:
    """A word or phrase to look for; ``prefix`` when written with a final ``*``."""

    words: tuple[str, ...]
    prefix: bool = False

    @classmethod
    def parse(cls, raw: str) -> "Term | None":
        raw = raw.strip()
        prefix = raw.endswith("*")
        words = tuple(tokenize(raw.rstrip("*")))
        return cls(words, prefix) if words else None

    @property
    def key(self) -> str:
        return " ".join(self.words)

    @property
    def hit_key(self) -> str:
        """How ``TextIndex.hits`` names this term when found."""
        return self.key + "*" if self.prefix else self.key

    def __str__(self) -> str:
        return self.key + ("*" if self.prefix else "")


class TextIndex:
    """The word n-grams of one text, answering which of a set of terms occur."""

    def __init__(self, text: str, lengths: set[int], prefix_lengths: set[int]):
        tokens = tokenize(text)
        self._grams: dict[int, set[str]] = {}
        self._sorted: dict[int, list[str]] = {}
        for n in lengths | prefix_lengths:
            grams = {" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}
            self._grams[n] = grams
            if n in prefix_lengths:
                self._sorted[n] = sorted(grams)

    def hits(self, exact: dict[int, frozenset[str]], prefixes: dict[int, frozenset[str]]) -> set[str]:
        """Return the keys of the terms that occur, exact and prefix alike.

        Prefix terms come back with a trailing ``*`` so they stay distinct
        from the exact term with the same words.
        """
        found: set[str] = set()
        for n, keys in exact.items():
            found |= self._grams.get(n, set()) & keys
        for n, keys in prefixes.items():
            grams = self._sorted.get(n, [])
            if len(keys) <= 2 * len(grams):
                # Few prefix terms: look each one up in the sorted n-grams.
                for key in keys:
                    i = bisect_left(grams, key)
                    if i < len(grams) and grams[i].startswith(key):
                        found.add(key + "*")
            else:
                # Many prefix terms: try every prefix of each n-gram's last
                # word instead, so the cost follows the text, not the rules.
                for gram in grams:
                    start = gram.rfind(" ") + 2
                    for end in range(start, len(gram) + 1):
                        if gram[:end] in keys:
                            found.add(gram[:end] + "*")
        return found

    def matching_words(self, term: Term) -> str | None:
        """The text's own n-gram that matched ``term`` (for explanations)."""
        grams = self._sorted.get(len(term.words)) or sorted(self._grams.get(len(term.words), ()))
        i = bisect_left(grams, term.key)
        if i < len(grams) and (grams[i] == term.key or (term.prefix and grams[i].startswith(term.key))):
            return grams[i]
        return None
