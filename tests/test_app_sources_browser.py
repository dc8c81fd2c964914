"""The Sources tab of the real app (real models, a real index in tmp) in headless Chromium: add a review
from an uploaded page and be answered from it, bad uploads refused with nothing changed, remove with a
confirming click, Update index against Rebuild from scratch, one index job at a time.

The app runs over its own copy of the corpus and its own index (`live_app.running_app`), never the
project's `corpus/` or `index/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_app import CHROMIUM, LiveApp, chromium_browser, running_app

JOB_TIMEOUT = 180_000  # ms; an index job on 2 busy cores

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium: apt-get install -y chromium"),
]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

ARCTIC_PAGE = """<!doctype html><html><head><title>Polar Film Review</title>
<script>window.__tracked = 1;</script></head><body>
<nav><a href="/">Home</a> <a href="/films">Films</a></nav>
<article><h1>Never Sorry in the Arctic</h1>
<p>Never Sorry screened at the Tromsø Midnight Sun Film Festival on 2 November 2012, where an audience
of 640 gave the documentary a standing ovation.</p>
<p>Leave a Reply</p></article><footer>© 2012 Polar Film Review</footer></body></html>
"""
ARCTIC_ID = "polar-film-review-2012-11-02"
OVATION = "Where did an audience give the documentary a standing ovation?"


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with running_app(tmp_path_factory.mktemp("sources-app")) as app:
        yield app


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def page(browser, live_app):
    """A fresh session on the running app, on the Sources tab with the review list shown."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(live_app.url)
    page.get_by_role("tab", name="Sources").click()
    expect(page.locator("#sources")).to_contain_text("Index: up to date", timeout=60_000)
    yield page
    context.close()


def index_dir(live_app: LiveApp) -> Path:
    return live_app.corpus_dir.parent / "index"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def upload(page, path: Path) -> None:
    """Put `path` in the page's file field and wait until Gradio has it."""
    field = page.locator("#review-page")
    clear = field.get_by_role("button", name="Clear")
    if clear.count():
        clear.click()
    field.locator("input[type=file]").set_input_files(str(path))
    expect(field.locator(f"a[href*='{path.name}']")).to_be_visible(timeout=30_000)


def fill(page, **fields: str) -> None:
    for name, value in fields.items():
        page.locator(f"#review-{name} textarea, #review-{name} input").first.fill(value)


def choose(page, label_start: str) -> None:
    """Pick the review whose label starts with `label_start` in the Remove dropdown."""
    page.locator("#remove-choice input").click()
    page.get_by_role("option").filter(has_text=label_start).first.click()


def ask(page, question: str):
    page.get_by_role("tab", name="Chat").click()
    box = page.get_by_placeholder("Ask about the film")  # the Sources tab's fields are textboxes too
    box.fill(question)
    box.press("Enter")
    message = page.locator('[data-testid="bot"]').last
    expect(message.locator(".answer:not(.streaming)")).to_be_visible(timeout=60_000)
    return message


def test_an_uploaded_page_is_added_indexed_and_answered_from(page, live_app, tmp_path):
    before = ask(page, OVATION)
    expect(before).not_to_contain_text("Tromsø")
    page.get_by_role("tab", name="Sources").click()
    saved = tmp_path / "arctic.html"
    saved.write_text(ARCTIC_PAGE, encoding="utf-8")
    upload(page, saved)
    fill(page, title="Never Sorry in the Arctic", outlet="Polar Film Review", date="2012-11-02")
    page.locator("#add-review-button").click()
    job = page.locator("#index-job")
    expect(job).to_contain_text(
        f"Added “Never Sorry in the Arctic (Polar Film Review, 2012-11-02)” as {ARCTIC_ID}.md.",
        timeout=JOB_TIMEOUT,
    )
    expect(job).to_contain_text("Index updated: added 1, changed 0, removed 0")
    sources = page.locator("#sources")
    expect(sources).to_contain_text("Index: up to date")
    expect(sources.locator(f"#source-{ARCTIC_ID}")).to_contain_text("Polar Film Review")
    # The form is emptied for the next review.
    for name in ("title", "outlet", "author", "date"):
        expect(page.locator(f"#review-{name} input, #review-{name} textarea").first).to_have_value("")
    expect(page.locator("#review-page a[href*='arctic.html']")).to_have_count(0)
    written = (live_app.corpus_dir / f"{ARCTIC_ID}.md").read_text(encoding="utf-8")
    assert "Tromsø Midnight Sun" in written
    assert "Leave a Reply" not in written and "__tracked" not in written and "Home" not in written
    answer = ask(page, OVATION)
    expect(answer.locator(".answer-text")).to_contain_text("Tromsø")
    expect(answer.locator(".passage").first).to_contain_text("Never Sorry in the Arctic")


@pytest.mark.parametrize(
    ("name", "content", "title", "message"),
    [
        ("latin1-review.txt", "Tromsø gave it an ovation.".encode("latin-1"), "T", "not UTF-8 text"),
        ("review.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "T", "only .txt, .md or .html pages can be added"),
        ("untitled.md", b"A fine review of the film.", "", "a review needs a title"),
    ],
    ids=["not-utf8", "pdf", "no-title"],
)
def test_a_bad_upload_is_refused_and_nothing_changes(page, live_app, tmp_path, name, content, title, message):
    corpus_before, index_before = snapshot(live_app.corpus_dir), snapshot(index_dir(live_app))
    listed = page.locator("#sources table").inner_text()
    bad = tmp_path / name
    bad.write_bytes(content)
    upload(page, bad)
    fill(page, title=title, outlet="Bad Upload Weekly")
    page.locator("#add-review-button").click()
    notice = page.locator("#sources-notice .notice-error")
    expect(notice).to_contain_text("Not added: ", timeout=30_000)
    expect(notice).to_contain_text(message)
    if title:
        expect(notice).to_contain_text(name)
    assert snapshot(live_app.corpus_dir) == corpus_before
    assert snapshot(index_dir(live_app)) == index_before
    expect(page.locator("#index-job")).to_be_empty()
    assert page.locator("#sources table").inner_text() == listed


def test_remove_asks_to_confirm_then_moves_the_review_to_the_trash(page, live_app):
    hostile = live_app.corpus_dir / "review-hostile.md"
    original = hostile.read_bytes()
    confirm = page.locator("#confirm-remove")
    expect(confirm).to_be_hidden()
    choose(page, "Hostile review")
    page.locator("#remove-review-button").click()
    expect(page.locator("#sources-notice")).to_contain_text("Remove “Hostile review")
    expect(confirm).to_be_visible()
    for button in ("#remove-review-button", "#confirm-remove", "#cancel-remove"):  # compact, not full width
        assert page.locator(button).bounding_box()["width"] < 250, button
    page.locator("#cancel-remove").click()  # a change of mind changes nothing
    expect(confirm).to_be_hidden()
    assert hostile.read_bytes() == original
    choose(page, "Hostile review")
    page.locator("#remove-review-button").click()
    confirm.click()
    job = page.locator("#index-job")
    expect(job).to_contain_text("Removed “Hostile review", timeout=JOB_TIMEOUT)
    expect(job).to_contain_text("Index updated: added 0, changed 0, removed 1")
    expect(confirm).to_be_hidden()
    expect(page.locator("#sources")).not_to_contain_text("Markup Weekly")
    expect(page.locator("#sources")).to_contain_text("Index: up to date")
    assert not hostile.exists()
    [trashed] = (live_app.corpus_dir / ".trash").glob("review-hostile.*.md")
    assert trashed.read_bytes() == original


def test_a_review_file_that_cannot_be_loaded_is_listed_with_its_problem(page, live_app):
    broken = live_app.corpus_dir / "review-broken.md"
    broken.write_bytes(b"---\ntitle: Broken\n---\nCaf\xe9 society.\n")
    try:
        page.get_by_role("tab", name="Chat").click()
        page.get_by_role("tab", name="Sources").click()
        row = page.locator("#sources tr.source-problem")
        expect(row).to_contain_text("Cannot be loaded: ", timeout=30_000)
        expect(row).to_contain_text("review-broken.md")
        expect(row).to_contain_text("not UTF-8")
    finally:
        broken.unlink()


def test_update_and_rebuild_from_scratch_each_sum_up_and_one_job_runs_at_a_time(page, live_app):
    # A long review (many chunks) so that the rebuild takes long enough to click during it.
    sentences = " ".join(
        f"Scene {n} of the film shows the studio in Shanghai, number {n}." for n in range(3000)
    )
    extra = live_app.corpus_dir / "review-long.md"
    extra.write_text(f'---\ntitle: "A long review"\n---\n{sentences}\n', encoding="utf-8")
    page.get_by_role("tab", name="Chat").click()
    page.get_by_role("tab", name="Sources").click()
    sources, job = page.locator("#sources"), page.locator("#index-job")
    expect(sources).to_contain_text("Index: stale", timeout=30_000)
    expect(sources).to_contain_text("added: review-long")
    page.locator("#update-index").click()
    expect(job).to_contain_text("Index updated: added 1, changed 0, removed 0", timeout=JOB_TIMEOUT)
    expect(job).not_to_contain_text("full rebuild")
    expect(sources).to_contain_text("Index: up to date")
    expect(sources.locator("#source-review-long")).to_contain_text("A long review")

    page.locator("#rebuild-index").click()
    expect(job).to_contain_text("Rebuilding the index from scratch", timeout=30_000)
    page.locator("#update-index").click()
    expect(page.locator("#sources-notice")).to_contain_text(
        "Rebuilding the index from scratch is running; wait for it to finish", timeout=30_000
    )
    expect(job).to_contain_text("Rebuilding the index from scratch: embedded", timeout=JOB_TIMEOUT)
    expect(job).to_contain_text(
        "Index rebuilt from scratch: added 0, changed 0, removed 0", timeout=JOB_TIMEOUT
    )
    expect(job).to_contain_text("(full rebuild: requested)")
    expect(sources).to_contain_text("Index: up to date")
