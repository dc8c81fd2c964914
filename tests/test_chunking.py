"""Chunks: exact offsets into their review, whole sentences, full coverage, stable ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.chunking import Chunk, split_review, split_sentences
from assistant.corpus import Review, load_reviews

# Independent of the chunker's own regex: a sentence ends at . ! ? (plus closing quotes) before a space.
_INNER_SENTENCE_END = re.compile(r"[a-z\d][.!?][’”\"')\]]*\s+[“‘\"(]?[A-Z]")
_ENDS_SENTENCE = re.compile(r"[.!?][’”\"')\]]*\Z")

# Ordinary words of film reviews, some ending in letters that look like abbreviations (artist., films.).
WORDS = [
    "ai", "art", "artist", "films", "protest", "china", "seeds", "piano", "casino", "first", "studio",
    "police", "twitter", "beijing", "director", "klayman", "dissent", "poems", "freedom", "history",
]  # fmt: skip


@pytest.fixture(scope="module")
def shipped_reviews() -> list[Review]:
    return load_reviews(Path(__file__).resolve().parents[1] / "corpus")


def _uncovered_text(text: str, chunks: list[Chunk]) -> str:
    covered = bytearray(len(text))
    for chunk in chunks:
        covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
    return "".join(ch for ch, hit in zip(text, covered, strict=True) if not hit)


def _assert_chunk_invariants(review: Review, chunks: list[Chunk]) -> None:
    """Offsets are exact, chunks are in order, and together they cover every non-space character."""
    assert chunks or not review.text.strip()
    for chunk in chunks:
        assert review.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip() and chunk.text
        assert chunk.review_id == review.id
        assert chunk.id == f"{review.id}:{chunk.start}-{chunk.end}"
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.start < after.start
        assert before.end <= after.end
        assert review.text[before.end : after.start].strip() == ""  # no gap with text in it
    assert _uncovered_text(review.text, chunks).strip() == ""


def test_every_shipped_chunk_is_the_review_text_at_its_offsets(shipped_reviews: list[Review]) -> None:
    for review in shipped_reviews:
        chunks = split_review(review, chunk_size=400, overlap_sentences=1)
        assert len(chunks) > 5
        _assert_chunk_invariants(review, chunks)


@pytest.mark.parametrize("overlap", [0, 1, 2])
@pytest.mark.parametrize("chunk_size", [150, 400, 1000])
def test_shipped_chunks_cover_the_review_in_order(
    shipped_reviews: list[Review], chunk_size: int, overlap: int
) -> None:
    for review in shipped_reviews:
        _assert_chunk_invariants(review, split_review(review, chunk_size, overlap))


def test_shipped_chunks_start_and_end_on_sentence_boundaries(shipped_reviews: list[Review]) -> None:
    for review in shipped_reviews:
        for chunk in split_review(review, 400, 1):
            before = review.text[: chunk.start].rstrip()
            assert (
                before == "" or _ENDS_SENTENCE.search(before) or review.text[: chunk.start].endswith("\n\n")
            )
            after = review.text[chunk.end :]
            assert (
                _ENDS_SENTENCE.search(chunk.text) or after == "" or after.startswith("\n\n") or after == "\n"
            )


def test_shipped_chunks_respect_chunk_size_unless_one_long_sentence(shipped_reviews: list[Review]) -> None:
    for review in shipped_reviews:
        for chunk in split_review(review, chunk_size=400, overlap_sentences=1):
            if len(chunk.text) > 400:
                # Only a single sentence may be longer than the chunk size.
                assert not _INNER_SENTENCE_END.search(chunk.text), chunk.text


def test_chunk_ids_are_stable_across_calls(shipped_reviews: list[Review]) -> None:
    for review in shipped_reviews:
        first = split_review(review, 400, 1)
        again = split_review(Review(**review.__dict__), 400, 1)
        assert [c.id for c in first] == [c.id for c in again]
        assert first == again


def test_consecutive_chunks_share_the_overlap_sentence_when_it_fits(shipped_reviews: list[Review]) -> None:
    shared = 0
    for review in shipped_reviews:
        sentences = split_sentences(review.text)
        chunks = split_review(review, 400, overlap_sentences=1)
        for before, after in zip(chunks, chunks[1:], strict=False):
            last = next(s for s in sentences if s.end == before.end)
            first_new = next(s for s in sentences if s.start >= before.end)
            if after.start == last.start:
                shared += 1
            else:  # the overlap is left out only when it cannot fit beside the next sentence
                assert after.start == first_new.start
                assert first_new.end - last.start > 400
    assert shared >= 5


@pytest.mark.parametrize("chunk_size", [150, 400])
def test_each_chunk_adds_text_beyond_the_previous_one(shipped_reviews: list[Review], chunk_size: int) -> None:
    # A chunk lying inside its predecessor is a duplicate passage: it crowds the top-k with repeats.
    for review in shipped_reviews:
        chunks = split_review(review, chunk_size, overlap_sentences=1)
        for before, after in zip(chunks, chunks[1:], strict=False):
            assert after.end > before.end, f"{after.id} lies inside {before.id}"


def test_overlap_sentence_is_not_left_alone_in_a_chunk() -> None:
    text = "One two three. Four five six. " + "Seven " * 10 + "end."
    chunks = split_review(Review(id="r", title="T", text=text), chunk_size=30, overlap_sentences=1)
    assert [c.text for c in chunks] == ["One two three. Four five six.", "Seven " * 10 + "end."]


def test_no_overlap_gives_disjoint_chunks(shipped_reviews: list[Review]) -> None:
    chunks = split_review(shipped_reviews[0], 400, overlap_sentences=0)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.end < after.start


def test_single_sentence_longer_than_chunk_size_is_one_chunk() -> None:
    long_sentence = "Ai " + "really " * 60 + "refuses to retreat."
    review = Review(id="r", title="T", text=f"Short one. {long_sentence} Short two.")
    chunks = split_review(review, chunk_size=50, overlap_sentences=0)
    assert [c.text for c in chunks] == ["Short one.", long_sentence, "Short two."]


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        split_review(Review(id="r", title="T", text="A sentence."), chunk_size=0)


def test_split_sentences_keeps_closing_quotes_and_common_abbreviations() -> None:
    text = "He said “sorry.” Then Dr. Ai left for the U.S. release. Did it work?\n\nA heading\n\nEnd."
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    assert sentences == [
        "He said “sorry.”",
        "Then Dr. Ai left for the U.S. release.",
        "Did it work?",
        "A heading",
        "End.",
    ]


@pytest.mark.parametrize("word", ["artist", "films", "piano"])
def test_split_sentences_breaks_after_words_ending_like_an_abbreviation(word: str) -> None:
    # "artist." ends in "st.", "films." in "ms.", "piano." in "no.": none of them is an abbreviation.
    text = f"He is an {word}. She watches."
    assert [text[s.start : s.end] for s in split_sentences(text)] == [f"He is an {word}.", "She watches."]


_sentence = st.builds(
    lambda words, end: " ".join(words).capitalize() + end,
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=12),
    st.sampled_from([".", "!", "?", ".”"]),
)
_paragraph = st.lists(_sentence, min_size=1, max_size=6)


@settings(deadline=None)
@given(
    paragraphs=st.lists(_paragraph, min_size=1, max_size=5),
    chunk_size=st.integers(min_value=1, max_value=300),
    overlap=st.integers(min_value=0, max_value=3),
)
def test_chunks_of_any_text_keep_offsets_and_cover_it(
    paragraphs: list[list[str]], chunk_size: int, overlap: int
) -> None:
    text = "\n\n".join(" ".join(p) for p in paragraphs) + "\n"
    review = Review(id="gen", title="T", text=text)
    chunks = split_review(review, chunk_size, overlap)
    _assert_chunk_invariants(review, chunks)
    starts = {s.start for s in split_sentences(text)}
    ends = {s.end for s in split_sentences(text)}
    for chunk in chunks:
        assert chunk.start in starts and chunk.end in ends
        if len(chunk.text) > chunk_size:
            assert len(split_sentences(chunk.text)) == 1
    assert split_review(review, chunk_size, overlap) == chunks


@settings(deadline=None)
@given(paragraphs=st.lists(_paragraph, min_size=1, max_size=4))
def test_split_sentences_finds_every_generated_sentence(paragraphs: list[list[str]]) -> None:
    text = "\n\n".join(" ".join(p) for p in paragraphs)
    found = [text[s.start : s.end] for s in split_sentences(text)]
    assert found == [sentence for p in paragraphs for sentence in p]
