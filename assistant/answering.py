"""The chain: question (+ chat so far) -> standalone question -> passages -> cited `Answer`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from .citations import Citation, cite_span, renumber, strip_markers, verify_citations
from .conversation import History, condense_question
from .corpus import Review
from .extractive import Draft
from .policy import not_stated_text
from .retrieval import Hit

#: How many passages a refusal shows as the closest context (never as citations).
CLOSEST_SHOWN = 2


class QuestionError(ValueError):
    """A question the assistant cannot take; the message is meant for the user."""


@dataclass(frozen=True)
class Answer:
    """A cited answer. Every citation's quote equals its review's text at [start, end).

    A citation always means "this passage states the answer". When `refused` is true no answer is
    asserted: `citations` is empty and `closest` may hold the nearest passages, shown as context.
    """

    text: str
    citations: tuple[Citation, ...]
    refused: bool
    question: str
    standalone_question: str
    backend: str
    timings: dict[str, float] = field(default_factory=dict)
    flagged: bool = False
    passages: tuple[Hit, ...] = ()
    closest: tuple[Citation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the answer as JSON-ready data (passages left out; citations carry the quotes)."""
        data = asdict(self)
        data.pop("passages")
        return data


class AnswerBackend(Protocol):
    """Turns passages into a draft answer with `[n]` citations; `stream` yields text, then the Draft."""

    name: str

    def stream(
        self, question: str, hits: Sequence[Hit], reviews: Mapping[str, Review]
    ) -> Iterator[str | Draft]: ...


def validate_question(question: object, max_chars: int) -> str:
    """Return the question stripped, or raise QuestionError saying what is wrong with it."""
    if isinstance(question, bytes):
        try:
            question = question.decode("utf-8")
        except UnicodeDecodeError:
            raise QuestionError("The question is not readable text (binary data).") from None
    if not isinstance(question, str):
        raise QuestionError("The question must be text.")
    text = question.strip()
    if not text:
        raise QuestionError("Please type a question about the film.")
    if any("\ud800" <= c <= "\udfff" for c in text):
        raise QuestionError("The question is not readable text (it holds a lone surrogate, not UTF-8).")
    if len(text) > max_chars:
        raise QuestionError(
            f"The question is {len(text):,} characters long; please keep it under {max_chars:,}."
        )
    if "\x00" in text or sum(not (c.isprintable() or c.isspace()) for c in text) > len(text) // 10:
        raise QuestionError("The question is not readable text (control or binary characters).")
    return text


@dataclass(frozen=True)
class Pipeline:
    """The stages of one assistant configuration, passed in so tests can swap any of them."""

    retrieve: Callable[[str, int], list[Hit]]
    backend: AnswerBackend
    reviews: Mapping[str, Review]
    top_k: int
    max_question_chars: int
    condense: Callable[[str, History], str] = condense_question
    # Words of the reviews (policy.corpus_words): a question naming something outside them is
    # answered with a clear "the reviews don't mention X" whatever the backend.
    known_words: frozenset[str] = frozenset()


def run_stream(pipeline: Pipeline, question: object, history: History = ()) -> Iterator[str | Answer]:
    """Yield answer text as it forms, then the final checked `Answer` (through `chain.answer_chain`)."""
    from .chain import answer_chain

    return answer_chain(lambda: pipeline).stream({"question": question, "history": list(history)})


def finish(
    draft: Draft,
    question: str,
    standalone: str,
    hits: Sequence[Hit],
    pipeline: Pipeline,
    timings: dict[str, float],
) -> Answer:
    """Return the Answer: citations checked against the reviews, unmatched markers removed."""
    kept, dropped = verify_citations(draft.citations, pipeline.reviews, hits)
    text = strip_markers(draft.text, keep={c.number for c in kept})
    text, kept = renumber(text, kept)
    refused = draft.refused or not text.strip() or not kept
    closest: tuple[Citation, ...] = ()
    if refused:
        text = draft.refusal or not_stated_text(question)
        shown = draft.closest or tuple(
            cite_span(i, pipeline.reviews[h.review_id], h.start, h.end) for i, h in enumerate(hits, 1)
        )
        closest = tuple(verify_citations(shown, pipeline.reviews, hits)[0][:CLOSEST_SHOWN])
    return Answer(
        text=text,
        citations=() if refused else tuple(kept),
        refused=refused,
        question=question,
        standalone_question=standalone,
        backend=pipeline.backend.name,
        timings=timings,
        flagged=draft.flagged or bool(dropped),
        passages=tuple(hits),
        closest=closest,
    )


def _timed(timings: dict[str, float], name: str, func: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = func()
    timings[name] = time.perf_counter() - started
    return result
