"""FakeAssistant: the shape of `assistant.bot.Assistant`, answering from a fixed table, for UI unit tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answering import Answer, validate_question
from assistant.citations import Citation
from assistant.config import Settings
from assistant.corpus import Review
from assistant.index_state import IndexState, IndexStatus
from assistant.policy import not_stated_text
from assistant.store import ReviewEntry

HOSTILE_TEXT = (
    'A review with markup. <script>window.__pwned=1</script> and <img src=x onerror="window.__pwned=2"> '
    "The soundtrack was composed by Ilan Isakov, the hostile reviewer says."
)


def make_reviews() -> dict[str, Review]:
    """Return two small reviews, one with hostile markup in its title and text."""
    plain = Review(
        id="review-plain",
        title="A plain review",
        text="Directed by Alison Klayman.\n\nAi was detained for 81 days in 2011. The end.",
        outlet="Film Weekly",
        date="2012-09-18",
    )
    hostile = Review(id="review-hostile", title="<b>Bold</b> & <i>loud</i>", text=HOSTILE_TEXT)
    return {plain.id: plain, hostile.id: hostile}


@dataclass(frozen=True)
class FakeManifest:
    reviews: dict[str, Any]
    built_at: float = 1_700_000_000.0


@dataclass(frozen=True)
class FakeReport:
    chunks: int

    def summary(self) -> str:
        return f"embedded {self.chunks} of {self.chunks} chunks"


@dataclass
class CallLog:
    questions: list[tuple[str, list[tuple[str, str]], Settings]] = field(default_factory=list)
    rebuilds: int = 0
    forced: int = 0


class FakeAssistant:
    """Answers when the question contains a key of `facts`: {word: (text, [(review_id, quote), ...])}."""

    def __init__(
        self,
        facts: dict[str, tuple[str, list[tuple[str, str]]]] | None = None,
        settings: Settings | None = None,
        fail_with: Exception | None = None,
        log: CallLog | None = None,
    ) -> None:
        self.reviews = make_reviews()
        self.settings = settings or Settings()
        self.facts = facts if facts is not None else default_facts()
        self.fail_with = fail_with
        self.log = log or CallLog()
        self.corpus_warning: str | None = None  # as `Assistant`: set while review files can't be used

    def with_settings(self, **changes: Any) -> FakeAssistant:
        return FakeAssistant(
            self.facts, dataclasses.replace(self.settings, **changes), self.fail_with, self.log
        )

    def ask(self, question: object, history: Sequence[tuple[str, str]] = ()) -> Answer:
        *_, answer = self.stream(question, history)
        assert isinstance(answer, Answer)
        return answer

    def stream(self, question: object, history: Sequence[tuple[str, str]] = ()) -> Iterator[str | Answer]:
        text = validate_question(question, self.settings.max_question_chars)
        self.log.questions.append((text, list(history), self.settings))
        if self.fail_with is not None:
            raise self.fail_with
        key = next((k for k in self.facts if k in text.lower()), None)
        if key is None:
            yield not_stated_text(text)
            yield self._answer(text, not_stated_text(text), (), refused=True)
            return
        answer_text, sources = self.facts[key]
        for word in answer_text.split(" "):
            yield word + " "
        yield self._answer(text, answer_text, tuple(self._cite(i, *s) for i, s in enumerate(sources, 1)))

    def _cite(self, number: int, review_id: str, quote: str) -> Citation:
        review = self.reviews[review_id]
        start = review.text.index(quote)
        return Citation(number, review_id, review.title, start, start + len(quote), quote, review.date)

    def _answer(
        self, question: str, text: str, citations: tuple[Citation, ...], refused: bool = False
    ) -> Answer:
        timings = {"condense": 0.0, "retrieve": 0.012, "answer": 0.034, "total": 0.046}
        return Answer(text, citations, refused, question, question, self.settings.backend, timings)

    def index_status(self) -> IndexStatus:
        entries = {rid: ReviewEntry("hash", 3, r.title) for rid, r in self.reviews.items()}
        return IndexStatus(IndexState.UP_TO_DATE, manifest=FakeManifest(entries))  # type: ignore[arg-type]

    def rebuild_index(
        self, on_progress: Callable[[int, int], None] | None = None, *, force: bool = False
    ) -> FakeReport:
        self.log.rebuilds += 1
        self.log.forced += force
        for done in range(1, 7):
            if on_progress:
                on_progress(done, 6)
        return FakeReport(6)


def default_facts() -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """Return the fake's answers: 'directed', 'detained' and 'soundtrack' questions."""
    return {
        "directed": ("Alison Klayman [1].", [("review-plain", "Directed by Alison Klayman.")]),
        "detained": ("81 days [1].", [("review-plain", "Ai was detained for 81 days in 2011.")]),
        "soundtrack": ("Ilan Isakov [1].", [("review-hostile", HOSTILE_TEXT)]),
    }
