"""Checking an LLM's cited claims: unsupported ones go, the answer is flagged, nothing left = refusal."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answering import Draft
from assistant.citations import Citation
from assistant.claims import answer_sentences, check_claims
from assistant.corpus import Review
from assistant.generative import GenerativeBackend
from assistant.reader import MODEL_PATH, Reader
from assistant.retrieval import Hit

DETAINED = "In 2011 Ai was detained for 81 days without charge."
STUDIO = "His studio in Shanghai was demolished."


def cite(number: int, quote: str) -> Citation:
    return Citation(number, "r", "R", 0, len(quote), quote)


def by_word(word: str) -> object:
    """A fake reader: 0.9 for passages containing `word`, else 0.1."""

    def score(question: str, passages: Sequence[str]) -> list[float]:
        return [0.9 if word in p else 0.1 for p in passages]

    return score


DRAFT = Draft(
    text="He was held for 81 days [1]. His studio was torn down [2].",
    citations=(cite(1, DETAINED), cite(2, STUDIO)),
    refused=False,
)


def test_answer_sentences_keep_their_markers() -> None:
    assert answer_sentences(DRAFT.text) == ["He was held for 81 days [1].", "His studio was torn down [2]."]
    assert answer_sentences("One. [1] Two? Three") == ["One. [1]", "Two?", "Three"]


def test_all_supported_leaves_the_draft_alone() -> None:
    assert check_claims(DRAFT, "What happened?", lambda q, ps: [0.8] * len(ps), 0.5) is DRAFT


def test_an_unsupported_claim_is_dropped_and_flags_the_answer() -> None:
    checked = check_claims(DRAFT, "How long was Ai detained?", by_word("81 days"), 0.5)  # type: ignore[arg-type]
    assert checked.text == "He was held for 81 days [1]."
    assert [c.number for c in checked.citations] == [1]
    assert checked.flagged and not checked.refused


def test_nothing_supported_is_a_flagged_refusal_with_the_passages_as_context() -> None:
    checked = check_claims(DRAFT, "Who composed the music?", by_word("composer"), 0.5)  # type: ignore[arg-type]
    assert checked.refused and checked.flagged and not checked.citations and checked.text == ""
    assert [c.quote for c in checked.closest] == [DETAINED, STUDIO]


def test_refusals_and_uncited_drafts_are_not_scored() -> None:
    def never(question: str, passages: Sequence[str]) -> list[float]:
        raise AssertionError("scored")

    refusal = Draft(text="", citations=(), refused=True)
    assert check_claims(refusal, "q", never, 0.5) is refusal
    uncited = Draft(text="No markers here.", citations=(), refused=False)
    assert check_claims(uncited, "q", never, 0.5) is uncited


@pytest.mark.skipif(not Path(MODEL_PATH).exists(), reason="reader.onnx not built")
def test_the_real_reader_drops_a_claim_its_passage_does_not_state() -> None:
    text = f"Directed by Alison Klayman. {DETAINED}"
    review = Review(id="r", title="R", text=text)
    hits = [Hit("r:0", "r", 0, 27, text[:27], 1.0), Hit("r:1", "r", 28, len(text), text[28:], 1.0)]
    reply = "The music was composed by Alison Klayman [1]. Ai was held for 81 days [2]."
    backend = GenerativeBackend(
        FakeListChatModel(responses=[reply]), checker=Reader().score, check_threshold=0.5
    )
    *_, draft = backend.stream("Who composed the music for the film?", hits, {"r": review})
    assert isinstance(draft, Draft)
    assert draft.flagged
    assert "Klayman" not in draft.text
