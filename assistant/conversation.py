"""Follow-up questions: turn a question plus the chat so far into a standalone question, no LLM needed."""

from __future__ import annotations

import re
from collections.abc import Sequence

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


def condense_question(question: str, history: History, max_chars: int = 600) -> str:
    """Return a standalone version of `question`: a follow-up gets the previous turn appended.

    >>> condense_question("Was it her first feature?", [("Who directed it?", "Alison Klayman [1].")])
    'Was it her first feature? (Who directed it? Alison Klayman.)'
    """
    question = question.strip()
    if not history or not is_follow_up(question):
        return question
    last_q, last_a = history[-1]
    context = f"{last_q.strip()} {strip_markers(last_a, keep=set()).strip()}".strip()
    room = max_chars - len(question) - len(" ()")
    return f"{question} ({context[:room]})" if room > 0 else question


def split_standalone(standalone: str) -> tuple[str, str]:
    """Split a `condense_question` result into (question, context from the chat).

    >>> split_standalone("Was it her first feature? (Who directed it? Alison Klayman.)")
    ('Was it her first feature?', 'Who directed it? Alison Klayman.')
    """
    text = standalone.strip()
    if not text.endswith(")"):
        return text, ""
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            question = text[:i].rstrip()
            return (question, text[i + 1 : -1].strip()) if question else (text, "")
    return text, ""
