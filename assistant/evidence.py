"""Evidence features: how well one review sentence supports an answer to a question.

The extractive backend scores every candidate sentence with these features and a small logistic
model (`answerability.py`). The features are meant to tell "this sentence answers it" apart from
"this sentence is about the same thing but does not say": relevance (cross-encoder, bi-encoder),
whether every important word of the question is matched in the sentence (exactly or by a close
word vector), and whether the sentence holds an answer of the asked type near the asked thing.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, fields

import numpy as np

from .answer_types import QuestionType, find_answer, question_type
from .embedding import Embedder
from .retrieval import STOPWORDS, tokenize

# Words that say what kind of answer is wanted rather than what it is about.
_ASKING_WORDS = frozenset(
    """name names called many much long often old year years time kind sort type exactly according
    can could should may might any some one ever also get got make made tell say said""".split()
)


@dataclass(frozen=True)
class Features:
    """What the answerability model sees for one (question, sentence) pair."""

    # Logits / 10 put them on the scale of the other features (about -1..1); the fitted
    # assistant/models/answerability.json expects that scale, so it stays until the model is refitted.
    cross: float  # cross-encoder logit / 10
    cross_gap: float  # this sentence's logit minus the best sentence's, / 10 (<= 0)
    bi: float  # bi-encoder cosine of question and sentence
    cover: float  # IDF-weighted soft coverage of the question's words by the sentence
    cover_exact: float  # the same with exact (stemmed) matches only
    weakest: float  # match of the least-covered question word (1.0 when there are none)
    type_missing: float  # 1.0 when a typed question ('how many', 'who') finds no such answer here

    def vector(self) -> list[float]:
        """Return the features in declaration order (the order of the model's weights)."""
        return [float(x) for x in astuple(self)]


FEATURE_NAMES = tuple(f.name for f in fields(Features))


def content_words(text: str) -> list[str]:
    """Return the stemmed words of `text` that carry its meaning: 'Who produced it?' -> ['produced']."""
    words = dict.fromkeys(tokenize(text))
    return [w for w in words if w not in _ASKING_WORDS and not w.isdigit() and len(w) > 1]


@dataclass(frozen=True)
class TermStats:
    """Inverse document frequency of words over the sentences of the corpus."""

    df: Mapping[str, int]
    sentences: int

    @classmethod
    def from_sentences(cls, sentences: Iterable[str]) -> TermStats:
        """Count in how many sentences each word occurs."""
        counts: Counter[str] = Counter()
        total = 0
        for sentence in sentences:
            total += 1
            counts.update(set(tokenize(sentence)))
        return cls(df=dict(counts), sentences=total)

    def idf(self, word: str) -> float:
        """Return log((N + 1) / (df + 0.5)): rare and unseen words weigh most."""
        return math.log((self.sentences + 1) / (self.df.get(word, 0) + 0.5))


class WordVectors:
    """Vectors for single words from the embedding model; cosine via dot product.

    The most recently used `max_words` vectors are kept (about 1.5 kB each for 384 dimensions), so
    a long-running chat server does not grow with every new word its users type.
    """

    def __init__(self, embedder: Embedder, max_words: int = 50_000) -> None:
        self.embedder = embedder
        self.max_words = max_words
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._cache)

    def get(self, words: Sequence[str]) -> np.ndarray:
        """Return one unit vector per word (rows), embedding only words not in the cache."""
        if not words:
            return np.zeros((0, 1), dtype=np.float32)
        found = {w: self._cache[w] for w in dict.fromkeys(words) if w in self._cache}
        new = [w for w in dict.fromkeys(words) if w not in found]
        if new:
            for word, values in zip(new, self.embedder.embed_documents(new), strict=True):
                found[word] = np.asarray(values, dtype=np.float32)
        for word, vector in found.items():
            self._cache[word] = vector
            self._cache.move_to_end(word)
        while len(self._cache) > self.max_words:
            self._cache.popitem(last=False)
        return np.stack([found[w] for w in words])


def soft_matches(question_words: Sequence[str], sentence: str, vectors: WordVectors) -> list[float]:
    """Return, per question word, 1.0 if the sentence has it, else its best cosine to a sentence word."""
    have = set(tokenize(sentence))
    others = [w for w in have if w not in STOPWORDS]
    missing = [w for w in question_words if w not in have]
    best: dict[str, float] = {}
    if missing and others:
        sims = vectors.get(missing) @ vectors.get(others).T
        best = {w: float(max(0.0, sims[i].max())) for i, w in enumerate(missing)}
    return [1.0 if w in have else best.get(w, 0.0) for w in question_words]


def coverage(
    question_words: Sequence[str], matches: Sequence[float], stats: TermStats
) -> tuple[float, float, float]:
    """Return (soft coverage, exact coverage, weakest match), IDF-weighted over the question words."""
    if not question_words:
        return 1.0, 1.0, 1.0
    weights = [stats.idf(w) for w in question_words]
    total = sum(weights)
    soft = sum(w * m for w, m in zip(weights, matches, strict=True)) / total
    exact = sum(w for w, m in zip(weights, matches, strict=True) if m >= 1.0) / total
    return soft, exact, min(matches)


def sentence_features(
    question: str,
    sentences: Sequence[str],
    cross_scores: Sequence[float],
    bi_scores: Sequence[float],
    vectors: WordVectors,
    stats: TermStats,
) -> list[Features]:
    """Return the features of each candidate sentence for `question` (scores given per sentence)."""
    words = content_words(question)
    kind: QuestionType = question_type(question)
    best_cross = max(cross_scores, default=0.0)
    rows = []
    for sentence, cross, bi in zip(sentences, cross_scores, bi_scores, strict=True):
        soft, exact, weakest = coverage(words, soft_matches(words, sentence, vectors), stats)
        missing = kind.typed and find_answer(sentence, question, kind, vectors) is None
        rows.append(
            Features(
                cross=cross / 10,
                cross_gap=(cross - best_cross) / 10,
                bi=bi,
                cover=soft,
                cover_exact=exact,
                weakest=weakest,
                type_missing=float(missing),
            )
        )
    return rows
