"""The Sources tab's logic: add, remove, update, rebuild from scratch, one job at a time.

Unit tests drive `SourcesController` over a real corpus folder in tmp_path with `CorpusBot`, which
reads that folder the way `Assistant.rebuild_index` does but embeds nothing; one test runs the real
assistant (real models, real index) from adding a page to answering from it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakes import FakeAssistant, FakeReport
from test_corpus_edits import snapshot

from assistant.config import Settings
from assistant.corpus import Review, read_corpus
from assistant.index_state import IndexState, IndexStatus
from assistant.web.layout import build_app
from assistant.web.sources_controller import CHOOSE_FILE, CHOOSE_REVIEW, KEEP, SourcesController

PAGE = (
    "Never Sorry screened at the Tromsø Midnight Sun Film Festival on 2 November 2012, where an audience "
    "of 640 gave the documentary a standing ovation.\n\nLeave a Reply\n"
)


class CorpusBot:
    """What the Sources tab needs of `Assistant`: the reviews of a real corpus folder, re-read by
    `rebuild_index` (which records its calls, may wait for `gate` and may fail) instead of embedding."""

    def __init__(self, corpus_dir: Path, fail: Exception | None = None) -> None:
        self.settings = Settings(corpus_dir=corpus_dir, index_dir=corpus_dir.parent / "index")
        self.fail = fail
        self.gate: threading.Event | None = None
        # Set by `job_lines` once it saw the progress line: a build holds until it was shown.
        self.shown = threading.Event()
        self.started = threading.Event()
        self.forced: list[bool] = []
        self.reviews = self._read()

    def _read(self) -> dict[str, Review]:
        return {r.id: r for r in read_corpus(Path(self.settings.corpus_dir)).reviews}

    def index_status(self) -> IndexStatus:
        return IndexStatus(IndexState.UP_TO_DATE)

    def rebuild_index(
        self, on_progress: Callable[[int, int], None] | None = None, *, force: bool = False
    ) -> FakeReport:
        self.forced.append(force)
        self.started.set()
        if self.gate is not None:
            self.gate.wait(30)
        if on_progress:
            on_progress(1, 2)
            self.shown.wait(10)
        if self.fail:
            raise self.fail
        self.reviews = self._read()
        return FakeReport(2)


@pytest.fixture
def bot(corpus_dir: Path) -> CorpusBot:
    return CorpusBot(corpus_dir)


def controller_of(bot: CorpusBot) -> SourcesController:
    return SourcesController(bot)  # type: ignore[arg-type]


def upload(tmp_path: Path, name: str, content: str | bytes = PAGE) -> str:
    """Write a page where Gradio puts uploads (a folder of its own) and return its path."""
    page = tmp_path / "gradio-upload" / name
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return str(page)


def job_lines(updates: Iterator[tuple[object, object]], bot: CorpusBot | None = None) -> list[str]:
    """The job panel's texts, in order (KEEP left out); tells `bot` once its progress line showed."""
    lines = []
    for _, job in updates:
        if job is not KEEP and isinstance(job, str):
            lines.append(job)
            if bot is not None and "embedded 1 of 2 chunks" in job:
                bot.shown.set()
    return lines


def test_add_writes_the_review_indexes_it_and_lists_it(bot: CorpusBot, tmp_path: Path) -> None:
    controller = controller_of(bot)
    page = upload(tmp_path, "tromso.md")
    lines = job_lines(controller.add(page, "Never Sorry", "Polar Film Review", "", "2012-11-02"), bot)
    assert "Adding the review…" in lines[0]
    assert any("embedded 1 of 2 chunks" in line for line in lines)
    assert (
        "Added “Never Sorry (Polar Film Review, 2012-11-02)” as polar-film-review-2012-11-02.md." in lines[-1]
    )
    assert "Index updated: embedded 2 of 2 chunks" in lines[-1]
    assert bot.forced == [False]
    review = bot.reviews["polar-film-review-2012-11-02"]
    assert "Tromsø Midnight Sun" in review.text and "Leave a Reply" not in review.text
    assert ("Never Sorry (Polar Film Review, 2012-11-02)", review.id) in controller.review_choices()


def test_the_add_form_is_emptied_once_the_review_is_added_and_kept_when_it_is_refused(
    bot: CorpusBot, tmp_path: Path
) -> None:
    controller = controller_of(bot)
    bot.shown.set()
    refused = list(controller.add_from_form(upload(tmp_path, "page.txt"), "", "Polar", "", ""))
    assert [update[2:] for update in refused] == [(KEEP,) * 5]
    page = upload(tmp_path, "tromso.md")
    added = list(
        controller.add_from_form(page, "Never Sorry", "Polar Film Review", "Ann Author", "2012-11-02")
    )
    assert all(update[2:] == (KEEP,) * 5 for update in added[:-1])
    assert "Added “Never Sorry" in added[-2][1]
    assert added[-1] == (KEEP, KEEP, None, "", "", "", "")


@pytest.mark.parametrize(
    ("name", "content", "title", "message"),
    [
        ("review.pdf", b"%PDF-1.4", "T", "Not added: review.pdf: only .txt, .md or .html pages can be added"),
        ("latin1.txt", "Tromsø".encode("latin-1"), "T", "Not added: latin1.txt: not UTF-8 text"),
        ("page.txt", PAGE, "  ", "Not added: a review needs a title."),
        ("page.txt", "Leave a Reply\n", "T", "nothing left after cleaning"),
        (
            "page.txt",
            PAGE,
            "Ai Weiwei",
            "Not added: a review with the id “review-001” is already in the corpus",
        ),
    ],
)
def test_a_page_that_cannot_be_added_is_refused_and_changes_nothing(
    bot: CorpusBot,
    corpus_dir: Path,
    tmp_path: Path,
    name: str,
    content: str | bytes,
    title: str,
    message: str,
) -> None:
    before = snapshot(corpus_dir)
    outlet = "review" if "already" in message else ""
    date = "001" if "already" in message else ""
    [(notice, job)] = list(controller_of(bot).add(upload(tmp_path, name, content), title, outlet, "", date))
    assert message in str(notice) and "notice-error" in str(notice) and job is KEEP
    assert snapshot(corpus_dir) == before and bot.forced == []


def test_add_without_a_file_asks_for_one(bot: CorpusBot, corpus_dir: Path) -> None:
    [(notice, _)] = list(controller_of(bot).add(None, "Title"))
    assert CHOOSE_FILE in str(notice) and bot.forced == []


def test_an_add_whose_index_update_fails_takes_the_file_back_out(corpus_dir: Path, tmp_path: Path) -> None:
    bot = CorpusBot(corpus_dir, fail=RuntimeError("disk full"))
    before = snapshot(corpus_dir)
    lines = job_lines(controller_of(bot).add(upload(tmp_path, "page.txt"), "Fresh"), bot)
    assert "Adding the review failed, nothing changed: disk full" in lines[-1]
    assert snapshot(corpus_dir) == before and "fresh" not in bot.reviews


def test_remove_asks_first_then_moves_the_file_to_the_trash(bot: CorpusBot, corpus_dir: Path) -> None:
    controller = controller_of(bot)
    assert controller.ask_remove(None) == (controller.ask_remove("no-such-review")[0], "")
    assert CHOOSE_REVIEW in controller.ask_remove(None)[0]
    question, pending = controller.ask_remove("review-001")
    assert pending == "review-001" and "Remove “" in question and ".trash" in question
    assert (corpus_dir / "review-001.md").exists()  # asking changes nothing
    original = (corpus_dir / "review-001.md").read_bytes()
    lines = job_lines(controller.remove(pending), bot)
    assert "Removed “" in lines[-1] and "Index updated:" in lines[-1]
    [trashed] = (corpus_dir / ".trash").iterdir()
    assert trashed.read_bytes() == original and not (corpus_dir / "review-001.md").exists()
    assert "review-001" not in bot.reviews and bot.forced == [False]


def test_a_remove_whose_index_update_fails_puts_the_file_back(corpus_dir: Path) -> None:
    bot = CorpusBot(corpus_dir, fail=RuntimeError("index locked"))
    before = snapshot(corpus_dir)
    lines = job_lines(controller_of(bot).remove("review-001"), bot)
    assert "Removing the review failed, nothing changed: index locked" in lines[-1]
    assert snapshot(corpus_dir) == before


def test_removing_an_unknown_review_is_refused(bot: CorpusBot, corpus_dir: Path) -> None:
    before = snapshot(corpus_dir)
    [(notice, _)] = list(controller_of(bot).remove("nope"))
    assert CHOOSE_REVIEW in str(notice) and snapshot(corpus_dir) == before and bot.forced == []


def test_update_and_rebuild_from_scratch_are_distinct_and_both_sum_up(bot: CorpusBot) -> None:
    controller = controller_of(bot)
    update = job_lines(controller.update(), bot)
    bot.shown.clear()
    rebuild = job_lines(controller.rebuild_all(), bot)
    assert bot.forced == [False, True]
    assert "Updating the index…" in update[0] and "Index updated: embedded 2 of 2 chunks" in update[-1]
    assert "Rebuilding the index from scratch…" in rebuild[0]
    assert "Index rebuilt from scratch: embedded 2 of 2 chunks" in rebuild[-1]
    assert any("embedded 1 of 2 chunks" in line for line in update)
    assert any("from scratch: embedded 1 of 2 chunks" in line for line in rebuild)


def test_while_one_job_runs_the_others_are_refused_and_say_so(
    bot: CorpusBot, corpus_dir: Path, tmp_path: Path
) -> None:
    controller = controller_of(bot)
    bot.gate = threading.Event()
    running = threading.Thread(target=lambda: job_lines(controller.rebuild_all(), bot))
    running.start()
    assert bot.started.wait(10)
    before = snapshot(corpus_dir)
    page = upload(tmp_path, "page.txt")
    for attempt in (
        controller.update(),
        controller.rebuild_all(),
        controller.add(page, "T"),
        controller.remove("review-001"),
    ):
        [(notice, job)] = list(attempt)
        assert "Rebuilding the index from scratch is running; wait for it to finish" in str(notice)
        assert job is KEEP
    assert snapshot(corpus_dir) == before and bot.forced == [True]
    bot.gate.set()
    running.join(10)
    assert "Index updated" in job_lines(controller.update(), bot)[-1]  # free again once it ended


def test_sources_list_reviews_chunks_and_index_state() -> None:
    html = SourcesController(FakeAssistant()).sources()  # type: ignore[arg-type]
    assert "Index: <b>up to date</b>" in html and "Film Weekly" in html
    assert html.count("<td>3</td>") == 2 and "&lt;b&gt;Bold" in html


def test_a_review_file_that_cannot_be_loaded_is_listed_with_its_problem(corpus_dir: Path) -> None:
    from assistant.index_state import index_status

    (corpus_dir / "review-broken.md").write_bytes(b"---\ntitle: Broken\n---\nCaf\xe9 society.\n")

    class ProblemBot(CorpusBot):
        def index_status(self) -> IndexStatus:
            return index_status(self.settings)

    html = controller_of(ProblemBot(corpus_dir)).sources()
    row = html[html.index("<tr class='source-problem'>") :]
    assert "Cannot be loaded: " in row and "review-broken.md" in row and "not UTF-8" in row
    assert html.count("<tr id='source-") + html.count('<tr id="source-') == 2  # the two good reviews


def test_index_jobs_share_no_queue_with_the_chat_and_are_not_queued_behind_each_other() -> None:
    app = build_app(FakeAssistant())  # type: ignore[arg-type]
    names = ("update", "rebuild_all", "add_from_form", "remove")
    jobs = {fn.name: fn for fn in app.fns.values() if fn.name in names}
    assert set(jobs) == set(names)
    assert {fn.concurrency_id for fn in jobs.values()} == {"index-jobs"}
    assert all(fn.concurrency_limit is None for fn in jobs.values())
    assert {fn.concurrency_id for fn in app.fns.values() if fn.name == "respond"} == {"chat"}


def test_a_page_added_here_is_answered_from_and_gone_once_removed(corpus_dir: Path, tmp_path: Path) -> None:
    """The real assistant: the review added is used for answers at once, and no longer once removed."""
    from assistant.bot import load_assistant

    bot = load_assistant(Settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index"))
    controller = SourcesController(bot)
    question = "Where did an audience give the documentary a standing ovation?"
    lines = job_lines(controller.add(upload(tmp_path, "arctic.md"), "Never Sorry", "Polar Film Review"))
    assert "Added “" in lines[-1] and "added 1, changed 0, removed 0, unchanged 2 reviews" in lines[-1]
    answer = bot.ask(question)
    assert [c.review_id for c in answer.citations][:1] == ["polar-film-review"], answer
    assert "Tromsø" in answer.text
    lines = job_lines(controller.rebuild_all())
    assert "(full rebuild: requested)" in lines[-1] and "embedded" in lines[-1]
    lines = job_lines(controller.remove("polar-film-review"))
    assert "removed 1" in lines[-1]
    assert all(c.review_id != "polar-film-review" for c in bot.ask(question).citations)
    assert "polar-film-review" not in bot.reviews
