"""The web chat: `build_app(assistant) -> gr.Blocks`, a thin Gradio shell around `ChatController`.

`ChatController` holds the logic of every event (answer, open a passage, feedback, sources, rebuild)
and knows nothing of Gradio's layout, so tests drive it with a fake assistant.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from .answering import BACKENDS, QuestionError
from .config import Settings
from .feedback import FeedbackError, feedback_record, write_feedback
from .indexing import IndexState, IndexStatus
from .render import (
    STYLE,
    VIEWER_JS,
    escape_text,
    render_answer,
    render_notice,
    render_partial,
    render_review,
    render_sources,
)

if TYPE_CHECKING:
    from .bot import Assistant

log = logging.getLogger(__name__)

EXAMPLES = (
    "Who directed the film?",
    "How long was Ai Weiwei detained?",
    "What did he install at Tate Modern?",
)
EMPTY_QUESTION = "Type a question about the film first, or pick one of the examples below."
VIEWER_HINT = "<p class='viewer-hint'>Click a cited passage to read it in its review.</p>"

LOADING = "Loading the reviews and models (the first start also builds the index)…"

Message = dict[str, str]
Turn = dict[str, Any]


def history_pairs(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """Return (question, answer text) for every answered turn, oldest first."""
    return [(t["question"], t["answer"]["text"]) for t in turns if t.get("answer")]


def parse_history(history_json: str) -> list[tuple[str, str]]:
    """Return pairs from '[["q", "a"], ...]' or '[{"question": .., "answer": ..}]'; raise ValueError."""
    data = json.loads(history_json or "[]")
    if not isinstance(data, list):
        raise ValueError("history must be a JSON list")
    pairs = []
    for entry in data:
        if isinstance(entry, dict):
            entry = [entry.get("question"), entry.get("answer")]
        if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry)):
            raise ValueError('history entries must be ["question", "answer"] pairs')
        pairs.append((entry[0], entry[1]))
    return pairs


class ChatController:
    """The logic behind each UI event, around an assistant (or a Future of one, while it loads)."""

    def __init__(self, assistant: Assistant | Future[Assistant]) -> None:
        self._source = assistant

    @property
    def bot(self) -> Assistant:
        """Return the assistant, waiting for it if it is still loading."""
        if isinstance(self._source, Future):
            return self._source.result()
        return self._source

    def loading_status(self) -> tuple[str, bool]:
        """Return (banner HTML, still loading?)."""
        source = self._source
        if not isinstance(source, Future):
            return "", False
        if not source.done():
            return render_notice(LOADING), True
        error = source.exception()
        return (render_notice(f"The assistant could not start: {error}", "error") if error else ""), False

    def configured(self, backend: str | None, top_k: float | None) -> Assistant:
        """Return the assistant with the chosen backend and passage count (a cheap copy)."""
        bot = self.bot
        changes: dict[str, Any] = {}
        if backend and backend != bot.settings.backend:
            changes["backend"] = backend
        if top_k and int(top_k) != bot.settings.top_k:
            changes["top_k"] = int(top_k)
        return bot.with_settings(**changes) if changes else bot

    def respond(
        self,
        question: str | None,
        messages: list[Message],
        turns: list[Turn],
        backend: str | None = None,
        top_k: float | None = None,
    ) -> Iterator[tuple[list[Message], list[Turn], str, str]]:
        """Yield (messages, turns, textbox, notice) as the answer streams in."""
        question = question or ""
        if not question.strip():
            yield messages, turns, "", render_notice(EMPTY_QUESTION)
            return
        shown = [*messages, _user(question)]
        yield [*shown, _bot(render_partial(""))], turns, "", ""
        try:
            bot = self.configured(backend, top_k)
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
            yield messages, turns, question, render_notice(str(exc), "error")
            return
        except Exception as exc:  # a backend or index failure: tell the user, keep the log
            log.exception("answering failed")
            yield [*shown, _bot(render_notice(f"Answering failed: {exc}", "error"))], turns, "", ""
            return
        turn = _turn(question, turns, answer, bot, len(shown))
        yield [*shown, _bot(render_answer(answer, bot.reviews, len(turns), question))], [*turns, turn], "", ""

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

    def record_feedback(self, turns: list[Turn], index: Any, liked: bool | str | None) -> bool:
        """Append feedback for the answer at chat message `index`; False if there is none or it is
        not storable (a rating other than up / down, a record over the size cap)."""
        position = index[0] if isinstance(index, list | tuple) else index
        turn = next((t for t in turns if isinstance(t, dict) and t.get("message_index") == position), None)
        if turn is None or not isinstance(turn.get("answer"), dict):
            return False
        try:
            write_feedback(Path(self.bot.settings.feedback_path), feedback_record(turn, liked))
        except FeedbackError:
            return False
        return True

    def sources(self) -> str:
        """Return the Sources tab HTML."""
        bot = self.bot
        try:
            status = bot.index_status()
        except Exception as exc:  # a broken corpus file must not hide the rest of the tab
            status = IndexStatus(IndexState.UNKNOWN, str(exc))
        return render_sources(bot.reviews, status)

    def rebuild(self) -> Iterator[str]:
        """Rebuild the index in a thread, yielding progress lines, then its summary."""
        progress = [0, 0]
        outcome: dict[str, Any] = {}
        worker = threading.Thread(target=self._rebuild_into, args=(progress, outcome), daemon=True)
        worker.start()
        yield render_notice("Rebuilding the index…")
        while worker.is_alive():
            worker.join(0.5)
            if progress[1]:
                yield render_notice(f"Rebuilding the index: embedded {progress[0]} of {progress[1]} chunks…")
        if "error" in outcome:
            yield render_notice(f"Rebuild failed: {outcome['error']}", "error")
        else:
            yield render_notice(f"Index rebuilt: {outcome['report'].summary()}")

    def _rebuild_into(self, progress: list[int], outcome: dict[str, Any]) -> None:
        def on_progress(done: int, total: int) -> None:
            progress[:] = [done, total]

        try:
            outcome["report"] = self.bot.rebuild_index(on_progress=on_progress)
        except Exception as exc:
            log.exception("index rebuild failed")
            outcome["error"] = exc

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
    return {"role": "user", "content": escape_text(question)}


def _bot(content: str) -> Message:
    return {"role": "assistant", "content": content}


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


def build_app(assistant: Assistant | Future[Assistant], settings: Settings | None = None) -> gr.Blocks:
    """Return the Gradio app around `assistant` (or a Future of it: the page opens while it loads)."""
    if settings is None:
        settings = assistant.settings if not isinstance(assistant, Future) else Settings.from_env()
    controller = ChatController(assistant)
    with gr.Blocks(title="Ai Weiwei: Never Sorry — review assistant") as app:
        gr.HTML(f"<style>{STYLE}</style>", js_on_load=None)
        gr.Markdown(
            "## Ai Weiwei: Never Sorry — ask the reviews\n"
            "Answers come only from the film's reviews; every claim cites the passage it rests on."
        )
        banner = gr.HTML(controller.loading_status()[0])
        with gr.Tab("Chat"):
            chat = _chat_panel(settings)
        with gr.Tab("Sources") as sources_tab:
            sources = gr.HTML(elem_id="sources")
            rebuild_button = gr.Button("Rebuild index", elem_id="rebuild-index")
            rebuild_status = gr.HTML(elem_id="rebuild-status")
        _wire_chat(controller, chat)
        _wire_loading(controller, app, banner)
        for event in (app.load, sources_tab.select):
            event(controller.sources, outputs=sources, api_visibility="private")
        rebuild_button.click(
            controller.rebuild, outputs=rebuild_status, concurrency_id="rebuild", api_visibility="private"
        ).then(controller.sources, outputs=sources, api_visibility="private")
        gr.api(controller.ask_api, api_name="ask")
    return app


def _chat_panel(settings: Settings) -> dict[str, Any]:
    """Lay out the chat tab; return its components by name."""
    parts: dict[str, Any] = {"messages": gr.State([]), "turns": gr.State([])}
    with gr.Row():
        with gr.Column(scale=3):
            parts["chatbot"] = gr.Chatbot(
                elem_id="chat",
                height="70vh",
                min_height=420,
                latex_delimiters=[],
                show_label=False,
                layout="panel",
                buttons=["copy", "copy_all"],
            )
            parts["textbox"] = gr.Textbox(
                placeholder="Ask about the film, e.g. who directed it", show_label=False, submit_btn=True
            )
            parts["notice"] = gr.HTML(elem_id="notice")
            with gr.Row():
                parts["examples"] = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
                parts["new_chat"] = gr.Button("New chat", size="sm", variant="stop", elem_id="new-chat")
        with gr.Column(scale=2):
            with gr.Accordion("Settings", open=False):
                parts["backend"] = gr.Dropdown(list(BACKENDS), value=settings.backend, label="Answer backend")
                parts["top_k"] = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages retrieved")
            parts["viewer"] = gr.HTML(
                VIEWER_HINT, js_on_load=VIEWER_JS, elem_id="review-viewer", max_height=760
            )
    return parts


def _wire_chat(controller: ChatController, parts: dict[str, Any]) -> None:
    """Connect the chat events: ask, examples, new chat, passage clicks, feedback."""
    chatbot, messages = parts["chatbot"], parts["messages"]
    outputs = [chatbot, messages, parts["turns"], parts["textbox"], parts["notice"]]
    answer_inputs = [messages, parts["turns"], parts["backend"], parts["top_k"]]

    def respond(question: str, *state: Any) -> Iterator[tuple[Any, ...]]:
        for shown, *rest in controller.respond(question, *state):
            yield (shown, shown, *rest)

    asks = [(parts["textbox"].submit, parts["textbox"])]
    asks += [(button.click, button) for button in parts["examples"]]
    for trigger, question in asks:
        trigger(respond, [question, *answer_inputs], outputs, concurrency_id="chat", api_visibility="private")
    for reset in (parts["new_chat"].click, chatbot.clear):
        reset(
            lambda: ([], [], [], "", "", VIEWER_HINT),
            None,
            [*outputs, parts["viewer"]],
            api_visibility="private",
        )

    def open_passage(event: gr.EventData) -> str:
        field = lambda name: getattr(event, name, None)  # noqa: E731 - the span sent by VIEWER_JS
        return controller.open_passage(field("review_id") or "", field("start"), field("end"))

    parts["viewer"].click(open_passage, outputs=parts["viewer"], api_visibility="private")

    def like(turns: list[Turn], event: gr.LikeData) -> None:
        if controller.record_feedback(turns, event.index, event.liked):
            gr.Info("Thanks, your feedback was saved.")

    parts["chatbot"].like(like, parts["turns"], None, api_visibility="private")


def _wire_loading(controller: ChatController, app: gr.Blocks, banner: gr.HTML) -> None:
    """Poll the loading assistant once a second until it is ready, updating the banner."""
    loading = controller.loading_status()[1]
    timer = gr.Timer(1.0, active=loading)

    def tick() -> tuple[str, gr.Timer]:
        text, still_loading = controller.loading_status()
        return text, gr.Timer(active=still_loading)

    timer.tick(tick, outputs=[banner, timer], api_visibility="private")
    app.load(tick, outputs=[banner, timer], api_visibility="private")


def server_address(settings: Settings, environ: Mapping[str, str] | None = None) -> tuple[str, int]:
    """Return (host, port): GRADIO_SERVER_NAME / GRADIO_SERVER_PORT win over the settings."""
    environ = os.environ if environ is None else environ
    host = environ.get("GRADIO_SERVER_NAME") or settings.host
    return host, int(environ.get("GRADIO_SERVER_PORT") or settings.port)


def serve(settings: Settings) -> None:
    """Open the chat at once and load the assistant in the background; serve until interrupted."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    host, port = server_address(settings)
    print("Loading the reviews and models in the background (about 10 s)…", flush=True)
    loading = ThreadPoolExecutor(max_workers=1, thread_name_prefix="load").submit(_load, settings)
    app = build_app(loading, settings)
    app.launch(server_name=host, server_port=port)


def _load(settings: Settings) -> Assistant:
    from .bot import load_assistant

    started = time.perf_counter()

    def on_progress(done: int, total: int) -> None:
        print(f"\rBuilding the index: {done}/{total} chunks", end="\n" if done == total else "", flush=True)

    try:
        bot = load_assistant(settings, on_progress=on_progress)
    except Exception as exc:
        print(f"The assistant could not start: {exc}", flush=True)
        raise
    print(f"Assistant ready in {time.perf_counter() - started:.1f} s.", flush=True)
    return bot
