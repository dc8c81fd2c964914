"""Two questions in one: "Who directed the film, and which award did it win?" is asked part by part.

A compound question asks for two things that usually sit in two sentences, often in two reviews.
Read as one question, retrieval favours whichever part has more words in the reviews and the answer
checks test one sentence against both parts (the verb of the first against the sentence answering
the second), so a question whose every part is answered came back refused. Split, each part is
retrieved for and answered (or refused) on its own, and the answer says which part the reviews
leave open.

Chosen on dev + dev2 only (scripts/choose_thresholds.py, 2 x wrong assertions + refused answerable):
cost 33 -> 30 (refused answerable 25 -> 22, wrong assertions 4 -> 4).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .retrieval import Hit

# ", and" / "and" followed by what opens a question of its own ("and which award", "and was that").
_JOIN = re.compile(
    r",?\s+and\s+(?=(?:who|whom|whose|what|which|when|where|how|why|in what|in which|was|were|did|does|do"
    r"|is|are|has|had)\b)",
    re.IGNORECASE,
)
MIN_PART_WORDS = 3
MAX_PARTS = 3


def question_parts(question: str) -> tuple[str, ...]:
    """Return the questions a compound question is made of, or the question alone.

    >>> question_parts("Who directed the documentary, and which award did it receive at Sundance?")
    ('Who directed the documentary?', 'Which award did it receive at Sundance?')
    >>> question_parts("Who are Ai and his wife?")
    ('Who are Ai and his wife?',)
    """
    pieces = [p.strip(" ,;?") for p in _JOIN.split(question.strip())]
    if len(pieces) < 2 or len(pieces) > MAX_PARTS or any(len(p.split()) < MIN_PART_WORDS for p in pieces):
        return (question,)
    return tuple(f"{p[0].upper()}{p[1:]}?" for p in pieces)


def retrieve_parts(retrieve: Callable[[str, int], list[Hit]], parts: Sequence[str], k: int) -> list[Hit]:
    """The top `k` passages for each part, taken in turn (first of each part, then second, ...), once each.

    >>> hit = lambda n: Hit(str(n), "r", n, n + 1, "t", 1.0)
    >>> found = {"A?": [hit(1), hit(2)], "B?": [hit(2), hit(3)]}
    >>> [h.chunk_id for h in retrieve_parts(lambda q, k: found[q][:k], ["A?", "B?"], 2)]
    ['1', '2', '3']
    """
    ranked = [retrieve(part, k) for part in parts]
    seen: set[str] = set()
    merged: list[Hit] = []
    for rank in range(max(len(r) for r in ranked)):
        for hits in ranked:
            if rank < len(hits) and hits[rank].chunk_id not in seen:
                seen.add(hits[rank].chunk_id)
                merged.append(hits[rank])
    return merged
