"""The answering path as LangChain runnables: check -> condense -> retrieve -> answer + citation check.

`answer_chain(get_pipeline)` returns a `Runnable` that takes `{"question": str, "history": [[q, a],
...]}` (or a bare question string) and gives the checked `Answer`:

- `chain.invoke(inputs)` returns the `Answer`;
- `chain.stream(inputs)` yields the answer's text pieces as they form, then the `Answer`;
- `chain.batch([inputs, ...])` answers several questions.

`get_pipeline` is called once per question, so a chain follows the assistant's live index and
settings. Each stage is its own runnable, so LangChain callbacks and tracing see them by name.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig, RunnableLambda

from .answering import Answer, Draft, Pipeline, QuestionError, finish, validate_question
from .conversation import Standalone
from .policy import off_topic_text, unknown_names
from .question_parts import question_parts, retrieve_parts
from .retrieval import Hit

ChainInput = Mapping[str, Any] | str


@dataclass(frozen=True)
class Turn:
    """What one question carries from stage to stage."""

    pipeline: Pipeline
    question: str
    history: tuple[tuple[str, str], ...]
    started: float
    standalone: Standalone
    hits: tuple[Hit, ...] = ()
    # Set when the question names something the reviews never mention: the answer is this refusal.
    off_topic: Draft | None = None
    timings: Mapping[str, float] = field(default_factory=dict)

    def timed(self, name: str, since: float, **changes: Any) -> Turn:
        """Return a copy with `changes` and the time since `since` recorded under `name`."""
        return replace(self, timings={**self.timings, name: time.perf_counter() - since}, **changes)


def read_input(inputs: ChainInput) -> tuple[object, tuple[tuple[str, str], ...]]:
    """Return (question, history) from the chain's input; history pairs become tuples.

    >>> read_input({"question": "In what year?", "history": [["Who directed it?", "Alison Klayman."]]})
    ('In what year?', (('Who directed it?', 'Alison Klayman.'),))
    """
    if isinstance(inputs, str):
        return inputs, ()
    turns = inputs.get("history") or ()
    if isinstance(turns, str) or not all(isinstance(t, list | tuple) and len(t) == 2 for t in turns):
        raise QuestionError("history must be a list of [question, answer] pairs")
    return inputs.get("question"), tuple((str(q), str(a)) for q, a in turns)


def begin(get_pipeline: Callable[[], Pipeline], inputs: ChainInput) -> Turn:
    """Check the question (QuestionError says what is wrong) and spot one about something else."""
    started = time.perf_counter()
    question, history = read_input(inputs)
    pipeline = get_pipeline()
    text = validate_question(question, pipeline.max_question_chars)
    unknown = unknown_names(text, pipeline.known_words) if pipeline.known_words else []
    off_topic = (
        Draft(text="", citations=(), refused=True, refusal=off_topic_text(unknown)) if unknown else None
    )
    return Turn(pipeline, text, history, started, Standalone(text), off_topic=off_topic)


def condense(turn: Turn) -> Turn:
    """Make a follow-up standalone with the chat so far."""
    if turn.off_topic is not None:
        return turn
    since = time.perf_counter()
    standalone = turn.pipeline.condense(turn.question, list(turn.history))
    return turn.timed("condense", since, standalone=standalone)


def retrieve(turn: Turn) -> Turn:
    """Find the passages for the standalone question (for each part of a compound one)."""
    if turn.off_topic is not None:
        return turn
    since = time.perf_counter()
    standalone, pipeline = turn.standalone, turn.pipeline
    parts = [Standalone(p, standalone.context).text for p in question_parts(standalone.question)]
    hits = retrieve_parts(pipeline.retrieve, parts, pipeline.top_k)
    return turn.timed("retrieve", since, hits=tuple(hits))


class AnswerStep(Runnable[Turn, Answer]):
    """The answer backend, then the citation check: streams text pieces, ends with the `Answer`."""

    name = "answer"

    def invoke(self, input: Turn, config: RunnableConfig | None = None, **kwargs: Any) -> Answer:
        *_, answer = self._run(input)
        assert isinstance(answer, Answer)
        return answer

    def stream(self, input: Turn, config: RunnableConfig | None = None, **kwargs: Any) -> Iterator[Any]:
        yield from self._run(input)

    def _run(self, turn: Turn) -> Iterator[str | Answer]:
        since = time.perf_counter()
        draft = turn.off_topic
        if draft is not None:
            yield draft.refusal
        else:
            backend = turn.pipeline.backend
            for piece in backend.stream(turn.standalone, list(turn.hits), turn.pipeline.reviews):
                if isinstance(piece, Draft):
                    draft = piece
                elif piece:
                    yield piece
            assert draft is not None, "an answer backend must end its stream with a Draft"
        timings = dict(turn.timings)
        if turn.off_topic is None:
            timings["answer"] = time.perf_counter() - since
        answer = finish(draft, turn.question, turn.standalone.text, list(turn.hits), turn.pipeline, timings)
        timings["total"] = time.perf_counter() - turn.started
        yield answer


def answer_chain(get_pipeline: Callable[[], Pipeline]) -> Runnable[ChainInput, Answer]:
    """Return the answering chain over the pipeline `get_pipeline` gives for each question."""
    start: RunnableLambda[ChainInput, Turn] = RunnableLambda(
        lambda inputs: begin(get_pipeline, inputs), name="check_question"
    )
    return (
        start
        | RunnableLambda(condense, name="condense")
        | RunnableLambda(retrieve, name="retrieve")
        | AnswerStep()
    ).with_config(run_name="never_sorry_answer")
