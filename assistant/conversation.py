"""Follow-up questions: turn a question plus the chat so far into a standalone question, no LLM needed."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .citations import strip_markers

#: (question, answer) pairs of earlier turns, oldest first.
History = Sequence[tuple[str, str]]

# Words that point back at something said earlier ("was it her first feature?").
_ANAPHORA = re.compile(
    r"\b(he|him|his|she|her|hers|it|its|they|them|their|this|that|these|those|there|then|one|"
    r"the film|the same|the director|the artist)\b",
    re.IGNORECASE,
)
_FOLLOW_UP_START = re.compile(r"^\s*(and|but|so|also|what about|how about|really)\b", re.IGNORECASE)
_CONTENT_WORD = re.compile(r"[A-Za-z0-9]{4,}")


def is_follow_up(question: str) -> bool:
    """True when `question` leans on an earlier turn: a pronoun, 'and ...', or very few words."""
    if _FOLLOW_UP_START.search(question) or _ANAPHORA.search(question):
        return True
    return len(_CONTENT_WORD.findall(question)) <= 2


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
