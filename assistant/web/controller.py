"""The chat's logic, apart from Gradio's layout: answer, open a passage, feedback (the Sources tab's
is `sources_controller.py`).

`ChatController` knows nothing of the page, so tests drive it with a fake assistant.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ..answering import BACKENDS, QuestionError
from .feedback import FeedbackError, RateLimit, feedback_record, reason_record, write_feedback
from .render import (
    escape_user_text,
    mark_stopped,
    render_answer,
    render_notice,
    render_partial,
    render_review,
)

if TYPE_CHECKING:
    from ..bot import Assistant

log = logging.getLogger(__name__)


EXAMPLES = (
    "Who directed the film?",
    "How long was Ai Weiwei detained?",
    "What did he install at Tate Modern?",
)
EMPTY_QUESTION = "Type a question about the film first, or pick one of the examples above."
VIEWER_HINT = "<p class='viewer-hint'>Click a cited passage to read it in its review.</p>"

#: Feedback records one client (IP address) may add per minute.
FEEDBACK_PER_MINUTE = 30
LOADING = "Loading the reviews and models (the first start also builds the index)…"

Message = dict[str, str]
Turn = dict[str, Any]


def loaded(source: Assistant | Future[Assistant]) -> Assistant:
    """The assistant, waiting for it if it is still loading (the page opens before it is ready)."""
    return source.result() if isinstance(source, Future) else source


def history_pairs(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """Return (question, answer text) for every answered turn, oldest first."""
    return [(t["question"], t["answer"]["text"]) for t in turns if t.get("answer")]


#: The longest history the /ask API takes, in characters of JSON.
MAX_HISTORY_CHARS = 200_000


def backend_choices() -> tuple[list[str], str]:
    """The backends that can run on this install, and a line naming the others and what they need."""
    runnable = [name for name, spec in BACKENDS.items() if not spec.missing()]
    others = [f"{name} (needs `{spec.install}`)" for name, spec in BACKENDS.items() if spec.missing()]
    return runnable, ("Not installed here: " + "; ".join(others)) if others else ""


def parse_history(history_json: str) -> list[tuple[str, str]]:
    """Return pairs from '[["q", "a"], ...]' or '[{"question": .., "answer": ..}]'; raise ValueError
    saying what is wrong (not JSON, too long, nested too deeply, not text, not pairs)."""
    if not isinstance(history_json, str):
        raise ValueError("history must be a JSON string")
    if len(history_json) > MAX_HISTORY_CHARS:
        raise ValueError(f"history is {len(history_json):,} characters; the limit is {MAX_HISTORY_CHARS:,}")
    try:
        data = json.loads(history_json or "[]")
    except RecursionError:
        raise ValueError("history is nested too deeply to be a list of pairs") from None
    if not isinstance(data, list):
        raise ValueError("history must be a JSON list")
    pairs = []
    for entry in data:
        if isinstance(entry, dict):
            entry = [entry.get("question"), entry.get("answer")]
        if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry)):
            raise ValueError('history entries must be ["question", "answer"] pairs')
        if any("\ud800" <= c <= "\udfff" for text in entry for c in text):
            raise ValueError("history holds a lone surrogate (not UTF-8 text)")
        pairs.append((entry[0], entry[1]))
    return pairs


class ChatController:
    """The logic behind each UI event, around an assistant (or a Future of one, while it loads)."""

    def __init__(self, assistant: Assistant | Future[Assistant]) -> None:
        self._source = assistant
        self._feedback_limit = RateLimit(per_minute=FEEDBACK_PER_MINUTE)

    @property
    def bot(self) -> Assistant:
        """Return the assistant, waiting for it if it is still loading."""
        return loaded(self._source)

    def loading_status(self) -> tuple[str, bool]:
        """Return (banner HTML, still loading?)."""
        source = self._source
        if isinstance(source, Future):
            if not source.done():
                return render_notice(LOADING), True
            error = source.exception()
            if error:
                return render_notice(f"The assistant could not start: {error}", "error"), False
        warning = self.bot.corpus_warning
        notice = f"{warning} Answers leave these files out until they are fixed." if warning else ""
        return (render_notice(notice, "warning") if notice else ""), False

    def configured(self, backend: str | None) -> Assistant:
        """Return the assistant with the chosen backend (a cheap copy). How many passages are
        retrieved is the settings' `top_k`: a tuning knob for developers, not a choice for readers."""
        bot = self.bot
        if backend and backend != bot.settings.backend:
            return bot.with_settings(backend=backend)
        return bot

    def respond(
        self,
        question: str | None,
        messages: list[Message],
        turns: list[Turn],
        backend: str | None = None,
        details: bool = False,
    ) -> Iterator[tuple[list[Message], list[Turn], str, str]]:
        """Yield (messages, turns, notice, returned) as the answer streams in; `returned` is the
        question to give back to the input box when it could not be asked, else ''.

        Nothing here writes to the input box: the page empties it in the browser as the question is
        sent, so what the user types while the answer streams stays."""
        question = question or ""
        if not question.strip():
            yield messages, turns, render_notice(EMPTY_QUESTION), ""
            return
        shown = [*messages, _user(question)]
        yield [*shown, _bot(render_partial(""))], turns, "", ""
        try:
            bot = self.configured(backend)
            answer, text = None, ""
            for piece in bot.stream(question, history_pairs(turns)):
                if isinstance(piece, str):
                    text += piece
                    yield [*shown, _bot(render_partial(text))], turns, "", ""
                else:
                    answer = piece
            if answer is None:
                raise RuntimeError("the assistant's stream ended without an answer")
        except QuestionError as exc:
            yield messages, turns, render_notice(str(exc), "error"), question
            return
        except Exception as exc:  # a backend or index failure: tell the user, keep the log
            log.exception("answering failed")
            yield [*shown, _bot(render_notice(f"Answering failed: {exc}", "error"))], turns, "", ""
            return
        turn = _turn(question, turns, answer, bot, len(shown))
        follows = str(turns[-1].get("question", "")) if turns else ""
        shown_answer = render_answer(answer, bot.reviews, len(turns), question, bool(details), follows)
        message = _bot(shown_answer)
        yield [*shown, message], [*turns, turn], "", ""

    def stopped(self, messages: list[Message]) -> list[Message]:
        """The chat after the user stopped an answer: the words written so far stay, marked as stopped
        (no thumbs, no copy); the stopped answer joins no turn, so follow-ups don't build on it."""
        if not messages or messages[-1].get("role") != "assistant":
            return messages
        last = messages[-1]
        return [*messages[:-1], {**last, "content": mark_stopped(str(last.get("content", "")))}]

    def open_passage(self, review_id: str, start: Any, end: Any) -> str:
        """Return the viewer HTML: the whole review with the span marked."""
        review = self.bot.reviews.get(str(review_id))
        try:
            span = int(start), int(end)
        except (TypeError, ValueError):
            span = (0, 0)
        if review is None:
            return render_notice(f"Review {review_id!r} is not in the corpus any more.", "error")
        return render_review(review, *span)

    def record_feedback(
        self, turns: list[Turn], index: Any, liked: bool | str | None, client: str = "local"
    ) -> bool:
        """Append feedback for the answer at chat message `index`; False if there is none, it is not
        storable (a rating other than up / down, a record over the size cap), or `client` has sent
        more than `FEEDBACK_PER_MINUTE` records in the last minute."""
        if not self._feedback_limit.allow(client):
            return False
        turn = _turn_at(turns, index)
        if turn is None or not isinstance(turn.get("answer"), dict):
            return False
        return self._write(lambda: feedback_record(turn, liked))

    def record_reason(self, answer_id: object, reason: object, client: str = "local") -> bool:
        """Append the reason for a thumbs-down (`feedback.reason_record`); False when it is empty,
        too big, or `client` is over its rate limit."""
        if not answer_id or not self._feedback_limit.allow(client):
            return False
        return self._write(lambda: reason_record(answer_id, reason))

    def disliked_answer(self, turns: list[Turn], index: Any) -> str:
        """The answer id of the chat message at `index`, for the reason box ('' if there is none)."""
        turn = _turn_at(turns, index)
        return str(turn.get("id") or "") if turn else ""

    def _write(self, make_record: Callable[[], dict[str, Any]]) -> bool:
        """Append the record to the feedback file; False when it cannot be stored (FeedbackError)."""
        try:
            write_feedback(Path(self.bot.settings.feedback_path), make_record())
        except FeedbackError:
            return False
        return True

    def ask_api(self, question: str, history_json: str = "[]") -> dict[str, Any]:
        """Return the answer to `question` as JSON data; history is '[["question", "answer"], ...]'."""
        try:
            history = parse_history(history_json)
        except ValueError as exc:
            raise gr.Error(f"Bad history: {exc}") from None
        try:
            answer = self.bot.ask(question, history)
        except QuestionError as exc:
            raise gr.Error(str(exc)) from None
        return answer.to_dict()


def _user(question: str) -> Message:
    return {"role": "user", "content": escape_user_text(question)}


def _bot(content: str) -> Message:
    return {"role": "assistant", "content": content}


def _turn_at(turns: list[Turn], index: Any) -> Turn | None:
    """The turn whose answer is chat message `index` (Gradio sends an int or an [i, j] pair)."""
    position = index[0] if isinstance(index, list | tuple) else index
    return next((t for t in turns if isinstance(t, dict) and t.get("message_index") == position), None)


def _turn(question: str, turns: list[Turn], answer: Any, bot: Assistant, index: int) -> Turn:
    return {
        "id": uuid.uuid4().hex[:12],
        "message_index": index,
        "question": question,
        "history": [list(pair) for pair in history_pairs(turns)],
        "answer": answer.to_dict(),
        "backend": bot.settings.backend,
        "top_k": bot.settings.top_k,
    }
