"""Reader training pairs from synthetic reviews: invented reviews of invented documentaries, written with
their questions by helpers who saw none of our reviews or questions (`eval/briefs/synthetic_brief.md`).

The review corpus has about 90 sentences, so a reader trained on it alone learns those sentences. The
synthetic reviews bring other people, roles, dates, numbers and places, asked about in other words
(and near-miss questions they do not answer), so the reader has to read the sentence to score it.
One JSON object per line: `doc_id`, `title`, `text`, and `questions`, each with `kind` ("paraphrase",
"fact", "relational", "yes_no", "follow_up" or "unanswerable"), `question`, `answers`, `evidence` (the
answering sentence, copied from `text`) and, for a follow-up, `history` (the earlier turn, as
[question, answer] pairs): such a question is asked as the assistant asks it, made standalone by
`conversation.condense`.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .chunking import split_sentences
from .conversation import condense
from .reader_sources import Sentence, top_overlap

SYNTHETIC = Path("eval/train_synthetic.jsonl")
# The third round (relations asked from the other side, yes/no questions, follow-ups), kept in its own
# file so the pairs of SYNTHETIC, and the shipped reader's data hash, stay as they were.
MORE_SYNTHETIC = Path("eval/train_synthetic_more.jsonl")
ANSWERABLE = frozenset({"paraphrase", "fact", "relational", "yes_no", "follow_up"})
# A synthetic review must not be about the film: the reader would learn facts from invented text.
ABOUT_THE_FILM = re.compile(r"\b(?:Ai Weiwei|Weiwei|Klayman|Never Sorry)\b", re.IGNORECASE)


@dataclass(frozen=True)
class SyntheticQuestion:
    kind: str
    question: str
    answers: tuple[str, ...]
    evidence: tuple[str, ...]
    history: tuple[tuple[str, str], ...] = ()

    @property
    def asked(self) -> str:
        """The question as the reader reads it: with its earlier turn when it is a follow-up."""
        return condense(self.question, self.history).text if self.history else self.question


@dataclass(frozen=True)
class SyntheticDoc:
    doc_id: str
    text: str
    questions: tuple[SyntheticQuestion, ...]


def load_synthetic(path: Path | None) -> list[SyntheticDoc]:
    """The synthetic reviews of `path` (none when `path` is None); a malformed line raises ValueError."""
    if path is None:
        return []
    docs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions = tuple(
                SyntheticQuestion(
                    str(q["kind"]),
                    str(q["question"]),
                    tuple(str(a) for a in q.get("answers") or ()),
                    tuple(str(e) for e in q.get("evidence") or ()),
                    tuple((str(turn[0]), str(turn[1])) for turn in q.get("history") or ()),
                )
                for q in row["questions"]
            )
            docs.append(SyntheticDoc(str(row["doc_id"]), str(row["text"]), questions))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a synthetic review ({error})") from error
    return docs


def doc_sentences(doc: SyntheticDoc) -> list[Sentence]:
    """The review's sentences, split as the assistant splits reviews (paragraphs by blank lines)."""
    out = []
    for i, span in enumerate(split_sentences(doc.text)):
        paragraph = doc.text.count("\n\n", 0, span.start)
        out.append(Sentence(doc.doc_id, i, paragraph, doc.text[span.start : span.end]))
    return out


def positives(
    question: SyntheticQuestion, doc: SyntheticDoc, sentences: Sequence[Sentence]
) -> list[Sentence]:
    """The sentences inside an evidence quote that hold an answer (all of the quote's, if none does)."""
    spans = split_sentences(doc.text)  # `sentences` are these spans' texts, in order (`doc_sentences`)
    found: list[Sentence] = []
    for quote in question.evidence:
        at = doc.text.find(quote)
        if at < 0:
            continue
        inside = [s for s in sentences if spans[s.index].start < at + len(quote) and spans[s.index].end > at]
        found += [s for s in inside if _holds_answer(s, question.answers, 1)] or inside
    return list(dict.fromkeys(found))


def synthetic_pairs(
    docs: Sequence[SyntheticDoc], rng: random.Random, add: Callable[[str, Sentence, int, str], None]
) -> None:
    """Pairs for each question against its own review: the answering sentence a positive; as
    negatives its neighbours, the sentences sharing most words with the question, and two at random
    (never a sentence that holds one of the answers)."""
    for doc in docs:
        sentences = doc_sentences(doc)
        for q in doc.questions:
            asked = q.asked  # a follow-up is condensed once, not once a pair
            answerable = q.kind in ANSWERABLE
            pos = positives(q, doc, sentences) if answerable else []
            if answerable and not pos:
                continue
            for s in pos:
                add(asked, s, 1, f"synthetic_{q.kind}")
            used = {s.text for s in pos} | {s.text for s in sentences if _holds_answer(s, q.answers, 4)}
            near = [
                s for s in sentences if s.text not in used and any(abs(s.index - p.index) == 1 for p in pos)
            ]
            for s in near:
                add(asked, s, 0, "synthetic_neighbour")
            used |= {s.text for s in near}
            for s in top_overlap(asked, sentences, used, 4 if answerable else 6):
                add(asked, s, 0, "synthetic_lexical" if answerable else "synthetic_unanswerable")
                used.add(s.text)
            rest = [s for s in sentences if s.text not in used]
            for s in rng.sample(rest, min(2, len(rest))):
                add(asked, s, 0, "synthetic_random")


def _holds_answer(sentence: Sentence, answers: Sequence[str], shortest: int) -> bool:
    """True when the sentence holds one of `answers` at least `shortest` characters long."""
    return any(len(a) >= shortest and a.lower() in sentence.text.lower() for a in answers)
