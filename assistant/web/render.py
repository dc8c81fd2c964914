"""HTML for the web chat: answers with linked `[n]` markers, passage chips, the review viewer, sources.

Every piece of review or user text goes through `escape_text` (html.escape) before it is placed in
HTML, so markup inside a review file is shown as text and never runs. The chat output never contains
a blank line: the chatbot renders messages as Markdown, and a blank line would end the HTML block.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..index_state import IndexState, IndexStatus

#: Characters of review text shown on each side of a quoted span in an unfolded passage chip.
CONTEXT_CHARS = 240

_MARKER_RE = re.compile(r"\[(\d{1,3})\]")

if TYPE_CHECKING:
    from ..answering import Answer
    from ..citations import Citation
    from ..corpus import Review


def escape_text(text: str) -> str:
    """Return text as inert HTML with line breaks kept: 'a <b>\\nc' -> 'a &lt;b&gt;<br>c'."""
    return html.escape(text, quote=True).replace("\r\n", "\n").replace("\n", "<br>")


# Characters Markdown gives meaning to (and ':' '@' '.', which make autolinks); as numeric entities
# they show as themselves and mean nothing.
_MARKDOWN_ACTIVE = {c: f"&#{ord(c)};" for c in "\\`*_{}[]()#+-.!|~:@"}


def escape_user_text(text: str) -> str:
    """Return what the user typed as inert HTML *and* Markdown: an image or link in a question is shown
    as typed and never fetched.

    >>> escape_user_text("![x](http://e.test/a.png) <b> &#33;")
    '&#33;&#91;x&#93;&#40;http&#58;//e&#46;test/a&#46;png&#41; &lt;b&gt; &amp;&#35;33;'
    """
    inert = "".join(_MARKDOWN_ACTIVE.get(c) or html.escape(c, quote=True) for c in text)
    return inert.replace("\r\n", "\n").replace("\n", "<br>")


def cite_anchor(turn: int, number: int) -> str:
    """Return the element id of passage chip `number` under answer `turn`: (2, 1) -> 'cite-2-1'."""
    return f"cite-{turn}-{number}"


_BOLD_RE = re.compile(r"\*\*([^*<>]+?)\*\*")


def link_markers(text: str, turn: int, numbers: set[int]) -> str:
    """Return escaped text whose `[n]` markers (n in numbers) link to their passage chips, and whose
    **answer words** (the extractive backend marks them so) are in <strong>."""

    def link(match: re.Match[str]) -> str:
        number = int(match.group(1))
        if number not in numbers:
            return match.group(0)
        return f'<a class="cite-marker" href="#{cite_anchor(turn, number)}">[{number}]</a>'

    return _BOLD_RE.sub(r"<strong>\1</strong>", _MARKER_RE.sub(link, escape_text(text)))


def highlight(text: str, start: int, end: int, context: int | None = None) -> str:
    """Return escaped text with [start, end) in <mark>, cut to `context` chars each side if given."""
    before_from = 0 if context is None else _word_start(text, max(0, start - context))
    after_to = len(text) if context is None else _word_end(text, min(len(text), end + context))
    lead = "… " if before_from > 0 else ""
    tail = " …" if after_to < len(text) else ""
    return (
        f"{lead}{escape_text(text[before_from:start])}<mark>{escape_text(text[start:end])}</mark>"
        f"{escape_text(text[end:after_to])}{tail}"
    )


def _word_start(text: str, index: int) -> int:
    space = text.find(" ", index)
    return index if index == 0 or space == -1 or space - index > 20 else space + 1


def _word_end(text: str, index: int) -> int:
    space = text.rfind(" ", 0, index)
    return index if index == len(text) or space == -1 or index - space > 20 else space


def render_label(label: str) -> str:
    """Return a review label as a title and the part that tells it apart, which a narrow chip keeps
    in view while the shared title is cut short:
    'Never Sorry (2012-09-18)' -> '<span class="passage-name">Never Sorry</span> <span
    class="passage-which">(2012-09-18)</span>' (escaped)."""
    title, paren, which = label.rpartition(" (")
    if not (paren and title and label.endswith(")")):
        return f'<span class="passage-name">{escape_text(label)}</span>'
    return (
        f'<span class="passage-name">{escape_text(title)}</span> '
        f'<span class="passage-which">({escape_text(which)}</span>'
    )


def passage_href(review_id: str, start: int, end: int) -> str:
    """Return the link that opens a span in the review viewer: '#passage=review-1:10:20'."""
    return html.escape(f"#passage={quote(review_id, safe='')}:{start}:{end}", quote=True)


def render_passage(citation: Citation, review: Review | None, turn: int) -> str:
    """Return the chip for one cited passage: '[n] review label' (the label holds the date when the
    review gives one), which unfolds (<details>, no script) to the quote marked in its context and a
    link that opens it in the review viewer."""
    if review is not None and review.text[citation.start : citation.end] == citation.quote:
        body = highlight(review.text, citation.start, citation.end, CONTEXT_CHARS)
    else:
        body = f"<mark>{escape_text(citation.quote)}</mark>"
    return (
        f'<details class="passage" id="{cite_anchor(turn, citation.number)}">'
        f'<summary class="passage-chip"><span class="passage-num">[{citation.number}]</span> '
        f'<span class="passage-title">{render_label(review.label if review else citation.label)}</span>'
        f'</summary><div class="passage-context">{body}</div>'
        f'<a class="open-passage" href="{passage_href(citation.review_id, citation.start, citation.end)}">'
        "Open in the review ›</a></details>"
    )


def render_passages(citations: Sequence[Citation], reviews: Mapping[str, Review], turn: int) -> str:
    """Return the row of passage chips under an answer."""
    chips = "".join(render_passage(c, reviews.get(c.review_id), turn) for c in citations)
    return f'<div class="passages">{chips}</div>'


def render_understood(standalone: str, question: str, follows: str = "") -> str:
    """The line under a follow-up's answer saying how it was read ('' if as asked): as a follow-up to
    the question before it, or (with no earlier question given) as the text that was searched for."""
    if not standalone or standalone.strip() == question.strip():
        return ""
    if follows:
        return f'<p class="understood">Understood as a follow-up to “{escape_text(follows)}”</p>'
    return f'<p class="understood">Understood as: {escape_text(standalone)}</p>'


def render_timings(timings: Mapping[str, float], backend: str, searched: str = "") -> str:
    """Return a <details> fold with the seconds spent per stage (shown in ms), the backend and the
    text retrieval searched for."""
    rows = "".join(
        f"<tr><td>{escape_text(stage)}</td><td>{seconds * 1000:.0f} ms</td></tr>"
        for stage, seconds in timings.items()
    )
    search = f'<p class="searched">Searched for: {escape_text(searched)}</p>' if searched else ""
    return (
        f'<details class="timings"><summary>Details</summary><table>{rows}</table>'
        f'<p class="backend">Backend: {escape_text(backend)}</p>{search}</details>'
    )


def render_answer(
    answer: Answer,
    reviews: Mapping[str, Review],
    turn: int,
    question: str = "",
    details: bool = False,
    follows: str = "",
) -> str:
    """Return the chat message for a finished answer: text, passage chips, how a follow-up to the
    question `follows` was understood, and (with `details`, a developer's view) the timings, the
    backend and the text searched for.

    Three outcomes look different: an answer; a refusal ("Not covered by the reviews") with its
    closest passages as context; and a question about something no review mentions, refused before
    any passage was retrieved, shown like the page's other input problems."""
    timings = render_understood(answer.standalone_question, question, follows)
    if details:
        timings += render_timings(answer.timings, answer.backend, answer.standalone_question)
    if answer.refused and not answer.passages and "retrieve" not in answer.timings:
        return (
            '<div class="answer refused off-topic"><p class="refusal-label">Outside these reviews</p>'
            f"<p>{escape_text(answer.text)}</p>{timings}{COPY_LINK}</div>"
        )
    if answer.refused:
        closest = ""
        if answer.closest:
            closest = (
                '<div class="closest"><p class="closest-label">Closest passages (they do not answer '
                f"the question)</p>{render_passages(answer.closest, reviews, turn)}</div>"
            )
        return (
            '<div class="answer refused"><p class="refusal-label">Not covered by the reviews</p>'
            f"<p>{escape_text(answer.text)}</p>{closest}{timings}{COPY_LINK}</div>"
        )
    numbers = {c.number for c in answer.citations}
    flag = ""
    if answer.flagged:
        flag = '<p class="flagged">Part of this answer could not be checked against the reviews.</p>'
    return (
        f'<div class="answer"><p class="answer-text">{link_markers(answer.text, turn, numbers)}</p>'
        f"{flag}{render_passages(answer.citations, reviews, turn)}{timings}{COPY_LINK}</div>"
    )


#: Copies the finished answer as plain text (static/viewer.js builds it), never its HTML.
COPY_LINK = '<a class="copy-answer" href="#copy">Copy</a>'


#: What the answer bubble says between the question and the first words of its answer.
WORKING = "Searching the reviews…"


def render_partial(text: str) -> str:
    """Return the chat message for an answer still being written (a working state before its first
    words: the question has been received and the reviews are being searched)."""
    if not text:
        return f'<div class="answer streaming"><p class="answer-text working">{WORKING}</p></div>'
    return f'<div class="answer streaming"><p class="answer-text">{escape_text(text)}▍</p></div>'


#: What a stopped answer says under the words it had written.
STOPPED = "Stopped. This answer is unfinished and unchecked."


def mark_stopped(content: str) -> str:
    """Return a bubble still being written (`render_partial`) as stopped: its words kept, the cursor and
    the working line gone, a note added; any other message unchanged.

    >>> mark_stopped(render_partial("He was held"))
    '<div class="answer stopped"><p class="answer-text">He was held</p><p class="stopped-note">Stopped. \
This answer is unfinished and unchecked.</p></div>'
    """
    if not content.startswith('<div class="answer streaming">'):
        return content
    body = content.removeprefix('<div class="answer streaming">').removesuffix("</div>")
    body = "" if f">{WORKING}<" in body else body.replace("▍</p>", "</p>")
    return f'<div class="answer stopped">{body}<p class="stopped-note">{STOPPED}</p></div>'


def render_notice(message: str, kind: str = "info") -> str:
    """Return a short message box; kind is 'info' or 'error'."""
    return f'<div class="notice notice-{escape_text(kind)}">{escape_text(message)}</div>'


def render_review(review: Review, start: int, end: int) -> str:
    """Return the whole review for the viewer with [start, end) marked."""
    start, end = max(0, min(start, len(review.text))), max(0, min(end, len(review.text)))
    return (
        f'<article class="review-view"><header class="review-head"><h3>{escape_text(review.label)}</h3>'
        "</header>"
        f'<div class="review-text">{highlight(review.text, start, max(start, end))}</div></article>'
    )


def render_sources(reviews: Mapping[str, Review], status: IndexStatus) -> str:
    """Return the Sources tab: index state, then one row per review with metadata and chunk count,
    and one per review file that can't be loaded, saying why."""
    indexed = status.manifest.reviews if status.manifest is not None else {}
    rows = "".join(_source_row(review, indexed.get(review.id)) for review in reviews.values())
    rows += "".join(_problem_row(problem) for problem in status.problems)
    return (
        f"{render_index_status(status)}<table class='sources'><thead><tr><th>Review</th><th>Outlet</th>"
        f"<th>Author</th><th>Date</th><th>Chunks</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _source_row(review: Review, entry: Any) -> str:
    chunks = str(entry.chunks) if entry is not None else "not indexed"
    cells = [review.label, review.outlet or "—", review.author or "—", review.date or "—", chunks]
    tds = "".join(f"<td>{escape_text(cell)}</td>" for cell in cells)
    return f'<tr id="source-{escape_text(review.id)}">{tds}</tr>'


def _problem_row(problem: str) -> str:
    """A review file that can't be loaded, listed with the others: its problem names it and says why."""
    return (
        f"<tr class='source-problem'><td colspan='5'>Cannot be loaded: {escape_text(problem)} "
        "(answers leave it out until it is fixed)</td></tr>"
    )


def render_index_status(status: IndexStatus) -> str:
    """Return the index state line: 'Index: up to date (built …)' or what is stale and why."""
    state = status.state.value
    parts = [f'<p class="index-state state-{state.replace(" ", "-")}">Index: <b>{escape_text(state)}</b>']
    if status.reason:
        parts.append(f" — {escape_text(status.reason)}")
    built_at = status.manifest.built_at if status.manifest is not None else None
    if built_at:
        when = dt.datetime.fromtimestamp(built_at).strftime("%Y-%m-%d %H:%M")
        parts.append(f" (built {when})")
    parts.append("</p>")
    changes = status.changes
    for label in ("added", "changed", "removed"):
        stale = changes is not None and status.state is not IndexState.UP_TO_DATE
        ids = getattr(changes, label) if stale else ()
        if ids:
            parts.append(f'<p class="index-change">{label}: {escape_text(", ".join(ids))}</p>')
    return "".join(parts)


def static_text(name: str) -> str:
    """Return a file of assistant/web/static (the chat's CSS and JavaScript)."""
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


#: Styles for the chat's own HTML (static/chat.css).
STYLE = static_text("chat.css")
#: The review viewer's script (static/viewer.js), given to the viewer component as its `js_on_load`.
VIEWER_JS = static_text("viewer.js")
