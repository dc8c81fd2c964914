"""The web chat: page layout (`layout.py`), its logic (`controller.py`), HTML rendering (`render.py`,
with the CSS and JavaScript in `static/`) and the feedback store (`feedback.py`)."""

from .layout import build_app, serve

__all__ = ["build_app", "serve"]
