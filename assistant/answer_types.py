"""What kind of answer a question asks for, and finding such an answer in a sentence.

'How many backpacks ...?' wants a number next to 'backpacks'; 'Who ...?' wants a person's name that
the question does not already contain; 'What was the name of the hotel?' wants a name next to
'hotel'. A sentence about the right thing that holds no such answer does not answer the question:
that is the commonest way an unanswerable question looks answerable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .retrieval import STOPWORDS, tokenize

_NUMBER_WORDS = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"a few|several|hundred|thousand|million|billion)"
)
_NUMBER = (
    rf"(?:\$?\d[\d,.]*(?:\s+(?:hundred|thousand|million|billion))?|{_NUMBER_WORDS}(?:[\s-]+{_NUMBER_WORDS})*)"
)
_APPROX = r"(?:almost |over |more than |nearly |about |around |some |at least )?"
_TIME_UNIT = r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)"
_PATTERNS = {
    "quantity": re.compile(rf"(?<![\w$.,]){_APPROX}{_NUMBER}\b", re.IGNORECASE),
    "duration": re.compile(rf"(?<![\w$.,]){_APPROX}{_NUMBER}\s+{_TIME_UNIT}\b", re.IGNORECASE),
    "year": re.compile(r"\b(?:1[89]\d\d|20\d\d)\b"),
    "person": re.compile(r"\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*"),
    "name": re.compile(r"[‘“\"][^’”\"]{2,80}[’”\"]|\b[A-Z][\w’'-]+(?:\s+(?:of\s+|the\s+)?[A-Z][\w’'-]+)*"),
    "place": re.compile(r"\b[A-Z][\w’'-]+(?:\s+(?:of\s+|the\s+)?[A-Z][\w’'-]+)*"),
    "date": re.compile(
        r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December)"
        r"(?:\s+\d{1,2}(?:st|nd|rd|th)?)?\b|\b\d{1,2}(?:st|nd|rd|th)\b"
    ),
}
# "Where ...?" wants a name that stands where a place does: "at London’s Tate Modern", "in Munich".
_PLACE_BEFORE = re.compile(r"\b(?:in|at|to|from|near|outside|inside|across)\s+(?:the\s+)?$", re.IGNORECASE)
#: Auxiliary verbs, which open inverted questions ("was he ...", "did she ...").
AUXILIARY = frozenset("was were is are did do does has have had will would can could".split())
# Where the noun phrase after 'name of' ends: 'the hotel | where ...', 'the mother | quoted in ...'.
_PHRASE_END = AUXILIARY | frozenset(
    "where that which who whom whose when in at on for with by from to".split()
)
_WH_OPENING = re.compile(r"^\s*(?:what|which|who|whom|whose|where|when|how|why)\b", re.IGNORECASE)
_TRAILING_CLAUSE = re.compile(
    r"\s+(?:once|after|before|while|when|since|until|because|whose|although|though)\s.*$", re.IGNORECASE
)
_QUESTION_FORMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bhow (?:many|much)\b(?P<focus>(?:\s+[\w’'-]+){0,4})", re.I), "quantity"),
    (re.compile(r"\bhow long\b", re.I), "duration"),
    (re.compile(r"^\s*(?:when\b|(?:in |during )?(?:what|which) year\b)", re.I), "year"),
    (re.compile(r"\b(?:name|names|called)\b(?:\s+of)?(?P<focus>(?:\s+[\w’'-]+){0,8})", re.I), "name"),
    (re.compile(r"^\s*(?:who|whom|whose)\b", re.I), "person"),
    (re.compile(r"\b(?:which|what) (?:city|country|town|museum|gallery)\b(?P<focus>.*)", re.I), "place"),
    # Asked for but not named next to a thing: "how old", "where", "on what date", "which hospital".
    (re.compile(r"\bhow old\b", re.I), "quantity"),
    (re.compile(r"^\s*where\b", re.I), "place"),
    (re.compile(r"\b(?:which|what) (?:date|day|month)\b", re.I), "date"),
    (re.compile(r"^\s*(?:\w+\s+)?which\b", re.I), "name"),
]
# How close (in words) an answer must sit to the thing asked about; a name is right next to it
# ("the commission ‘Web of Light’", "his Shanghai studio").
_ANCHOR_WINDOW = {"name": 2}
_DEFAULT_WINDOW = 4
_ANCHOR_SIMILARITY = 0.6


class Vectors(Protocol):
    """Unit word vectors (see evidence.WordVectors)."""

    def get(self, words: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class QuestionType:
    """The kind of answer asked for, and the words it must stand next to ('backpack')."""

    kind: str | None = None
    focus: tuple[str, ...] = ()

    @property
    def typed(self) -> bool:
        """True when the question asks for a number, year, person, place or name."""
        return self.kind is not None


def asking_clause(question: str) -> str:
    """The clause that asks, without the clauses around it that only say which event is meant.

    After a leading clause, the last comma-separated part that opens with a question word ("When
    people asked how he could be so calm, what was his answer?" -> "what was his answer?"; "In which
    year, says the review, did he move?" stays whole); then without a trailing clause that opens with a
    subordinating word ("Which service did he move to once his site was silenced?" -> "Which service
    did he move to": what was asked about is moving, not silencing).
    """
    parts = question.split(",")
    clause = next(
        (parts[i].strip() for i in range(len(parts) - 1, 0, -1) if _WH_OPENING.match(parts[i])), question
    )
    return _TRAILING_CLAUSE.sub("", clause).strip() or clause


def question_type(question: str) -> QuestionType:
    """Return what `question` asks for: 'How many school backpacks were used?' -> quantity, backpack."""
    question = asking_clause(question)
    for pattern, kind in _QUESTION_FORMS:
        match = pattern.search(question)
        if match:
            return QuestionType(kind, _focus(kind, match.groupdict().get("focus") or ""))
    return QuestionType()


def _focus(kind: str, phrase: str) -> tuple[str, ...]:
    """Return the words the answer must stand next to, from the phrase after the question form."""
    words = re.findall(r"[\w’'-]+", phrase.lower())
    if kind == "quantity":
        # 'how many school backpacks were used' -> school, backpack; without an auxiliary verb
        # only the first word counts ('how many people sent money' -> people).
        cut = next((i for i, w in enumerate(words) if w in AUXILIARY), None)
        return _content(words[:cut] if cut is not None else words[:1])
    if kind == "name":
        # 'the name of the mother quoted in ...' -> mother: the last word of the noun phrase.
        cut = next((i for i, w in enumerate(words) if w in _PHRASE_END or w.endswith("ed")), len(words))
        head = _content(words[:cut])
        return head[-1:]
    return _content(words)


def _content(words: list[str]) -> tuple[str, ...]:
    return tuple(w for w in tokenize(" ".join(words)) if not w.isdigit())


def find_answer(sentence: str, question: str, kind: QuestionType, vectors: Vectors | None) -> str | None:
    """Return the short answer of the asked type inside `sentence`, or None.

    >>> find_answer("He was held for 81 days before trial.", "How long was he held?",
    ...             question_type("How long was he held?"), None)
    '81 days'
    """
    if kind.kind is None:
        return None
    asked = set(tokenize(question))
    spans = _word_spans(sentence)
    anchors = _anchor_positions(spans, kind.focus, vectors)
    if kind.focus and not anchors:
        return None
    best: tuple[int, int, str] | None = None
    for match in _PATTERNS[kind.kind].finditer(sentence):
        candidate = _clean(match.group(0))
        if not _acceptable(candidate, match, kind.kind, asked):
            continue
        if kind.kind == "place" and not kind.focus and not _PLACE_BEFORE.search(sentence[: match.start()]):
            continue
        distance = _distance(match, spans, anchors)
        if kind.focus and distance > _ANCHOR_WINDOW.get(kind.kind, _DEFAULT_WINDOW):
            continue
        if kind.kind == "quantity":
            candidate = _with_unit(match, spans, anchors)
        quoted = int(match.group(0)[0] not in '‘“"')  # a quoted title wins a tie
        if best is None or (distance, quoted) < best[:2]:
            best = (distance, quoted, candidate)
    return best[2] if best else None


def _with_unit(match: re.Match[str], spans: list[tuple[int, int, str]], anchors: list[int]) -> str:
    """Return the number with what it counts: up to an anchor word close behind, else one noun."""
    after = [i for i, (s, _, _) in enumerate(spans) if s >= match.end()][:3]
    end = match.end()
    close = [i for i in after if i in anchors]
    if close:
        end = spans[close[-1]][1]
    elif after and tokenize(spans[after[0]][2]) and spans[after[0]][2].islower():
        end = spans[after[0]][1]
    return _clean(match.string[match.start() : end])


def _clean(text: str) -> str:
    text = text.strip(" ,.;:")
    if len(text) > 2 and text[0] in '‘“"' and text[-1] in '’”"':
        return text[1:-1].strip(" ,.;:")
    return re.sub(r"[’']s$", "", text.strip("’'")).strip()


def _acceptable(candidate: str, match: re.Match[str], kind: str, asked: set[str]) -> bool:
    words = set(tokenize(candidate))
    if not candidate or not words or words <= asked:
        return False
    if kind in ("quantity", "duration"):
        return not re.fullmatch(r"(?:1[89]|20)\d\d", candidate.split()[0])  # a year is no count
    if kind in ("person", "place") or (kind == "name" and candidate[0].isupper()):
        # A lone capitalised first word of a sentence is not a name ("Although", "Later").
        return not (match.start() == 0 and " " not in match.group(0))
    return True


def _word_spans(sentence: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[\w’'-]+", sentence)]


def _anchor_positions(
    spans: list[tuple[int, int, str]], focus: tuple[str, ...], vectors: Vectors | None
) -> list[int]:
    """Return the positions of the words (`spans`) that match a focus word (same stem or close vector)."""
    if not focus:
        return []
    stems = [(tokenize(w) or [""])[0] for _, _, w in spans]
    hits = {i for i, s in enumerate(stems) if s in focus}
    words = [s for s in stems if s]
    if vectors is not None and words:
        sims = vectors.get(list(focus)) @ vectors.get(words).T
        close = {words[j] for j in np.nonzero(sims.max(axis=0) >= _ANCHOR_SIMILARITY)[0]}
        hits |= {i for i, s in enumerate(stems) if s in close}
    return sorted(hits)


def _distance(match: re.Match[str], spans: list[tuple[int, int, str]], anchors: list[int]) -> int:
    """Words between the match and the nearest anchor (0 when the match contains one)."""
    if not anchors:
        return 0
    inside = [i for i, (s, e, _) in enumerate(spans) if s < match.end() and e > match.start()]
    if not inside:
        return 1 << 30
    first, last = inside[0], inside[-1]
    return min(0 if first <= a <= last else min(abs(a - first), abs(a - last)) for a in anchors)


# "Who composed ...?" asks for whoever did *that*: a sentence naming the director does not answer it.
_WHO_VERB = re.compile(r"^\s*who\s+([a-z]+)\b", re.IGNORECASE)
_WHEN_AUX = re.compile(
    r"^\s*(?:when|how long|(?:in |during )?(?:what|which) year)\b"
    r".*\b(?:was|were|is|are|did|does|do|has|have|had)\b.*?\b([a-z]+)\W*$",
    re.IGNORECASE,
)
# "Which company distributed it?" and "What rating was it given?" ask about one relation too.
_WHICH_VERB = re.compile(r"^\s*which(?:\s+[\w’'-]+){1,3}?\s+([a-z]+ed)\b", re.IGNORECASE)
_WHAT_PARTICIPLE = re.compile(
    r"^\s*(?:what|which)\b.*\b(?:was|were|is|are|has|have|had)\b.*?\b([a-z]+(?:ed|en))\W*$",
    re.IGNORECASE,
)
# Verbs that carry no fact of their own ("when did it happen?"; "How long did it last?" asks for a
# duration, not for "last").
_LIGHT_VERBS = frozenset(
    "happen occur take took place start begin end come go be get make made do did have has last".split()
)
_PREDICATE_SIMILARITY = 0.6


def predicate(question: str) -> str | None:
    """Return the verb a who / when / which-X / what-participle question asks about, if found.

    >>> predicate("Who composed the music?"), predicate("What year was he born?"), predicate("Who was he?")
    ('composed', 'born', None)
    """
    question = asking_clause(question)
    match = (
        _WHO_VERB.match(question)
        or _WHEN_AUX.match(question)
        or _WHICH_VERB.match(question)
        or _WHAT_PARTICIPLE.match(question)
    )
    if not match:
        return None
    word = match.group(1)
    if word in AUXILIARY or word in _LIGHT_VERBS or word in STOPWORDS or not word.islower():
        return None  # "when was that?": a pronoun, not a verb
    return word


def states_predicate(sentence: str, verb: str, vectors: Vectors | None) -> bool:
    """True when `sentence` has `verb` or a form of it ('directed' ~ 'Director', 'moved' ~ 'lived')."""
    stem = verb.lower()[:5]
    words = [w.lower() for _, _, w in _word_spans(sentence)]
    if any(w.startswith(stem) for w in words):
        return True
    # Light verbs ("make", "take") sit close to every verb in vector space and state nothing.
    words = [w for w in words if w not in _LIGHT_VERBS and w not in STOPWORDS and len(w) > 2]
    if vectors is None or not words:
        return False
    sims = vectors.get([verb.lower()]) @ vectors.get(words).T
    return bool(sims.max() >= _PREDICATE_SIMILARITY)
