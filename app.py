"""Start the web chat: `python app.py`, then open http://127.0.0.1:7860.

Host and port come from ASSISTANT_HOST / ASSISTANT_PORT; GRADIO_SERVER_NAME / GRADIO_SERVER_PORT win if set.
The page opens at once; the models and index load in the background with a status line.
"""

import os

# Before gradio is imported: no analytics call home, no hub lookups (these machines are offline).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.config import Settings  # noqa: E402
from assistant.web import serve  # noqa: E402

if __name__ == "__main__":
    serve(Settings.from_env())
