"""The Sources tab's page: the review list, adding a review from an uploaded page, removing one (a
second click confirms), updating the index or rebuilding it from scratch. A thin Gradio shell around
`SourcesController`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from ..corpus_edits import MAX_PAGE_BYTES
from .sources_controller import SourcesController

#: Index jobs share no queue slot: a click while one runs reaches the controller, which says so.
JOB_EVENT: dict[str, Any] = {
    "concurrency_id": "index-jobs",
    "concurrency_limit": None,
    "api_visibility": "private",
}


def sources_panel() -> dict[str, Any]:
    """Lay out the Sources tab (inside a `gr.Tab`); return its components by name."""
    parts: dict[str, Any] = {"sources": gr.HTML(elem_id="sources")}
    with gr.Row(elem_id="index-actions"):
        parts["update"] = gr.Button("Update index", elem_id="update-index", variant="primary")
        parts["rebuild"] = gr.Button("Rebuild from scratch", elem_id="rebuild-index", variant="secondary")
    parts["notice"] = gr.HTML(elem_id="sources-notice")
    parts["job"] = gr.HTML(elem_id="index-job")
    with gr.Accordion("Add a review", elem_id="add-review"):
        # No `file_types`: Gradio would refuse another kind with its own terse error before the
        # controller could say what is accepted and why.
        parts["page"] = gr.File(
            label=f"Review page: .txt, .md or .html, up to {MAX_PAGE_BYTES // 1_000_000} MB",
            type="filepath",
            elem_id="review-page",
        )
        with gr.Row():
            parts["title"] = gr.Textbox(label="Title (required)", max_length=300, elem_id="review-title")
            parts["outlet"] = gr.Textbox(label="Outlet", max_length=300, elem_id="review-outlet")
            parts["author"] = gr.Textbox(label="Author", max_length=300, elem_id="review-author")
            parts["date"] = gr.Textbox(
                label="Date", placeholder="2012-07-27 or July 2012", max_length=300, elem_id="review-date"
            )
        parts["add"] = gr.Button("Add review", elem_id="add-review-button")
    with gr.Accordion("Remove a review", elem_id="remove-review"):
        parts["choice"] = gr.Dropdown([], label="Review", value=None, elem_id="remove-choice")
        with gr.Row():
            compact: dict[str, Any] = {"size": "sm", "scale": 0, "min_width": 130}
            parts["remove"] = gr.Button("Remove…", variant="stop", elem_id="remove-review-button", **compact)
            parts["confirm"] = gr.Button(
                "Confirm remove", variant="stop", visible=False, elem_id="confirm-remove", **compact
            )
            parts["cancel"] = gr.Button("Cancel", visible=False, elem_id="cancel-remove", **compact)
        parts["pending"] = gr.State("")
    return parts


def wire_sources(controller: SourcesController, app: gr.Blocks, tab: gr.Tab, parts: dict[str, Any]) -> None:
    """Connect the Sources tab's events to `controller`."""
    listing = [parts["sources"], parts["choice"]]

    def refreshed() -> tuple[str, Any]:
        return controller.sources(), gr.update(choices=controller.review_choices(), value=None)

    for event in (app.load, tab.select):
        event(refreshed, outputs=listing, api_visibility="private")
    outputs = [parts["notice"], parts["job"]]
    page_fields = [parts[name] for name in ("page", "title", "outlet", "author", "date")]
    jobs: list[tuple[Any, Callable[..., Any], list[Any], list[Any]]] = [
        (parts["update"], controller.update, [], outputs),
        (parts["rebuild"], controller.rebuild_all, [], outputs),
        # Once added, the form is emptied for the next review; a refused page stays to be fixed.
        (parts["add"], controller.add_from_form, page_fields, outputs + page_fields),
    ]
    for button, job, inputs, changed in jobs:
        button.click(job, inputs, changed, **JOB_EVENT).then(
            refreshed, outputs=listing, api_visibility="private"
        )
    _wire_remove(controller, parts, refreshed)


def _wire_remove(controller: SourcesController, parts: dict[str, Any], refreshed: Any) -> None:
    """Remove… asks; Confirm remove (shown only then) removes the review it asked about; Cancel or
    choosing another review withdraws the question."""
    asking = [parts["notice"], parts["pending"], parts["confirm"], parts["cancel"]]

    def ask_to_confirm(review_id: str | None) -> tuple[str, str, Any, Any]:
        question, pending = controller.ask_remove(review_id)
        return question, pending, gr.update(visible=bool(pending)), gr.update(visible=bool(pending))

    def withdrawn() -> tuple[str, str, Any, Any]:
        return "", "", gr.update(visible=False), gr.update(visible=False)

    parts["remove"].click(ask_to_confirm, parts["choice"], asking, api_visibility="private")
    for event in (parts["cancel"].click, parts["choice"].input):
        event(withdrawn, None, asking, api_visibility="private")
    buttons = [parts["confirm"], parts["cancel"]]
    hidden = lambda: (gr.update(visible=False), gr.update(visible=False))  # noqa: E731
    confirmed = parts["confirm"].click(hidden, None, buttons, queue=False, api_visibility="private")
    removed = confirmed.then(
        controller.remove, parts["pending"], [parts["notice"], parts["job"]], **JOB_EVENT
    )
    removed.then(lambda: "", None, parts["pending"], api_visibility="private").then(
        refreshed, outputs=[parts["sources"], parts["choice"]], api_visibility="private"
    )
