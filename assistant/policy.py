"""The answer policy's words: what to say when the reviews don't answer, for the question asked.

Three outcomes reach users: an answer (with citations), "the reviews don't say" (with the closest
passages, marked as not an answer), and a clear message for a question about something the
reviews never mention ("Who directed Jaws?"). This module finds the last case and words the two
refusals; the backends decide when to refuse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .answer_types import AUXILIARY
from .corpus import Review
from .retrieval import tokenize

FILM = "Ai Weiwei: Never Sorry"
# Capitalised words that open or shape a question rather than name something.
_NOT_NAMES = frozenset(
    """who whom whose what when where which why how is was were are did does do can could would should
    will has have had tell please list name describe give explain i in on at of for and or but the a an
    according""".split()
)
_NAME_RE = re.compile(r"\b[A-Z][\w’'-]*")
# Words for peoples and languages ("German", "English", "Chinese") often paraphrase a place the
# reviews do name ("the German show" for Munich), so they are not taken for unknown names.
_DEMONYM = re.compile(r"(?:an|ish|ese|ian)$")
_OPENING = re.compile(r"(?:^|[.!?:;]\s+|[\"“‘(]\s*)$")


def corpus_words(reviews: Mapping[str, Review]) -> frozenset[str]:
    """Return every word (as `retrieval.tokenize` gives it) of the reviews' titles and texts."""
    words: set[str] = set()
    for review in reviews.values():
        words.update(tokenize(f"{review.title} {review.text}"))
    return frozenset(words)


def unknown_names(question: str, known: frozenset[str]) -> list[str]:
    """Return the names in `question` that no review contains: 'Who directed Jaws?' -> ['Jaws'].

    A name is a capitalised word inside the question (not its first word, not 'German' or
    'English'). Lower-case words are left to the backends: they may paraphrase what the reviews say.
    """
    found: list[str] = []
    for match in _NAME_RE.finditer(question):
        word = match.group(0).strip("’'-")
        opening = _OPENING.search(question[: match.start()]) is not None
        if word.lower() in _NOT_NAMES or opening or _DEMONYM.search(word):
            continue
        terms = tokenize(word)
        if terms and not all(t in known for t in terms) and word not in found:
            found.append(word)
    return found


def not_stated_text(question: str) -> str:
    """Return the refusal for a question the reviews don't answer, worded for that question.

    >>> not_stated_text("Who composed the music for the film?")
    "The reviews don't say who composed the music for the film."
    """
    # A question about its own subject ("who composed the music?", "which company made it?") reads
    # on after "the reviews don't say"; an inverted one ("what year was he born?") does not.
    asked = " ".join(question.split()).rstrip(" ?.!")
    words = asked.lower().split()
    subject = len(words) > 1 and words[0] in ("who", "what", "which") and not AUXILIARY & set(words[1:3])
    if subject and len(asked) <= 200:
        return f"The reviews don't say {asked[0].lower()}{asked[1:]}."
    return "The reviews don't say. Nothing in them answers this question."


def part_not_stated_text(part: str) -> str:
    """Return what an answer says about the part of a compound question the reviews leave open.

    >>> print(part_not_stated_text("Who composed the music?"))
    The reviews don't say who composed the music.
    >>> print(part_not_stated_text("Which award did it win?"))
    The reviews don't answer “Which award did it win?”
    """
    text = not_stated_text(part)
    return text if text != not_stated_text("?") else f"The reviews don't answer “{part.strip()}”"


def off_topic_text(names: Iterable[str]) -> str:
    """Return the message for a question about things the reviews never mention."""
    listed = ", ".join(names)
    return (
        f"The reviews don't mention {listed}, so I can't answer this. I answer questions about the "
        f"documentary {FILM} from its reviews."
    )
