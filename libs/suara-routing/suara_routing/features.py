"""TF-IDF features of a normalised text, computed exactly as scikit-learn's TfidfVectorizer computes them (word
n-grams and `char_wb` n-grams, sublinear tf, smooth idf, l2 norm per block), without scikit-learn, so one complaint
is vectorised in microseconds. The training code checks the two agree on every training text."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
_WHITE_SPACES = re.compile(r"\s\s+")


def word_ngrams(text: str, max_n: int) -> list[str]:
    tokens = WORD_TOKEN.findall(text)
    grams = list(tokens)
    for n in range(2, min(max_n, len(tokens)) + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


def char_wb_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        w = f" {word} "
        length = len(w)
        for n in range(min_n, max_n + 1):
            if n >= length:  # the padded word is no longer than n: it is its own n-gram, and longer n repeat it
                grams.append(w)
                break
            grams.extend([w[i : i + n] for i in range(length - n + 1)])
    return grams


@dataclass(frozen=True)
class Block:
    """One vectoriser: its terms in column order, idf per column, and how to cut a text into terms."""

    kind: str  # "word" | "char_wb"
    min_n: int
    max_n: int
    terms: tuple[str, ...]
    idf: npt.NDArray[np.float64]
    vocabulary: dict[str, int] = field(init=False, repr=False, compare=False)

    # Character n-grams depend only on the word: the known columns of each word seen are remembered.
    _columns_of_word: dict[str, npt.NDArray[np.int64]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vocabulary", {term: column for column, term in enumerate(self.terms)})
        object.__setattr__(self, "_columns_of_word", {})

    def vector(self, text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Column indices (ascending) and l2-normalised sublinear tf-idf values of the text's known terms.

        Written for one short text at a time: a complaint has a few dozen word terms (counted in Python, cheaper
        than numpy's per-call overhead at that size) and a few hundred character terms (counted with one sort)."""
        if self.kind == "word":
            known = [c for c in map(self.vocabulary.get, word_ngrams(text, self.max_n)) if c is not None]
            if not known:
                return _EMPTY
            tf = Counter(known)
            ordered = sorted(tf)
            return self._weigh(np.array(ordered, dtype=np.int64), np.array([tf[c] for c in ordered], dtype=np.float64))
        cache = self._columns_of_word
        parts = []
        for word in text.split():
            columns_of_word = cache.get(word)
            if columns_of_word is None:
                if len(cache) > 200_000:
                    cache.clear()
                vocabulary = self.vocabulary
                grams = char_wb_ngrams(word, self.min_n, self.max_n)
                columns_of_word = cache[word] = np.array(
                    [vocabulary[g] for g in grams if g in vocabulary], dtype=np.int64
                )
            parts.append(columns_of_word)
        if not parts:
            return _EMPTY
        found = np.concatenate(parts)
        if len(found) == 0:
            return _EMPTY
        found.sort()
        edges = np.empty(len(found) + 1, dtype=bool)  # where each run of one column starts, and the end
        edges[0] = edges[-1] = True
        np.not_equal(found[1:], found[:-1], out=edges[1:-1])
        bounds = np.flatnonzero(edges)
        return self._weigh(found[bounds[:-1]], (bounds[1:] - bounds[:-1]).astype(np.float64))

    def _weigh(
        self, columns: npt.NDArray[np.int64], counts: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        values = 1.0 + np.log(counts)
        values *= self.idf[columns]
        values /= math.sqrt(float(values @ values))
        return columns, values


_EMPTY: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]] = (
    np.zeros(0, dtype=np.int64),
    np.zeros(0, dtype=np.float64),
)
for _array in _EMPTY:
    _array.flags.writeable = False


@dataclass(frozen=True)
class Features:
    """Blocks side by side, as scikit-learn's FeatureUnion puts them: block i's columns are offset by the widths
    of the blocks before it."""

    blocks: tuple[Block, ...]

    @property
    def width(self) -> int:
        return sum(len(b.vocabulary) for b in self.blocks)

    def vector(self, text: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        columns: list[npt.NDArray[np.int64]] = []
        values: list[npt.NDArray[np.float64]] = []
        offset = 0
        for block in self.blocks:
            c, v = block.vector(text)
            columns.append(c + offset)
            values.append(v)
            offset += len(block.vocabulary)
        return np.concatenate(columns), np.concatenate(values)

    def term(self, column: int) -> tuple[str, str]:
        """(block kind, term) of a column, for explanations."""
        for block in self.blocks:
            if column < len(block.terms):
                return block.kind, block.terms[column]
            column -= len(block.terms)
        raise IndexError(column)
