"""Follow-up questions: turn a question plus the chat so far into a standalone question, no LLM needed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .citations import strip_markers
from .evidence import content_words

#: (question, answer) pairs of earlier turns, oldest first.
History = Sequence[tuple[str, str]]

# Words that point back at something said earlier ("was it her first feature?"). "that" counts
# only as a pronoun or determiner ("after that", "was that exhibition"), not as a relative
# ("the work that used backpacks"); "there" not when existential ("is there a sequel?").
_ANAPHORA = re.compile(
    r"\b(he|him|his|she|her|hers|it|its|they|them|their|this|these|those|then)\b"
    r"|(?:^|\b(?:is|was|did|does|do|about|after|before|of|in|for|at|from|with|by))\s+that\b"
    r"|(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )\bthere\b",
    re.IGNORECASE,
)
_FOLLOW_UP_START = re.compile(r"^\s*(and|but|so|also|what about|how about|really)\b", re.IGNORECASE)


def is_follow_up(question: str) -> bool:
    """True when `question` leans on an earlier turn: a pronoun, 'and ...', or no subject of its own.

    A question that names what it asks about is standalone even when short:
    'Who composed the soundtrack?' is; 'In what year?' and 'Was it her first feature?' are not.
    """
    if _FOLLOW_UP_START.search(question) or _ANAPHORA.search(question):
        return True
    return not content_words(question)


@dataclass(frozen=True)
class Standalone:
    """A question made to stand alone: the question as asked, and what the chat adds to it.

    `context` is empty for a question that needs no earlier turn. `text` is the one string
    retrieval and the models read: the question, then the context in parentheses.
    """

    question: str
    context: str = ""

    @property
    def text(self) -> str:
        """
        >>> Standalone("Was it her first feature?", "Who directed it? Alison Klayman.").text
        'Was it her first feature? (Who directed it? Alison Klayman.)'
        """
        return f"{self.question} ({self.context})" if self.context else self.question


def as_standalone(question: str | Standalone) -> Standalone:
    """A plain string is a question with no context (never parsed for a parenthesis)."""
    return question if isinstance(question, Standalone) else Standalone(question.strip())


def condense(question: str, history: History, max_chars: int = 600) -> Standalone:
    """Return `question` made standalone: a follow-up gets the previous turn as its context.

    >>> condense("Was it her first feature?", [("Who directed it?", "**Alison Klayman** [1].")]).context
    'Who directed it? Alison Klayman.'
    >>> condense("What is (roughly) the size of the seeds (in mm)?", []).question
    'What is (roughly) the size of the seeds (in mm)?'
    """
    question = question.strip()
    if not history or not is_follow_up(question):
        return Standalone(question)
    last_q, last_a = history[-1]
    # The earlier answer without its citation markers or the **bold** our answers mark spans with.
    said = strip_markers(last_a, keep=set()).replace("**", "").strip()
    context = f"{last_q.strip()} {said}".strip()
    room = max_chars - len(question) - len(" ()")
    return Standalone(question, context[:room].strip()) if room > 0 else Standalone(question)


def condense_question(question: str, history: History, max_chars: int = 600) -> str:
    """Return the text of `condense(question, history)`: what retrieval reads.

    >>> condense_question("Was it her first feature?", [("Who directed it?", "Alison Klayman [1].")])
    'Was it her first feature? (Who directed it? Alison Klayman.)'
    """
    return condense(question, history, max_chars).text


#: Share of a sentence's content words the chat has said already, from which the sentence only
#: restates it (chosen on dev + dev2; see `restates`).
RESTATE_LIMIT = 0.6


def restates(sentence: str, context: str, limit: float = RESTATE_LIMIT) -> bool:
    """True when `sentence` says (nearly) nothing the chat's `context` has not said already.

    A follow-up asks for something new ("What did he do about it?" after "the police attacked him"),
    so a sentence that only repeats the last answer cannot answer it, however well it matches the
    words of the question with its context. Words are compared by their first five letters, so
    'entered' matches 'enter' and 'attacked' matches 'attack'.

    >>> restates("One night while Ai sleeps in a hotel room, the police enter and attack him.",
    ...          "What happened to Ai in the hotel room? The police entered one night and attacked him.")
    True
    >>> restates("Ai promptly tweets photos of the brutality.",
    ...          "What happened to Ai in the hotel room? The police entered one night and attacked him.")
    False
    """
    if not context:
        return False
    said = {w[:5] for w in content_words(context)}
    words = [w[:5] for w in content_words(sentence)]
    return bool(words) and sum(w in said for w in words) / len(words) >= limit
