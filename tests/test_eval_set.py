"""The shipped eval set: well-formed, big enough, and every evidence quote really in the corpus."""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from assistant.corpus import load_reviews
from assistant.evaluation import is_correct, load_cases

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHIPPED_CORPUS = PROJECT_DIR / "corpus"

DEV = PROJECT_DIR / "eval" / "dev_questions.jsonl"
DEV2 = PROJECT_DIR / "eval" / "dev2_questions.jsonl"
TEST = PROJECT_DIR / "eval" / "test_questions.jsonl"
BLIND = PROJECT_DIR / "eval" / "blind_questions.jsonl"
TRAIN = PROJECT_DIR / "eval" / "train_questions.jsonl"
DEV3 = PROJECT_DIR / "eval" / "dev3_questions.jsonl"
ALL_SETS = [DEV, DEV2, DEV3, TEST, BLIND, TRAIN]
SET_IDS = ["dev", "dev2", "dev3", "test", "blind", "train"]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("path", ALL_SETS, ids=SET_IDS)
def test_every_evidence_quote_occurs_in_its_review(path: Path) -> None:
    reviews = {r.id: r for r in load_reviews(SHIPPED_CORPUS)}
    cases = load_cases(path, reviews)  # raises on a quote that is not in the review
    for case in cases:
        for evidence in case.evidence:
            assert evidence.end > evidence.start
            assert reviews[evidence.review_id].text[evidence.start : evidence.end]


@pytest.mark.parametrize("path", ALL_SETS, ids=SET_IDS)
def test_an_accepted_answer_of_every_case_is_in_its_evidence(path: Path) -> None:
    # Aliases may be other phrasings ("Neolithic urn"), but one must be the evidence's own words,
    # or an answer quoting the review could never score.
    reviews = {r.id: r for r in load_reviews(SHIPPED_CORPUS)}
    for case in load_cases(path, reviews):
        if not case.answerable:
            continue
        quotes = " ".join(reviews[e.review_id].text[e.start : e.end] for e in case.evidence)
        assert is_correct(quotes, case.answers), f"{case.id}: no accepted answer is in its evidence"


@pytest.mark.parametrize("path", ALL_SETS, ids=SET_IDS)
def test_every_set_is_well_formed(path: Path) -> None:
    lines = _lines(path)
    assert len({line["id"] for line in lines}) == len(lines)
    for line in lines:
        answerable = line["kind"] not in ("unanswerable", "off_topic")
        assert bool(line["answers"]) == answerable and bool(line["evidence"]) == answerable, line["id"]
        if line["kind"] == "multi_turn":
            assert line["history"], line["id"]


@pytest.mark.parametrize("path", [DEV, TEST], ids=["dev", "test"])
def test_dev_and_test_each_have_the_required_kinds_and_sizes(path: Path) -> None:
    kinds = Counter(line["kind"] for line in _lines(path))
    assert sum(kinds.values()) >= 50
    assert kinds["unanswerable"] + kinds["off_topic"] >= 12
    assert kinds["multi_turn"] >= 8 and kinds["paraphrase"] >= 6


def test_dev_and_test_are_the_reproducible_split_of_one_set() -> None:
    # Nothing may move between dev and test: the split is what scripts/split_eval.py makes.
    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    from split_eval import split

    dev = DEV.read_text(encoding="utf-8").splitlines()
    test = TEST.read_text(encoding="utf-8").splitlines()
    assert not {json.loads(x)["id"] for x in dev} & {json.loads(x)["id"] for x in test}
    assert split(dev + test) == split(test + dev) == (dev, test)


def test_the_blind_set_has_what_the_trust_issue_asks_for() -> None:
    lines = _lines(BLIND)
    kinds = Counter(line["kind"] for line in lines)
    assert len(lines) >= 100
    assert kinds["unanswerable"] >= 25 and kinds["paraphrase"] >= 15 and kinds["off_topic"] >= 3
    assert sum(bool(line["history"]) for line in lines) >= 10
    assert all(line["id"].startswith("blind-") for line in lines)


def test_the_second_dev_batch_shares_no_question_with_the_held_out_sets() -> None:
    # dev2 was written by a helper that saw only the reviews; its near-copies of test, blind and
    # training questions were dropped, so choosing on it tells nothing about test or blind.
    held = [_words(line["question"]) for path in (TEST, BLIND, TRAIN) for line in _lines(path)]
    lines = _lines(DEV2)
    assert len(lines) >= 50 and all(line["id"].startswith("dev2-") for line in lines)
    for line in lines:
        words = _words(line["question"])
        assert all(len(words & h) / len(words | h) < 0.6 for h in held), line["id"]


def test_the_third_dev_batch_shares_no_question_with_the_other_sets_or_the_readers_data() -> None:
    # dev3 was written by helpers that saw only the reviews (scripts/merge_written_questions.py);
    # its near-copies of other held-out questions and of any question the reader trains on were dropped.
    from assistant.reader_data import make_pairs

    paraphrases = PROJECT_DIR / "eval" / "train_paraphrases.jsonl"
    pairs = make_pairs(13, corpus_dir=SHIPPED_CORPUS, questions_path=TRAIN, paraphrases_path=paraphrases)
    held = [_words(line["question"]) for path in (DEV, DEV2, TEST, BLIND, TRAIN) for line in _lines(path)]
    held += [_words(q) for q in {p.question for p in pairs}]
    lines = _lines(DEV3)
    assert len(lines) >= 250 and all(line["id"].startswith("dev3-") for line in lines)
    for line in lines:
        words = _words(line["question"])
        assert all(len(words & h) / len(words | h) < 0.6 for h in held), line["id"]


def test_load_cases_rejects_a_quote_missing_from_the_corpus(tmp_path: Path) -> None:
    reviews = {r.id: r for r in load_reviews(SHIPPED_CORPUS)}
    bad = tmp_path / "bad.jsonl"
    case = {"id": "x", "kind": "fact", "question": "q?", "answers": ["a"], "history": [],
            "evidence": [{"review_id": "review-000", "quote": "a sentence no review contains"}]}  # fmt: skip
    bad.write_text(json.dumps(case) + "\n", encoding="utf-8")
    try:
        load_cases(bad, reviews)
    except ValueError as exc:
        assert "bad.jsonl:1" in str(exc)
    else:
        raise AssertionError("a missing quote was accepted")


def _words(question: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", question.lower()))


def test_no_training_question_is_a_near_copy_of_a_test_question() -> None:
    # The answerability model and the reader are fitted on training questions; the eval sets must stay
    # held out, so no training question may share 60% or more of its words with one of theirs (Jaccard).
    test = [line["question"] for held in (DEV, DEV2, DEV3, TEST, BLIND) for line in _lines(held)]
    train = [line["question"] for line in _lines(TRAIN)]
    assert len(train) >= 100
    for question in train:
        words = _words(question)
        for other in test:
            overlap = len(words & _words(other)) / len(words | _words(other))
            assert overlap < 0.6, f"training question {question!r} is too close to test question {other!r}"
