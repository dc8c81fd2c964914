"""The web chat's page: `build_app(assistant) -> gr.Blocks`, a thin Gradio shell around `ChatController`,
and `serve(settings)`, which starts it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ..config import Settings
from ..corpus import CorpusError, read_corpus
from .render import (
    STYLE,
    VIEWER_JS,
)

if TYPE_CHECKING:
    from ..bot import Assistant

from .controller import EXAMPLES, VIEWER_HINT, ChatController, Turn, backend_choices
from .sources_controller import SourcesController
from .sources_tab import sources_panel, wire_sources

log = logging.getLogger(__name__)


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
            sources = sources_panel()
        _wire_chat(controller, chat)
        _wire_loading(controller, app, banner)
        wire_sources(SourcesController(assistant), app, sources_tab, sources)
        gr.api(controller.ask_api, api_name="ask")
    return app


def welcome_text(settings: Settings) -> str:
    """What the empty chat says: which reviews the answers come from, and how to start."""
    try:
        reviews = read_corpus(Path(settings.corpus_dir)).reviews
    except CorpusError:
        reviews = ()
    listed = "\n".join(f"- {review.label}" for review in reviews)
    count = f"{len(reviews)} review{'s' if len(reviews) != 1 else ''}"
    return (
        f"**I answer questions about *Ai Weiwei: Never Sorry* (2012) from {count} of the film:**\n\n"
        f"{listed}\n\nEvery answer cites the passages it rests on; when the reviews don't say, I say so. "
        "Try one of the questions below."
    )


def _chat_panel(settings: Settings) -> dict[str, Any]:
    """Lay out the chat tab; return its components by name."""
    parts: dict[str, Any] = {"messages": gr.State([]), "turns": gr.State([])}
    with gr.Row():
        with gr.Column(scale=3):
            parts["chatbot"] = gr.Chatbot(
                elem_id="chat",
                # The input stays in the first screen, desktop or phone, with the loading banner shown.
                height="calc(100dvh - 500px)",
                min_height=220,
                latex_delimiters=[],
                show_label=False,
                layout="panel",
                buttons=[],  # the built-in copy puts HTML on the clipboard; ours copy plain text
                placeholder=welcome_text(settings),
            )
            # Right under the answers, next to the thumbs that open it.
            with gr.Group(visible=False, elem_id="reason-box") as parts["reason_box"]:
                parts["reason"] = gr.Textbox(
                    label="What was wrong with this answer? (optional)",
                    placeholder="e.g. the review says 81 days, not 3 months",
                    max_length=1000,
                    lines=2,
                )
                with gr.Row():
                    parts["reason_send"] = gr.Button("Send", size="sm", variant="primary")
                    parts["reason_skip"] = gr.Button("Skip", size="sm", variant="secondary")
            parts["reason_for"] = gr.State("")
            parts["notice"] = gr.HTML(elem_id="notice")
            with gr.Row(elem_id="examples"):
                parts["examples"] = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
            parts["textbox"] = gr.Textbox(
                placeholder="Ask about the film, e.g. who directed it",
                show_label=False,
                submit_btn=True,
                elem_id="question",
            )
            # A question that could not be asked (too long, …), to give back to the input box.
            parts["returned"] = gr.State("")
            # Shown (chat.css) exactly while an answer bubble is being written, whichever question's.
            parts["stop"] = gr.Button("Stop", size="sm", variant="stop", elem_id="stop-answer")
            with gr.Row(elem_id="chat-actions"):
                compact: dict[str, Any] = {"size": "sm", "variant": "secondary", "scale": 0, "min_width": 150}
                parts["copy_chat"] = gr.Button("Copy conversation", **compact)
                parts["new_chat"] = gr.Button("New chat", elem_id="new-chat", **compact)
        with gr.Column(scale=2):
            with gr.Accordion("Settings", open=False):
                runnable, hint = backend_choices()
                default = settings.backend if settings.backend in runnable else runnable[0]
                parts["backend"] = gr.Dropdown(
                    runnable, value=default, label="Answer backend", info=hint or None
                )
                parts["details"] = gr.Checkbox(False, label="Show details (timings, backend)")
            parts["viewer"] = gr.HTML(
                VIEWER_HINT, js_on_load=VIEWER_JS, elem_id="review-viewer", max_height=760
            )
    return parts


#: Runs in the browser as a question is sent: passes on the question as it stood when Enter was
#: pressed (static/viewer.js keeps it), and leaves in the input box only what was typed after it.
#: Gradio reads the box a moment after the key; a busy page had appended the next typed letters by
#: then ("Who directed the film?H").
SEND_QUESTION = """(question, ...rest) => {
  const captured = window.__nsSent;
  window.__nsSent = undefined;
  const sent = typeof captured === 'string' && captured && question.startsWith(captured)
    ? captured : question;
  const box = document.querySelector('#question textarea');
  if (box) {
    box.value = box.value.startsWith(sent) ? box.value.slice(sent.length) : '';
    box.dispatchEvent(new Event('input', {bubbles: true}));
  }
  return [sent, ...rest];
}"""


def _wire_chat(controller: ChatController, parts: dict[str, Any]) -> None:
    """Connect the chat events: ask, examples, new chat, passage clicks, feedback."""
    chatbot, messages, textbox = parts["chatbot"], parts["messages"], parts["textbox"]
    outputs = [chatbot, messages, parts["turns"], parts["notice"], parts["returned"]]
    answer_inputs = [messages, parts["turns"], parts["backend"], parts["details"]]

    def respond(question: str, *state: Any) -> Iterator[tuple[Any, ...]]:
        for shown, *rest in controller.respond(question, *state):
            yield (shown, shown, *rest)

    def give_back(returned: str, typed: str) -> Any:
        """Put a question that could not be asked back in the input box, unless the user typed anew."""
        return returned if returned and not typed else gr.skip()

    private: dict[str, Any] = {"api_visibility": "private", "trigger_mode": "multiple"}
    # The question is read from the box and the box emptied in the browser in one step, as it is sent
    # (SEND_QUESTION); no later step writes to the box. Emptied by the answer's first update instead,
    # the box lost what the user had typed meanwhile; moved through a hidden box by one step and read
    # from there by the next, a question could be read before it arrived (and asked as empty).
    # "multiple": a question sent while another is being answered waits its turn, not dropped.
    asks: list[tuple[Any, Any, str | None]] = [(textbox.submit, textbox, SEND_QUESTION)]
    asks += [(button.click, button, None) for button in parts["examples"]]
    answering = []
    for trigger, question, js in asks:
        answer = trigger(
            respond, [question, *answer_inputs], outputs, js=js, concurrency_id="chat", **private
        )
        answer.then(give_back, [parts["returned"], textbox], textbox, queue=False, **private)
        answering.append(answer)

    def stopped(messages_now: list[Any]) -> tuple[Any, Any]:
        marked = controller.stopped(messages_now)
        return marked, marked

    # No show / hide steps for Stop: chat.css shows it while a bubble is being written. Hidden after
    # each answer instead, it went away when a first answer ended while a second was still written.
    parts["stop"].click(stopped, messages, [chatbot, messages], cancels=answering, api_visibility="private")
    parts["copy_chat"].click(
        None, js="() => { navigator.clipboard.writeText(window.__nsPlainChat()); }", api_visibility="private"
    )
    for reset in (parts["new_chat"].click, chatbot.clear):
        reset(
            lambda: ([], [], [], "", "", VIEWER_HINT),
            None,
            [chatbot, messages, parts["turns"], textbox, parts["notice"], parts["viewer"]],
            api_visibility="private",
        )

    def open_passage(event: gr.EventData) -> str:
        field = lambda name: getattr(event, name, None)  # noqa: E731 - the span sent by VIEWER_JS
        return controller.open_passage(field("review_id") or "", field("start"), field("end"))

    parts["viewer"].click(open_passage, outputs=parts["viewer"], api_visibility="private")

    def like(turns: list[Turn], event: gr.LikeData, request: gr.Request) -> tuple[Any, str, str]:
        """Store the thumb; after a thumbs-down, open the box that asks what was wrong."""
        client = request.client.host if request and request.client else "unknown"
        saved = controller.record_feedback(turns, event.index, event.liked, client)
        if saved and event.liked is False:
            return gr.update(visible=True), controller.disliked_answer(turns, event.index), ""
        if saved:
            gr.Info("Thanks, your feedback was saved.")
        return gr.update(visible=False), "", ""

    reason_outputs = [parts["reason_box"], parts["reason_for"], parts["reason"]]
    parts["chatbot"].like(like, parts["turns"], reason_outputs, api_visibility="private")

    def send_reason(answer_id: str, reason: str, request: gr.Request) -> tuple[Any, str, str]:
        client = request.client.host if request and request.client else "unknown"
        if controller.record_reason(answer_id, reason, client):
            gr.Info("Thanks, your feedback was saved.")
        return gr.update(visible=False), "", ""

    parts["reason_send"].click(
        send_reason, [parts["reason_for"], parts["reason"]], reason_outputs, api_visibility="private"
    )
    parts["reason_skip"].click(
        lambda: (gr.update(visible=False), "", ""), None, reason_outputs, api_visibility="private"
    )


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
    started = time.perf_counter()

    def on_progress(done: int, total: int) -> None:
        print(f"\rBuilding the index: {done}/{total} chunks", end="\n" if done == total else "", flush=True)

    try:
        from ..bot import load_assistant

        bot = load_assistant(settings, on_progress=on_progress)
    except Exception as exc:
        print(f"The assistant could not start: {exc}", flush=True)
        raise
    print(f"Assistant ready in {time.perf_counter() - started:.1f} s.", flush=True)
    return bot
