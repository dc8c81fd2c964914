"""Question answering with checkable citations over reviews of *Ai Weiwei: Never Sorry* (2012)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Answer", "Assistant", "Citation", "Settings", "load_assistant", "load_reviews", "build_index"]

if TYPE_CHECKING:
    from .answering import Answer
    from .bot import Assistant, load_assistant
    from .citations import Citation
    from .config import Settings
    from .corpus import load_reviews
    from .indexing import build_index

_WHERE = {
    "Answer": "answering",
    "Assistant": "bot",
    "load_assistant": "bot",
    "Citation": "citations",
    "Settings": "config",
    "load_reviews": "corpus",
    "build_index": "indexing",
}


def __getattr__(name: str) -> Any:
    # Lazy, so `import assistant` stays fast and never loads torch or Chroma by itself.
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(name)
