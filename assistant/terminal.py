"""What the command line prints: answers with their citations, safe for a terminal, and progress bars."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

# Control characters (C0 and C1, except tab and newline) that could move a terminal's cursor or recolour it.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def for_terminal(text: object) -> str:
    r"""`text` without control characters (ESC sequences, BEL, NUL) that review text could carry.

    >>> for_terminal("a\x1b[2Jb\x07c\td")
    'a[2Jbc\td'
    """
    return _CONTROL.sub("", str(text))


def format_answer(answer: Any) -> str:
    """Return the answer and its cited passages for a terminal (control characters removed)."""
    return for_terminal(_answer_lines(answer))


def _answer_lines(answer: Any) -> str:
    lines = [answer.text, ""]
    if answer.refused and answer.closest:
        lines.append("Closest passages (they do not answer the question):")
    for c in answer.citations or answer.closest:
        marker = f"[{c.number}]" if answer.citations else "-"
        lines.append(f"{marker} {c.label} ({c.review_id}, chars {c.start}-{c.end})")
        lines.append(f"    “{c.quote}”")
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in answer.timings.items())
    return "\n".join(lines + ["", f"({answer.backend}; {timings})"])


def progress_bar(desc: str = "embedding chunks", unit: str = "chunk") -> Callable[[int, int], None]:
    """Return an on_progress(done, total) callback drawing a bar on stderr once work starts."""
    from tqdm import tqdm

    bar: list[tqdm] = []

    def update(done: int, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, desc=desc, unit=unit, file=sys.stderr))
        bar[0].update(done - bar[0].n)
        if done >= total:
            bar[0].close()

    return update
