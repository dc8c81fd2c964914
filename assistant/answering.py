"""The chain: question (+ chat so far) -> standalone question -> passages -> cited `Answer`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from .citations import Citation, cite_span, renumber, strip_markers, verify_citations
from .conversation import History, Standalone, condense
from .corpus import Review
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
        """Return the answer as JSON-ready data (lists, not tuples; passages left out, citations carry
        the quotes): the one serialisation `--json`, the web app and the feedback log use."""
        data = asdict(self)
        data.pop("passages")
        for key in ("citations", "closest"):
            data[key] = list(data[key])
        return data

    def to_record(self) -> dict[str, Any]:
        """Return the stable JSON-lines fields (`assistant ask --jsonl`), a subset of `to_dict`.

        `citations` are the passages that state the answer; `closest`, the context shown with a
        refusal. Each span is {number, review_id, start, end, quote}.
        """
        data = self.to_dict()

        def spans(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [{key: item[key] for key in RECORD_SPAN_FIELDS} for item in items]

        return {
            "answer": data["text"],
            "refused": data["refused"],
            "citations": spans(data["citations"]),
            "closest": spans(data["closest"]),
        }


#: The fields of each citation in the JSON-lines record.
RECORD_SPAN_FIELDS = ("number", "review_id", "start", "end", "quote")


@dataclass(frozen=True)
class Draft:
    """What a backend produced before the citation check."""

    text: str
    citations: tuple[Citation, ...]
    refused: bool
    flagged: bool = False
    # With a refusal: what to say instead of an answer ("" = the standard wording for the
    # question), and the closest sentences, shown as context and never as citations.
    refusal: str = ""
    closest: tuple[Citation, ...] = ()


class AnswerBackend(Protocol):
    """Turns passages into a draft answer with `[n]` citations.

    `stream` yields text, then the Draft; `condense` makes a follow-up standalone given the chat so
    far; `threshold` is the probability below which the backend refuses, or None when it decides to
    refuse otherwise (an LLM, in its prompt).
    """

    name: str
    threshold: float | None

    def stream(
        self, question: Standalone, hits: Sequence[Hit], reviews: Mapping[str, Review]
    ) -> Iterator[str | Draft]: ...

    def condense(self, question: str, history: History) -> Standalone: ...


@dataclass(frozen=True)
class BackendSpec:
    """One answer backend: its name, a line of help, and the factory that builds it.

    `factory` is "module:function", imported only when the backend is built, so an LLM client loads
    only when chosen; the function takes (settings, models, reader). `needs` are the modules it
    imports, for telling whether it can run on this install.
    """

    name: str
    help: str
    factory: str
    needs: tuple[str, ...] = ()
    install: str = ""

    def missing(self) -> list[str]:
        """The modules this backend needs that are not installed here."""
        from importlib.util import find_spec

        return [module for module in self.needs if find_spec(module) is None]

    def build(self, settings: Any, models: Any, reader: Any) -> AnswerBackend:
        from importlib import import_module

        module, function = self.factory.split(":")
        backend: AnswerBackend = getattr(import_module(module), function)(settings, models, reader)
        return backend


_GENERATIVE_INSTALL = "pip install 'never-sorry-assistant[generative]'"
#: Every answer backend, by name: the one list the settings, the CLI help and the web UI read.
BACKENDS: dict[str, BackendSpec] = {
    spec.name: spec
    for spec in (
        BackendSpec(
            "extractive",
            "quotes the review sentences the reader finds answering; offline, no LLM (default)",
            "assistant.extractive:from_settings",
        ),
        BackendSpec(
            "openai",
            "an LLM behind any OpenAI-compatible server (ASSISTANT_OPENAI_BASE_URL)",
            "assistant.generative:openai_from_settings",
            needs=("langchain_openai",),
            install=_GENERATIVE_INSTALL,
        ),
        BackendSpec(
            "llamacpp",
            "a local GGUF model run by llama.cpp in this process (ASSISTANT_LLAMACPP_MODEL_PATH)",
            "assistant.generative:llamacpp_from_settings",
            needs=("langchain_openai", "xllamacpp"),
            install=_GENERATIVE_INSTALL,
        ),
    )
}


def backend_spec(name: str) -> BackendSpec:
    """Return the backend called `name`, or raise ValueError listing the choices."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return BACKENDS[name]


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
    condense: Callable[[str, History], Standalone] = condense
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
