"""The chain: question (+ chat so far) -> standalone question -> passages -> cited `Answer`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from .citations import Citation, renumber, strip_markers, verify_citations
from .conversation import History, condense_question
from .corpus import Review
from .extractive import Draft
from .retrieval import Hit

REFUSAL_TEXT = "The reviews don't say. None of the indexed reviews covers this, so I won't guess."


class QuestionError(ValueError):
    """A question the assistant cannot take; the message is meant for the user."""


@dataclass(frozen=True)
class Answer:
    """A cited answer. Every citation's quote equals its review's text at [start, end)."""

    text: str
    citations: tuple[Citation, ...]
    refused: bool
    question: str
    standalone_question: str
    backend: str
    timings: dict[str, float] = field(default_factory=dict)
    flagged: bool = False
    passages: tuple[Hit, ...] = ()

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


def run_stream(pipeline: Pipeline, question: object, history: History = ()) -> Iterator[str | Answer]:
    """Yield answer text as it forms, then the final checked `Answer`."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    text = validate_question(question, pipeline.max_question_chars)
    standalone = _timed(timings, "condense", lambda: pipeline.condense(text, list(history)))
    hits = _timed(timings, "retrieve", lambda: pipeline.retrieve(standalone, pipeline.top_k))
    stage = time.perf_counter()
    draft: Draft | None = None
    for piece in pipeline.backend.stream(standalone, hits, pipeline.reviews):
        if isinstance(piece, Draft):
            draft = piece
        elif piece:
            yield piece
    timings["answer"] = time.perf_counter() - stage
    assert draft is not None, "an answer backend must end its stream with a Draft"
    answer = finish(draft, text, standalone, hits, pipeline, timings)
    timings["total"] = time.perf_counter() - started
    yield answer


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
    return Answer(
        text=REFUSAL_TEXT if refused else text,
        citations=() if refused else tuple(kept),
        refused=refused,
        question=question,
        standalone_question=standalone,
        backend=pipeline.backend.name,
        timings=timings,
        flagged=draft.flagged or bool(dropped),
        passages=tuple(hits),
    )


def _timed(timings: dict[str, float], name: str, func: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = func()
    timings[name] = time.perf_counter() - started
    return result
