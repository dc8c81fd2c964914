"""The Sources tab's logic, apart from Gradio's layout: list the reviews, add one from an uploaded page,
remove one (into the corpus's trash folder), update the index or rebuild it from scratch.

One index job runs at a time: a click while one runs is refused with a message, not queued. A job
that changes the corpus and then fails to index it puts the corpus back as it was, so the corpus and
the index never disagree because of a click here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from ..corpus import CorpusError
from ..corpus_edits import (
    TRASH_FOLDER,
    ReviewExistsError,
    ReviewFields,
    add_review,
    restore_review,
    trash_review,
)
from ..index_state import IndexState, IndexStatus
from .controller import loaded
from .render import render_notice, render_sources

if TYPE_CHECKING:
    from ..bot import Assistant

log = logging.getLogger(__name__)

#: An output left as it is.
KEEP: Any = gr.skip()
#: What each job handler yields: (the notice under the buttons, the job's progress and summary).
Update = tuple[Any, Any]
ProgressFn = Callable[[int, int], None]
CHOOSE_FILE = "choose the page to add first: a .txt, .md or .html file with the review text."
CHOOSE_REVIEW = "Choose a review to remove first."


class SourcesController:
    """The logic behind the Sources tab, around an assistant (or a Future of one, while it loads)."""

    def __init__(self, assistant: Assistant | Future[Assistant]) -> None:
        self._source = assistant
        self._busy = threading.Lock()
        self._job = ""

    @property
    def bot(self) -> Assistant:
        """Return the assistant, waiting for it if it is still loading."""
        return loaded(self._source)

    @property
    def corpus_dir(self) -> Path:
        return Path(self.bot.settings.corpus_dir)

    def sources(self) -> str:
        """Return the review list with the index state."""
        bot = self.bot
        try:
            status = bot.index_status()
        except Exception as exc:  # a broken corpus file must not hide the rest of the tab
            status = IndexStatus(IndexState.UNKNOWN, str(exc))
        return render_sources(bot.reviews, status)

    def review_choices(self) -> list[tuple[str, str]]:
        """Return (label, review id) for every review answers come from, by label."""
        return sorted(((r.label, r.id) for r in self.bot.reviews.values()), key=lambda c: c[0].lower())

    def update(self) -> Iterator[Update]:
        """Bring the index in line with the corpus (only changed reviews are embedded)."""
        if not self._start("Updating the index"):
            yield self._busy_notice(), KEEP
            return

        def work(progress: ProgressFn) -> str:
            return f"Index updated: {self.bot.rebuild_index(on_progress=progress).summary()}"

        yield from self._run(work)

    def rebuild_all(self) -> Iterator[Update]:
        """Drop the index and embed every review again."""
        if not self._start("Rebuilding the index from scratch"):
            yield self._busy_notice(), KEEP
            return

        def work(progress: ProgressFn) -> str:
            report = self.bot.rebuild_index(on_progress=progress, force=True)
            return f"Index rebuilt from scratch: {report.summary()}"

        yield from self._run(work)

    def add(
        self,
        page: str | None,
        title: str | None,
        outlet: str | None = None,
        author: str | None = None,
        date: str | None = None,
    ) -> Generator[Update, None, bool]:
        """Add the uploaded page as a review and index it; a page that can't be added changes nothing.
        Returns whether the review was added."""
        if not self._start("Adding the review"):
            yield self._busy_notice(), KEEP
            return False
        fields = ReviewFields(title=title or "", outlet=outlet, author=author, date=date)
        try:
            if not page:
                raise CorpusError(CHOOSE_FILE)
            review = add_review(Path(page), fields, self.corpus_dir, name=Path(page).name)
        except CorpusError as exc:
            self._finish()
            yield render_notice(f"Not added: {_refusal(exc)}", "error"), KEEP
            return False

        def work(progress: ProgressFn) -> str:
            try:
                report = self.bot.rebuild_index(on_progress=progress)
            except Exception:
                Path(review.path).unlink(missing_ok=True)  # not indexed: not added either
                raise
            return f"Added “{review.label}” as {Path(review.path).name}. Index updated: {report.summary()}"

        return (yield from self._run(work))

    def add_from_form(
        self, page: str | None, title: str | None, outlet: str | None, author: str | None, date: str | None
    ) -> Iterator[tuple[Any, ...]]:
        """`add`, with the form's five fields (page, title, outlet, author, date) after its two
        outputs: kept while the job runs or when the page is refused, emptied once it was added."""
        job = self.add(page, title, outlet, author, date)
        while True:
            try:
                yield (*next(job), *[KEEP] * 5)
            except StopIteration as end:
                if end.value:
                    yield KEEP, KEEP, None, "", "", "", ""
                return

    def ask_remove(self, review_id: str | None) -> tuple[str, str]:
        """The first step of removing: (the question to confirm, the review id awaiting it, '' if none)."""
        review = self.bot.reviews.get(review_id or "")
        if review is None:
            return render_notice(CHOOSE_REVIEW, "error"), ""
        where = self.corpus_dir / TRASH_FOLDER
        return (
            render_notice(
                f"Remove “{review.label}”? Its file moves to {where} (nothing is deleted) and the index is "
                "updated. Click “Confirm remove” to go ahead."
            ),
            review.id,
        )

    def remove(self, review_id: str | None) -> Iterator[Update]:
        """Move the review's file to the trash folder and update the index; put it back if that fails."""
        review = self.bot.reviews.get(review_id or "")
        if review is None:
            yield render_notice(CHOOSE_REVIEW, "error"), KEEP
            return
        if not self._start("Removing the review"):
            yield self._busy_notice(), KEEP
            return
        try:
            trashed = trash_review(review.id, self.corpus_dir)
        except (CorpusError, OSError) as exc:
            self._finish()
            yield render_notice(f"Not removed: {exc}", "error"), KEEP
            return

        def work(progress: ProgressFn) -> str:
            try:
                report = self.bot.rebuild_index(on_progress=progress)
            except Exception:
                restore_review(trashed)
                raise
            return (
                f"Removed “{review.label}” (its file is now {trashed.trashed}). "
                f"Index updated: {report.summary()}"
            )

        yield from self._run(work)

    def _start(self, job: str) -> bool:
        """Claim the one index job slot for `job`; False when another job holds it."""
        if not self._busy.acquire(blocking=False):
            return False
        self._job = job
        return True

    def _finish(self) -> None:
        self._job = ""
        self._busy.release()

    def _busy_notice(self) -> str:
        running = self._job or "Another index job"
        return render_notice(f"{running} is running; wait for it to finish, then try again.", "error")

    def _run(self, work: Callable[[ProgressFn], str]) -> Generator[Update, None, bool]:
        """Run `work` in a thread (it holds the job slot until it ends, even if the page goes away),
        yielding progress lines, then its summary or what went wrong; return whether it succeeded."""
        job, progress = self._job, [0, 0]
        outcome: dict[str, Any] = {}

        def on_progress(done: int, total: int) -> None:
            progress[:] = [done, total]

        def target() -> None:
            try:
                outcome["summary"] = work(on_progress)
            except Exception as exc:
                log.exception("%s failed", job)
                outcome["error"] = exc
            finally:
                self._finish()

        worker = threading.Thread(target=target, daemon=True, name="sources-job")
        worker.start()
        yield "", render_notice(f"{job}…")
        while worker.is_alive():
            worker.join(0.5)
            if progress[1]:
                yield KEEP, render_notice(f"{job}: embedded {progress[0]} of {progress[1]} chunks…")
        if "error" in outcome:
            yield KEEP, render_notice(f"{job} failed, nothing changed: {outcome['error']}", "error")
            return False
        yield KEEP, render_notice(outcome["summary"])
        return True


def _refusal(exc: CorpusError) -> str:
    """The message for a page that can't be added, in the page's terms rather than the CLI's."""
    if isinstance(exc, ReviewExistsError):
        return (
            f"a review with the id “{exc.review_id}” is already in the corpus ({exc.path.name}). "
            "Change the outlet, title or date to add another one."
        )
    return str(exc)
