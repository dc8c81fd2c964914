"""Unit tests of the web chat's logic and HTML, around a FakeAssistant (no server, no browser)."""

from __future__ import annotations

import dataclasses
import json
import re
from concurrent.futures import Future
from pathlib import Path

import gradio as gr
import pytest
from fakes import FakeAssistant, make_reviews
from hypothesis import given
from hypothesis import strategies as st

from assistant.config import Settings
from assistant.web.controller import EMPTY_QUESTION, ChatController, parse_history
from assistant.web.feedback import FEEDBACK_FORMAT
from assistant.web.layout import build_app, server_address
from assistant.web.render import (
    highlight,
    link_markers,
    render_answer,
    render_label,
    render_passage,
    render_review,
)

OUR_TAGS = re.compile(r"</?mark>|<br>")


def run(controller: ChatController, question: str, messages=None, turns=None, backend=None):
    """Return every (messages, turns, notice, returned) the chat handler yields."""
    return list(controller.respond(question, messages or [], turns or [], backend))


def make_controller(tmp_path: Path, **fake_args) -> tuple[ChatController, FakeAssistant]:
    bot = FakeAssistant(settings=Settings(feedback_path=tmp_path / "fb" / "feedback.jsonl"), **fake_args)
    return ChatController(bot), bot  # type: ignore[arg-type]


def test_passage_card_escapes_hostile_review_markup():
    review = make_reviews()["review-hostile"]
    answer = FakeAssistant().ask("Who wrote the soundtrack?")
    card = render_passage(answer.citations[0], review, turn=0)
    assert "<script" not in card and "<img" not in card and "<b>" not in card
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in card
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;i&gt;loud&lt;/i&gt;" in card


def test_review_viewer_marks_span_and_escapes():
    review = make_reviews()["review-hostile"]
    start = review.text.index("The soundtrack")
    html = render_review(review, start, start + 14)
    assert "<mark>The soundtrack</mark>" in html
    assert "<script" not in html and "onerror=&quot;window.__pwned=2&quot;" in html


def test_review_viewer_clamps_out_of_range_span():
    review = make_reviews()["review-plain"]
    assert "<mark></mark>" in render_review(review, 10_000, 20_000)


def test_markers_link_to_their_cards_only_when_cited():
    html = link_markers("81 days [1] <i>or</i> [7].", turn=3, numbers={1})
    assert '<a class="cite-marker" href="#cite-3-1">[1]</a>' in html
    assert "[7]" in html and 'href="#cite-3-7"' not in html
    assert "&lt;i&gt;or&lt;/i&gt;" in html


def test_passage_context_is_cut_at_words_with_ellipses():
    text = " ".join(f"word{i}" for i in range(400))
    start = text.index("word200")
    html = highlight(text, start, start + len("word200"), context=50)
    assert html.startswith("… word") and html.endswith(" …")
    assert "<mark>word200</mark>" in html
    assert len(html) < 200


@given(st.text(max_size=300), st.integers(0, 300), st.integers(0, 300))
def test_highlight_never_lets_markup_through(text, a, b):
    start, end = sorted((min(a, len(text)), min(b, len(text))))
    html = highlight(text, start, end, context=40)
    assert "<" not in OUR_TAGS.sub("", html)
    assert html.count("<mark>") == 1


def test_a_passage_is_a_chip_with_number_and_label_that_unfolds_to_the_quote_and_a_viewer_link():
    bot = FakeAssistant()
    answer = bot.ask("Who directed it?")
    review = bot.reviews["review-plain"]
    chip = render_passage(answer.citations[0], review, turn=2)
    summary = re.fullmatch(
        r'<details class="passage" id="cite-2-1"><summary [^>]*>(.*?)</summary>(.*)</details>', chip
    )
    assert summary, chip
    shown = re.sub(r"<[^>]+>", "", summary.group(1))
    assert shown == f"[1] {review.label}" and "2012-09-18" in shown  # the label carries the date
    assert "<mark>Directed by Alison Klayman.</mark>" in summary.group(2)  # folded away until opened
    assert 'href="#passage=review-plain:0:27"' in summary.group(2)


def test_answer_message_has_cards_and_no_blank_lines_and_details_only_when_asked():
    bot = FakeAssistant()
    answer = bot.ask("Who directed it?")
    html = render_answer(answer, bot.reviews, turn=0, question="Who directed it?")
    assert 'id="cite-0-1"' in html and "<mark>Directed by Alison Klayman.</mark>" in html
    assert "A plain review" in html and "2012-09-18" in html  # the review's label
    assert "timings" not in html and "12 ms" not in html  # developer details are off by default
    detailed = render_answer(answer, bot.reviews, turn=0, question="Who directed it?", details=True)
    assert '<details class="timings"><summary>Details</summary>' in detailed and "12 ms" in detailed
    assert "\n" not in html + detailed  # a blank line would end the chatbot's Markdown HTML block


def test_a_follow_up_says_how_it_was_understood_without_details():
    bot = FakeAssistant()
    searched = "Was it her first? (Who directed it? Alison Klayman.)"
    answer = dataclasses.replace(bot.ask("Was it her first?"), standalone_question=searched)
    html = render_answer(
        answer, bot.reviews, turn=1, question="Was it her first?", follows="Who directed it?"
    )
    assert "Understood as a follow-up to “Who directed it?”" in html and "Searched for" not in html
    detailed = render_answer(answer, bot.reviews, 1, "Was it her first?", details=True, follows="Who?")
    assert f"Searched for: {searched}" in detailed  # the whole rewrite, for developers
    assert "Understood as: " + searched in render_answer(answer, bot.reviews, 1, "Was it her first?")


def test_a_question_about_something_no_review_mentions_looks_unlike_a_refusal():
    bot = FakeAssistant()
    refused = bot.ask("What is the recipe for dumplings?")
    assert 'class="answer refused"' in render_answer(refused, bot.reviews, 0)
    off_topic = dataclasses.replace(refused, text="The reviews don't mention Jaws.", timings={"total": 0.01})
    html = render_answer(off_topic, bot.reviews, 0)
    assert 'class="answer refused off-topic"' in html and "Outside these reviews" in html
    assert "Not covered by the reviews" not in html


def test_a_chip_label_keeps_the_part_that_tells_reviews_apart_in_its_own_span():
    assert render_label("Never Sorry (2012-09-18)") == (
        '<span class="passage-name">Never Sorry</span> <span class="passage-which">(2012-09-18)</span>'
    )
    assert render_label("<b>Odd</b>") == '<span class="passage-name">&lt;b&gt;Odd&lt;/b&gt;</span>'


def test_reviews_sharing_a_title_get_distinct_labels():
    from assistant.corpus import load_reviews

    labels = [r.label for r in load_reviews(Path(__file__).resolve().parents[1] / "corpus")]
    assert len(set(labels)) == len(labels) == 2 and all(
        label.startswith("Ai Weiwei: Never Sorry (") for label in labels
    )


def test_only_backends_that_can_run_here_are_offered():
    from assistant.web.controller import backend_choices

    runnable, hint = backend_choices()
    assert runnable[0] == "extractive"
    for name in ("openai", "llamacpp"):
        assert (name in runnable) != (name in hint)


def test_empty_question_does_not_call_the_assistant(tmp_path):
    controller, bot = make_controller(tmp_path)
    [(messages, turns, notice, returned)] = run(controller, "   \n ")
    assert messages == [] and turns == [] and returned == ""
    assert EMPTY_QUESTION in notice
    assert bot.log.questions == []


def test_answer_streams_then_shows_cited_passages(tmp_path):
    controller, _ = make_controller(tmp_path)
    steps = run(controller, "Who directed the film?")
    partials = [messages[-1]["content"] for messages, *_ in steps[:-1]]
    assert len(partials) >= 3 and "Alison" in partials[-1] and "streaming" in partials[-1]
    assert "Searching the reviews…" in partials[0]  # a working state before the first words
    assert "Searching the reviews" not in partials[-1]
    messages, turns, notice, returned = steps[-1]
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert '<details class="passage" id="cite-0-1">' in messages[1]["content"]
    assert turns[0]["message_index"] == 1 and turns[0]["answer"]["text"] == "Alison Klayman [1]."
    assert notice == ""
    # The handler never touches the input box (the page empties it as the question is sent), so it
    # gives nothing back when the question was asked.
    assert all(step[3] == "" for step in steps) and len(steps[0]) == 4


def test_a_stopped_answer_keeps_its_words_marked_as_stopped(tmp_path):
    controller, _ = make_controller(tmp_path)
    steps = run(controller, "Who directed the film?")
    cut_off, turns = steps[2][0], steps[2][1]  # the chat while the answer was being written
    stopped = controller.stopped(cut_off)
    assert stopped[:-1] == cut_off[:-1] and turns == []
    last = stopped[-1]["content"]
    assert 'class="answer stopped"' in last and "streaming" not in last and "▍" not in last
    written = re.search(r'<p class="answer-text">(.+?)▍</p>', cut_off[-1]["content"])
    assert written and f'<p class="answer-text">{written.group(1)}</p>' in last and "Stopped." in last
    working = controller.stopped(steps[0][0])[-1]["content"]  # stopped before its first words
    assert "Searching the reviews" not in working and "Stopped." in working
    finished = steps[-1][0]
    assert controller.stopped(finished) == finished  # a finished answer is left alone


def test_follow_up_sends_earlier_turns_as_history(tmp_path):
    controller, bot = make_controller(tmp_path)
    messages, turns, *_ = run(controller, "Who directed the film?")[-1]
    messages, turns, *_ = run(controller, "When was he detained?", messages, turns)[-1]
    assert bot.log.questions[1][1] == [("Who directed the film?", "Alison Klayman [1].")]
    assert len(messages) == 4 and turns[1]["message_index"] == 3
    assert 'id="cite-1-1"' in messages[3]["content"]  # card ids stay unique per answer


def test_refusal_is_shown_distinctly(tmp_path):
    controller, _ = make_controller(tmp_path)
    messages, *_ = run(controller, "What is the recipe for dumplings?")[-1]
    assert 'class="answer refused"' in messages[-1]["content"]
    assert "Not covered by the reviews" in messages[-1]["content"]


def test_question_error_is_shown_and_the_question_kept(tmp_path):
    controller, _ = make_controller(tmp_path)
    long_question = "why " * 1000
    messages, turns, notice, returned = run(controller, long_question)[-1]
    assert messages == [] and turns == [] and returned == long_question
    assert "please keep it under" in notice and "Traceback" not in notice


def test_backend_failure_becomes_a_message_not_a_traceback(tmp_path):
    controller, _ = make_controller(tmp_path, fail_with=ConnectionError("connection refused"))
    messages, turns, *_ = run(controller, "Who directed the film?")[-1]
    assert "Answering failed: connection refused" in messages[-1]["content"]
    assert "notice-error" in messages[-1]["content"] and turns == []


def test_the_chosen_backend_applies_per_question_and_top_k_stays_the_settings_one(tmp_path):
    controller, bot = make_controller(tmp_path)
    run(controller, "Who directed the film?", backend="llamacpp")
    run(controller, "Who directed the film?")
    used = [s for *_, s in bot.log.questions]
    assert [s.backend for s in used] == ["llamacpp", bot.settings.backend]
    assert [s.top_k for s in used] == [bot.settings.top_k] * 2


def test_settings_offer_no_developer_knobs():
    app = build_app(FakeAssistant())
    labels = {getattr(block, "label", None) for block in app.blocks.values()}
    assert "Answer backend" in labels and "Show details (timings, backend)" in labels
    assert not any(isinstance(block, gr.Slider) for block in app.blocks.values())


def test_feedback_is_appended_as_json_lines(tmp_path):
    controller, bot = make_controller(tmp_path)
    _, turns, *_ = run(controller, "Who directed the film?")[-1]
    assert controller.record_feedback(turns, 1, True)
    assert controller.record_feedback(turns, [1, 0], False)
    lines = bot.settings.feedback_path.read_text(encoding="utf-8").splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["format"] == FEEDBACK_FORMAT and first["rating"] == "up" and second["rating"] == "down"
    assert first["question"] == "Who directed the film?" and first["history"] == []
    assert first["answer"] == "Alison Klayman [1]."
    assert first["evidence"] == [{"review_id": "review-plain", "quote": "Directed by Alison Klayman."}]
    assert first["citations"][0]["start"] == 0 and first["timestamp"]


def test_feedback_on_a_message_without_answer_writes_nothing(tmp_path):
    controller, bot = make_controller(tmp_path)
    assert not controller.record_feedback([], 0, True)
    assert not bot.settings.feedback_path.exists()


def test_open_passage_shows_the_whole_review(tmp_path):
    controller, bot = make_controller(tmp_path)
    html = controller.open_passage("review-plain", "28", "64")
    assert "<mark>" in html and "Directed by Alison Klayman." in html
    assert "not in the corpus" in controller.open_passage("gone", 0, 1)


def test_api_returns_json_ready_answer(tmp_path):
    controller, _ = make_controller(tmp_path)
    data = controller.ask_api("How long was he detained?", '[["Who directed it?", "Alison Klayman [1]."]]')
    assert json.loads(json.dumps(data)) == data
    assert data["text"] == "81 days [1]." and data["refused"] is False
    assert {"review_id", "start", "end", "quote"} <= set(data["citations"][0])


@pytest.mark.parametrize(("question", "history"), [("  ", "[]"), ("Who directed it?", '{"q": 1}')])
def test_api_rejects_bad_input_with_a_message(tmp_path, question, history):
    controller, _ = make_controller(tmp_path)
    with pytest.raises(gr.Error):
        controller.ask_api(question, history)


def test_parse_history_accepts_pairs_and_dicts():
    assert parse_history('[["q", "a"], {"question": "q2", "answer": "a2"}]') == [("q", "a"), ("q2", "a2")]
    assert parse_history("") == []
    with pytest.raises(ValueError):
        parse_history('[["only one"]]')


def test_gradio_server_variables_win_over_settings():
    settings = Settings(host="127.0.0.1", port=7860)
    assert server_address(settings, {}) == ("127.0.0.1", 7860)
    env = {"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "9000"}
    assert server_address(settings, env) == ("0.0.0.0", 9000)


def test_loading_status_follows_the_future():
    pending: Future[FakeAssistant] = Future()
    controller = ChatController(pending)
    text, loading = controller.loading_status()
    assert loading and "Loading" in text
    pending.set_result(FakeAssistant())
    assert controller.loading_status() == ("", False)
    failed: Future[FakeAssistant] = Future()
    failed.set_exception(RuntimeError("no index"))
    assert "could not start: no index" in ChatController(failed).loading_status()[0]


def test_build_app_exposes_the_ask_endpoint_only():
    app = build_app(FakeAssistant())
    public = [fn.api_name for fn in app.fns.values() if fn.api_visibility == "public"]
    assert public == ["ask"]


def test_a_refusal_shows_its_closest_passages_apart_and_marked_as_no_answer():
    bot = FakeAssistant()
    cited = bot.ask("Who directed it?")
    refused = dataclasses.replace(
        cited,
        text="The reviews don't say who composed it.",
        citations=(),
        refused=True,
        closest=cited.citations,
    )
    html = render_answer(refused, bot.reviews, turn=0, question="Who composed it?")
    assert 'class="answer refused"' in html and "The reviews don&#x27;t say who composed it." in html
    assert 'class="closest"' in html and "they do not answer the question" in html
    assert "Directed by Alison Klayman." in html and 'class="answer-text"' not in html


def test_answer_words_marked_in_bold_render_as_strong_and_stay_escaped():
    html = link_markers("“He was held for **81 days** <b>.” [1]", turn=0, numbers={1})
    assert "<strong>81 days</strong>" in html and "&lt;b&gt;" in html and "**" not in html


def test_feedback_with_a_made_up_rating_or_a_forged_turn_is_not_stored(tmp_path):
    controller, bot = make_controller(tmp_path)
    _, turns, *_ = run(controller, "Who directed the film?")[-1]
    assert not controller.record_feedback(turns, 1, "<img src=x>")
    assert not controller.record_feedback([{"message_index": 1, "answer": "not a dict"}], 1, True)
    assert not bot.settings.feedback_path.exists()


def test_feedback_is_rate_limited_per_client(tmp_path):
    from assistant.web.controller import FEEDBACK_PER_MINUTE

    controller, bot = make_controller(tmp_path)
    _, turns, *_ = run(controller, "Who directed the film?")[-1]
    saved = [
        controller.record_feedback(turns, 1, True, client="10.0.0.1") for _ in range(FEEDBACK_PER_MINUTE + 5)
    ]
    assert saved.count(True) == FEEDBACK_PER_MINUTE and saved[-5:] == [False] * 5
    assert controller.record_feedback(turns, 1, False, client="10.0.0.2")  # another client is not held back
    lines = bot.settings.feedback_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == FEEDBACK_PER_MINUTE + 1


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("x" * 300_000, "the limit is"),
        ('[["\\ud800", "a"]]', "lone surrogate"),
        ("{}", "must be a JSON list"),
        ("not json", "Bad history"),
        ('[["only one"]]', "pairs"),
    ],
)
def test_ask_api_reports_bad_history_clearly(tmp_path, history, message):
    controller, _ = make_controller(tmp_path)
    with pytest.raises(gr.Error) as caught:
        controller.ask_api("Who directed the film?", history)
    assert message in str(caught.value) and "Bad history" in str(caught.value)


def test_ask_api_reports_a_bad_question_clearly(tmp_path):
    controller, _ = make_controller(tmp_path)
    for question, message in (("\ud800 who?", "lone surrogate"), ("   ", "Please type a question")):
        with pytest.raises(gr.Error, match=message):
            controller.ask_api(question)
