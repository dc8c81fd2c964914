"""Evidence features: content words, IDF, soft word matches and coverage (fake word vectors)."""

from __future__ import annotations

import numpy as np

from assistant.evidence import (
    FEATURE_NAMES,
    TermStats,
    WordVectors,
    content_words,
    coverage,
    sentence_features,
    soft_matches,
)

# Hand-made 2-d word vectors: "dad" is close to "father", nothing else is close to anything.
VECTORS = {"dad": [1.0, 0.0], "father": [0.95, 0.312], "poet": [0.0, 1.0]}


class FakeEmbedder:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return [VECTORS.get(t, [0.0, 0.0]) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return VECTORS.get(text, [0.0, 0.0])


def test_content_words_drop_question_and_asking_words() -> None:
    assert content_words("What is the name of Ai Weiwei's wife?") == ["ai", "weiwei", "wife"]
    assert content_words("How many days was he held in 2011?") == ["day", "held"]


def test_idf_weighs_rare_and_unseen_words_most() -> None:
    stats = TermStats.from_sentences(["Ai made art.", "Ai was held.", "Ai left."])
    assert stats.idf("zebra") > stats.idf("held") > stats.idf("ai")


def test_word_vectors_are_cached() -> None:
    embedder = FakeEmbedder()
    vectors = WordVectors(embedder)
    vectors.get(["dad", "father"])
    vectors.get(["father", "dad", "poet"])
    assert embedder.calls == [["dad", "father"], ["poet"]]


def test_word_vector_cache_keeps_only_the_most_recent_words() -> None:
    embedder = FakeEmbedder()
    vectors = WordVectors(embedder, max_words=2)
    first = vectors.get(["dad", "father"])
    vectors.get(["dad"])  # dad is now the most recent
    vectors.get(["poet"])  # evicts father, the least recent
    assert len(vectors) == 2
    again = vectors.get(["father", "dad"])
    assert embedder.calls == [["dad", "father"], ["poet"], ["father"]]
    assert np.allclose(again, first[::-1])


def test_soft_matches_are_exact_or_the_closest_word() -> None:
    vectors = WordVectors(FakeEmbedder())
    matches = soft_matches(["poet", "dad"], "His father was a poet.", vectors)
    assert matches[0] == 1.0
    assert 0.9 < matches[1] < 1.0


def test_coverage_is_idf_weighted_and_reports_the_weakest_word() -> None:
    stats = TermStats.from_sentences(["a common word", "common again", "rare"])
    soft, exact, weakest = coverage(["common", "rare"], [1.0, 0.0], stats)
    assert exact == soft and 0 < soft < 0.5  # the rare word weighs more and is missing
    assert weakest == 0.0
    assert coverage([], [], stats) == (1.0, 1.0, 1.0)


def test_sentence_features_mark_a_missing_typed_answer() -> None:
    stats = TermStats.from_sentences(["He was held for 81 days.", "He was held."])
    rows = sentence_features(
        "How long was he held?",
        ["He was held for 81 days.", "He was held."],
        [5.0, 3.0],
        [0.5, 0.4],
        WordVectors(FakeEmbedder()),
        stats,
    )
    assert [r.type_missing for r in rows] == [0.0, 1.0]
    assert rows[0].cross_gap == 0.0 and np.isclose(rows[1].cross_gap, -0.2)
    assert len(rows[0].vector()) == len(FEATURE_NAMES)
