"""What the reader's training data is made from: review sentences, training questions and their LLM
paraphrases, the hand-written rules of data/reader_rules.yaml, and the held-out questions it keeps
clear of. `reader_data.make_pairs` turns these into labelled pairs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .chunking import split_sentences
from .corpus import load_reviews

TRAIN_QUESTIONS = Path("eval/train_questions.jsonl")
# Two LLM paraphrases of each training question (scripts/paraphrase_questions.py writes them).
PARAPHRASES = Path("eval/train_paraphrases.jsonl")
# Two more paraphrases per question in two further styles (scripts/paraphrase_questions.py --styles more).
MORE_PARAPHRASES = Path("eval/train_paraphrases_more.jsonl")
# Questions an LLM wrote for each review sentence (scripts/generate_questions.py writes them).
GENERATED = Path("eval/train_generated.jsonl")
# WordNet synonyms and sister terms of the training questions' words (scripts/make_wordnet_table.py).
WORDNET = Path("eval/train_wordnet.jsonl")
CORPUS_DIR = Path("corpus")
HELDOUT_QUESTIONS = tuple(
    Path(f"eval/{name}_questions.jsonl") for name in ("dev", "dev2", "dev3", "test", "blind")
)
NEAR_COPY = 0.6  # Jaccard of word sets: the limit tests/test_eval_set.py applies to training questions


@dataclass(frozen=True)
class Sentence:
    review_id: str
    index: int
    paragraph: int
    text: str


@dataclass(frozen=True)
class Fact:
    """Questions a sentence answers when it matches `answer` (a case-insensitive regex).

    `near` are questions on the same subject that a matching sentence does NOT answer. Sentences that
    match `maybe` are left out of this fact's negatives (they half-state it). `kind` groups facts whose
    questions are swapped against each other's sentences (how many X vs how many Y).
    """

    name: str
    kind: str
    answer: str
    questions: tuple[str, ...]
    near: tuple[str, ...] = ()
    maybe: str = ""


def _load_rules() -> dict[str, Any]:
    """The hand-written rules of assistant/data/reader_rules.yaml (facts, swaps, names, stopwords)."""
    import yaml

    text = resources.files(__package__).joinpath("data", "reader_rules.yaml").read_text(encoding="utf-8")
    rules: dict[str, Any] = yaml.safe_load(text)
    return rules


_RULES = _load_rules()
FACTS: tuple[Fact, ...] = tuple(
    Fact(
        f["name"],
        f["kind"],
        f["answer"],
        tuple(f["questions"]),
        tuple(f.get("near", ())),
        f.get("maybe", ""),
    )
    for f in _RULES["facts"]
)
ROLE_SWAPS: tuple[tuple[str, tuple[str, ...]], ...] = tuple((p, tuple(r)) for p, r in _RULES["role_swaps"])
ENTITY_SWAPS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (p, tuple(r)) for p, r in _RULES["entity_swaps"]
)
AI_NAME_RE: str = _RULES["ai_name_re"]
AI_NAMES: tuple[str, ...] = tuple(_RULES["ai_names"])
STOPWORDS = frozenset(_RULES["stopwords"])


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 1}


def top_overlap(question: str, sentences: Sequence[Sentence], exclude: set[str], k: int) -> list[Sentence]:
    """Up to `k` of `sentences` (not in `exclude`) sharing the most words with `question`, earlier first
    on ties; none that shares no word."""
    qw = words(question)
    scored = [(len(qw & words(s.text)), -i, s) for i, s in enumerate(sentences) if s.text not in exclude]
    scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
    return [s for n, _, s in scored[:k] if n > 0]


def load_sentences(corpus_dir: Path = CORPUS_DIR) -> list[Sentence]:
    """Every sentence of every review, with its paragraph number; texts exactly as in the review."""
    out: list[Sentence] = []
    for review in load_reviews(corpus_dir):
        for i, span in enumerate(split_sentences(review.text)):
            paragraph = len(re.findall(r"\n\s*\n", review.text[: span.start]))
            out.append(Sentence(review.id, i, paragraph, review.text[span.start : span.end]))
    return out


def load_train_questions(path: Path = TRAIN_QUESTIONS) -> list[dict[str, object]]:
    if path.name != TRAIN_QUESTIONS.name:
        raise ValueError("reader data is made from the training questions only")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def training_questions(corpus_dir: Path = CORPUS_DIR, questions_path: Path = TRAIN_QUESTIONS) -> list[str]:
    """Every question `make_pairs` asks on its own (no history): training rows and rule-made ones."""
    out = [str(r["question"]) for r in load_train_questions(questions_path) if not r.get("history")]
    for fact in FACTS:
        out += list(fact.questions) + list(fact.near)
    return list(dict.fromkeys(out))


def acceptable_paraphrase(question: str, paraphrase: str) -> bool:
    """Keep an LLM paraphrase only when it is one question, not the original, and not a near copy of it.

    >>> acceptable_paraphrase("Who directed the film?", "Who was behind the camera for the movie?")
    True
    >>> acceptable_paraphrase("Who directed the film?", "Who directed the film?")
    False
    >>> acceptable_paraphrase("Who directed the film?", "Alison Klayman directed it.")
    False
    """
    text = paraphrase.strip()
    n = len(text.split())
    if not text.endswith("?") or text.count("?") > 1 or not 3 <= n <= 40:
        return False
    a, b = _question_words(question), _question_words(text)
    return len(a & b) / max(len(a | b), 1) < 0.9


_DEICTIC = re.compile(r"\b(?:that|this|it|then|there|these|those)\s*\?$", re.IGNORECASE)


def acceptable_generated(question: str, answer: str, sentence: str) -> bool:
    """Keep an LLM-written question only when it is one question whose answer the sentence holds
    and the question does not give away.

    >>> s = "He was detained for 81 days in 2011."
    >>> acceptable_generated("How long was he held?", "81 days", s)
    True
    >>> acceptable_generated("How long was he held for 81 days?", "81 days", s)
    False
    >>> acceptable_generated("Where was he held?", "a secret prison", s)
    False
    >>> acceptable_generated("What did he do after that?", "detained", s)
    False
    """
    text, found = question.strip(), _norm(answer).strip(" .,;:'\"")
    n = len(text.split())
    if not text.endswith("?") or text.count("?") > 1 or not 4 <= n <= 30:
        return False
    if _DEICTIC.search(text):  # "what did he do after that?" needs the sentence before it
        return False
    return bool(found) and found in _norm(sentence) and found not in _norm(text)


def load_generated(path: Path | None = GENERATED) -> list[dict[str, object]]:
    """The generated questions as training rows (question, answers, evidence); [] when absent."""
    if path is None or not path.exists():
        return []
    rows: list[dict[str, object]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            for item in row["questions"]:
                rows.append({"kind": "generated", **item, "evidence": row["evidence"]})
    return rows


def load_paraphrases(path: Path | None = PARAPHRASES) -> dict[str, tuple[str, ...]]:
    """Question -> its kept paraphrases; empty when the file is absent (a corpus of one's own)."""
    if path is None or not path.exists():
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out[str(row["question"])] = tuple(str(p) for p in row["paraphrases"])
    return out


def load_wordnet(path: Path | None = WORDNET) -> dict[str, dict[str, list[Any]]]:
    """Question -> {"synonyms": [questions], "sisters": [{question, word, lemma}]}; empty when absent."""
    if path is None or not path.exists():
        return {}
    out: dict[str, dict[str, list[Any]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out[str(row["question"])] = {"synonyms": row["synonyms"], "sisters": row["sisters"]}
    return out


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def evidence_sentences(
    row: dict[str, object], sentences: Sequence[Sentence], narrow: bool = True
) -> list[Sentence]:
    """The sentences holding (or overlapping) a question's evidence quotes; with `narrow`, a quote over
    several sentences keeps only those holding an answer string (when any does)."""
    found: list[Sentence] = []
    answers = [_norm(str(a)) for a in row.get("answers") or []]  # type: ignore[attr-defined]
    for ev in row.get("evidence") or []:  # type: ignore[attr-defined]
        quote = _norm(ev["quote"])
        same = [s for s in sentences if s.review_id == ev["review_id"]]
        hits = [s for s in same if quote in _norm(s.text) or _norm(s.text) in quote]
        if not hits:  # a quote spanning sentences: any sentence sharing a long piece of it
            hits = [s for s in same if any(part and part in _norm(s.text) for part in _pieces(quote))]
        if narrow and len(hits) > 1 and answers:
            with_answer = [s for s in hits if any(a and a in _norm(s.text) for a in answers)]
            hits = with_answer or hits
        found.extend(h for h in hits if h not in found)
    return found


def _pieces(quote: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", quote)
    return [p for p in parts if len(p) > 25]


def _question_words(question: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", question.lower()))


def near_copy(question: str, held: Sequence[frozenset[str]]) -> bool:
    """True when `question` shares NEAR_COPY or more of its words (Jaccard) with one of `held`
    (word sets from `_question_words`)."""
    w = _question_words(question)
    return any(len(w & h) / max(len(w | h), 1) >= NEAR_COPY for h in held)


def heldout_questions(root: Path = Path("."), paths: Sequence[Path] = HELDOUT_QUESTIONS) -> list[str]:
    """The questions of `paths` (by default the dev, dev2, dev3, test and blind sets), their follow-ups
    and history questions too."""
    out: list[str] = []
    for path in paths:
        for line in (root / path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(str(row["question"]))
                out += [str(turn[0]) for turn in row.get("history") or []]
    return out
