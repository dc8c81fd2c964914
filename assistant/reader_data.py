"""Training pairs for the reader: (question, sentence, label) where 1 means the sentence STATES the answer.

Reproducible from a seed. Sources: the review texts, eval/train_questions.jsonl, and the committed LLM
output made from those two alone (paraphrases of the training questions; optionally, questions
written for each sentence); never the dev, dev2, test or blind sets. Three kinds of pairs:

- positives: training and generated questions against the sentence(s) holding their evidence quote,
  and questions made by rules (`FACTS`) against every sentence whose text matches the rule's answer
  pattern;
- near-miss negatives: a positive question changed so the sentence no longer states the answer (a
  swapped role or attribute, a detail the sentence does not give, another film or person), labelled 0
  against the sentence it was positive for;
- hard negatives: positive questions against the other sentences of the paragraph and against the
  sentences sharing the most words with them; unanswerable and off-topic training questions against
  their most word-overlapping sentences.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .reader_sources import (
    AI_NAME_RE,
    AI_NAMES,
    CORPUS_DIR,
    ENTITY_SWAPS,
    FACTS,
    GENERATED,
    MORE_PARAPHRASES,
    PARAPHRASES,
    ROLE_SWAPS,
    TRAIN_QUESTIONS,
    WORDNET,
    Fact,
    Sentence,
    _norm,
    _question_words,
    acceptable_generated,
    acceptable_paraphrase,
    evidence_sentences,
    heldout_questions,
    load_generated,
    load_paraphrases,
    load_sentences,
    load_train_questions,
    load_wordnet,
    near_copy,
    top_overlap,
    training_questions,
    words,
)
from .reader_synthetic import load_synthetic, synthetic_pairs

# Re-exported from reader_sources, so training scripts and tests import the data's parts from here.
__all__ = [
    "FACTS",
    "GENERATED",
    "MORE_PARAPHRASES",
    "PARAPHRASES",
    "TRAIN_QUESTIONS",
    "WORDNET",
    "Pair",
    "Sentence",
    "acceptable_generated",
    "acceptable_paraphrase",
    "counts",
    "data_sha256",
    "drop_near_copies",
    "evidence_sentences",
    "heldout_questions",
    "load_generated",
    "load_paraphrases",
    "load_sentences",
    "load_train_questions",
    "make_pairs",
    "training_questions",
]


@dataclass(frozen=True)
class Pair:
    question: str
    sentence: str
    label: int
    source: str  # train_pos, rule_pos, near_miss, swap_role, swap_entity, cross_fact, paragraph, lexical, ...
    review_id: str


def _name_variants(question: str, rng: random.Random) -> list[str]:
    """The question with Ai named each other way (or one casing variant), plus the original."""
    out = [question]
    m = re.search(AI_NAME_RE, question)
    if m:
        out += [question[: m.start()] + n + question[m.end() :] for n in AI_NAMES if n != m.group()]
    elif question.lower().startswith(("who ", "what ", "how ", "when ", "where ", "why ", "which ")):
        out.append(rng.choice([question.lower(), question.rstrip("?")]))
    return out


def _swaps(
    question: str, table: Sequence[tuple[str, tuple[str, ...]]], rng: random.Random, k: int
) -> list[str]:
    out: list[str] = []
    for pattern, replacements in table:
        m = re.search(pattern, question)
        if m:
            for rep in rng.sample(list(replacements), min(k, len(replacements))):
                if rep.lower() != m.group().lower() and rep.lower() not in question.lower():
                    out.append(question[: m.start()] + rep + question[m.end() :])
    return out


def make_pairs(
    seed: int = 13,
    review_ids: Sequence[str] | None = None,
    corpus_dir: Path = CORPUS_DIR,
    questions_path: Path = TRAIN_QUESTIONS,
    paraphrases_path: Path | None = PARAPHRASES,
    generated_path: Path | None = None,
    more_paraphrases_path: Path | None = None,
    wordnet_path: Path | None = None,
    synthetic_path: Path | None = None,
    more_synthetic_path: Path | None = None,
) -> list[Pair]:
    """All pairs, deduplicated and shuffled with `seed`. `review_ids` keeps only those reviews' sentences.

    With `paraphrases_path`, each question's paraphrases are added with its label: against its positive
    sentences, its paragraph neighbours and the sentences sharing most words with the paraphrase. With
    `generated_path` (eval/train_generated.jsonl; off by default: it did not lower the dev cost), the
    LLM-written questions of each sentence join the training questions. `more_paraphrases_path` adds
    further paraphrases (eval/train_paraphrases_more.jsonl) to those of `paraphrases_path`. With
    `wordnet_path` (eval/train_wordnet.jsonl), a question with one word changed to a WordNet synonym is
    positive for the question's sentences, and with one word changed to a sister term ("directed" ->
    "produced") negative for those of its sentences that hold the word. With `synthetic_path`
    (eval/train_synthetic.jsonl), the questions of invented reviews are asked against their own
    sentences (`reader_synthetic.synthetic_pairs`); `more_synthetic_path` adds those of a later round
    (eval/train_synthetic_more.jsonl) after them.
    """
    rng = random.Random(seed)
    wordnet = load_wordnet(wordnet_path)
    paraphrases = load_paraphrases(paraphrases_path)
    for question, more in load_paraphrases(more_paraphrases_path).items():
        paraphrases[question] = tuple(dict.fromkeys(paraphrases.get(question, ()) + more))
    sentences = load_sentences(corpus_dir)
    if review_ids is not None:
        sentences = [s for s in sentences if s.review_id in set(review_ids)]
    rows = load_train_questions(questions_path) + load_generated(generated_path)
    pairs: list[Pair] = []

    def add(question: str, sentence: Sentence, label: int, source: str) -> None:
        pairs.append(Pair(question, sentence.text, label, source, sentence.review_id))

    # (question, positive sentences, sentences never used as its negatives, source prefix)
    asked: list[tuple[str, list[Sentence], set[str], str]] = []

    for row in rows:
        question = str(row["question"])
        if row["kind"] in ("unanswerable", "off_topic"):
            for s in top_overlap(question, sentences, set(), 8):
                add(question, s, 0, "unanswerable")
            for s in rng.sample(sentences, min(4, len(sentences))):
                add(question, s, 0, "unanswerable_random")
            for para in paraphrases.get(question, ()):
                for s in top_overlap(para, sentences, set(), 4):
                    add(para, s, 0, "unanswerable_paraphrase")
            continue
        pos = [s for s in evidence_sentences(row, sentences)]
        if not pos:
            continue
        answers = [_norm(str(a)) for a in row.get("answers") or [] if len(str(a)) >= 4]  # type: ignore[attr-defined]
        keep = {s.text for s in sentences if any(a in _norm(s.text) for a in answers)} | {s.text for s in pos}
        asked.append((question, pos, keep, "generated_" if row["kind"] == "generated" else ""))

    facts_by_kind: dict[str, list[Fact]] = {}
    for fact in FACTS:
        facts_by_kind.setdefault(fact.kind, []).append(fact)
    for fact in FACTS:
        pos = [s for s in sentences if re.search(fact.answer, s.text, re.IGNORECASE)]
        if not pos:
            continue
        keep = {s.text for s in pos}
        if fact.maybe:
            keep |= {s.text for s in sentences if re.search(fact.maybe, s.text, re.IGNORECASE)}
        for q in fact.questions:
            asked.append((q, pos, keep, ""))
        for s in pos:
            for q in fact.near:
                for v in _name_variants(q, rng):
                    add(v, s, 0, "near_miss")
                for para in paraphrases.get(q, ()):
                    add(para, s, 0, "near_miss_paraphrase")
            # the questions of other facts of the same kind, which this sentence does not answer
            for other in facts_by_kind[fact.kind]:
                if other is fact or re.search(other.answer, s.text, re.IGNORECASE):
                    continue
                if other.maybe and re.search(other.maybe, s.text, re.IGNORECASE):
                    continue
                for q in rng.sample(list(other.questions), min(3, len(other.questions))):
                    add(q, s, 0, "cross_fact")

    # generic year rule: "What happened in YEAR?" for years in the sentence, and for years not in it
    years = sorted({y for s in sentences for y in re.findall(r"\b(?:19|20)\d\d\b", s.text)})
    for s in sentences:
        here = set(re.findall(r"\b(?:19|20)\d\d\b", s.text))
        for y in sorted(here):
            add(f"What happened in {y}?", s, 1, "rule_year")
        for y in rng.sample(
            [y for y in years if y not in here], min(2, len([y for y in years if y not in here]))
        ):
            add(f"What happened in {y}?", s, 0, "rule_year_miss")

    for question, pos, keep, tag in asked:
        variants = _name_variants(question, rng)
        for s in pos:
            for v in variants:
                add(v, s, 1, tag + "positive")
            for v in _swaps(question, ROLE_SWAPS, rng, 2):
                add(v, s, 0, tag + "swap_role")
            for v in _swaps(question, ENTITY_SWAPS, rng, 2):
                add(v, s, 0, tag + "swap_entity")
        pos_texts = {s.text for s in pos}
        neighbours = [
            s
            for s in sentences
            if s.text not in keep
            and any(p.review_id == s.review_id and p.paragraph == s.paragraph for p in pos)
            and any(p.review_id == s.review_id and abs(p.index - s.index) <= 4 for p in pos)
        ]
        for s in neighbours:
            add(question, s, 0, tag + "paragraph")
        for s in top_overlap(question, sentences, keep | pos_texts, 6):
            add(question, s, 0, tag + "lexical")
        others = [s for s in sentences if s.text not in keep]
        for s in rng.sample(others, min(4, len(others))):
            add(question, s, 0, tag + "random")
        if question in wordnet:
            _add_wordnet(question, wordnet[question], pos, neighbours, rng, add)
        for para in paraphrases.get(question, ()):
            for s in pos:
                add(para, s, 1, "paraphrase")
            for s in neighbours:
                add(para, s, 0, "paraphrase_paragraph")
            for s in top_overlap(para, sentences, keep | pos_texts, 4):
                add(para, s, 0, "paraphrase_lexical")
    synthetic_pairs(load_synthetic(synthetic_path) + load_synthetic(more_synthetic_path), rng, add)

    unique: dict[tuple[str, str], Pair] = {}
    for p in pairs:
        key = (p.question, p.sentence)
        if key in unique and unique[key].label != p.label:
            # a question positive for a sentence stays positive; a clash is a rule error, keep the positive
            if p.label == 1:
                unique[key] = p
            continue
        unique.setdefault(key, p)
    out, _dropped = drop_near_copies(
        sorted(unique.values(), key=lambda p: (p.question, p.sentence)),
        heldout_questions(corpus_dir.parent if corpus_dir.name == "corpus" else Path(".")),
    )
    rng.shuffle(out)
    return out


def _add_wordnet(
    question: str,
    variants: dict[str, list[Any]],
    pos: Sequence[Sentence],
    neighbours: Sequence[Sentence],
    rng: random.Random,
    add: Callable[[str, Sentence, int, str], None],
    k: int = 2,
) -> None:
    """Up to `k` synonym variants as positives (and against the paragraph's other sentences as
    negatives), and up to `k` sister-term variants as negatives for each sentence holding the word."""
    synonyms = list(variants["synonyms"])
    for v in rng.sample(synonyms, min(k, len(synonyms))):
        for s in pos:
            add(v, s, 1, "wordnet_synonym")
        for s in neighbours:
            add(v, s, 0, "wordnet_synonym_paragraph")
    for s in pos:
        held = words(s.text)
        sisters = [
            v["question"]
            for v in variants["sisters"]
            if any(w.startswith(v["lemma"][:5]) for w in held)
            and not (words(v["question"]) - words(question)) & held
        ]
        for v in rng.sample(sisters, min(k, len(sisters))):
            add(v, s, 0, "wordnet_sister")


def drop_near_copies(pairs: Sequence[Pair], heldout: Iterable[str]) -> tuple[list[Pair], int]:
    """Drop pairs whose question shares NEAR_COPY or more of its words with a held-out question.

    The rule-made questions were written by people who had seen the dev set; this keeps any that came
    out close to a dev, test or blind question out of training. Returns (kept pairs, questions dropped).
    """
    held = [_question_words(q) for q in heldout]
    bad = {question for question in {p.question for p in pairs} if near_copy(question, held)}
    return [p for p in pairs if p.question not in bad], len(bad)


def data_sha256(pairs: Sequence[Pair]) -> str:
    payload = json.dumps([asdict(p) for p in pairs], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def counts(pairs: Sequence[Pair]) -> dict[str, int]:
    c: Counter[str] = Counter()
    for p in pairs:
        c[f"label_{p.label}"] += 1
        c[f"source_{p.source}"] += 1
    c["total"] = len(pairs)
    return dict(sorted(c.items()))


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    pairs = make_pairs(args.seed)
    for k, v in counts(pairs).items():
        print(f"{k:28s} {v}")
    print("sha256", data_sha256(pairs))
    if args.out:
        args.out.write_text(
            "".join(json.dumps(asdict(p), ensure_ascii=False) + "\n" for p in pairs), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
