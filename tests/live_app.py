"""Start the real `app.py` on a free 127.0.0.1 port, over a temporary corpus copy, index and feedback file."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
READY_LINE = "Assistant ready"
CHROMIUM = Path("/usr/bin/chromium")
# Headless Debian chromium on a machine with no network: without the background-networking flags it
# keeps trying (and failing) to reach Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """Debian's headless chromium driven by Playwright, closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Markup in a review must show as text. If any of it ran, window.__pwned would be set.
HOSTILE_REVIEW = """---
title: 'Hostile review <img src=x onerror="window.__pwned=3">'
outlet: "<b>Markup Weekly</b>"
date: 2012-10-01
---
This review tests how markup is shown. <script>window.__pwned=1</script>
<img src=x onerror="window.__pwned=2">

The soundtrack of the documentary was composed by Ilan Isakov, this reviewer notes.
"""


@dataclass(frozen=True)
class LiveApp:
    """A running app and the files it uses."""

    url: str
    corpus_dir: Path
    feedback_path: Path
    log_path: Path


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    """Terminate `process`, killing it if it has not exited within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def make_corpus(workdir: Path) -> Path:
    """Copy the project's reviews into `workdir/corpus` and add the hostile review; return the folder."""
    corpus = workdir / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "review-hostile.md").write_text(HOSTILE_REVIEW, encoding="utf-8")
    return corpus


@contextmanager
def running_app(
    workdir: Path, timeout: float = 240.0, settings: dict[str, str] | None = None
) -> Iterator[LiveApp]:
    """Run `python app.py` until the block ends; yield once the assistant has loaded.

    `settings`: more environment variables for the app (e.g. ASSISTANT_BACKEND)."""
    port = free_port()
    app = LiveApp(
        url=f"http://127.0.0.1:{port}/",
        corpus_dir=make_corpus(workdir),
        feedback_path=workdir / "feedback" / "feedback.jsonl",
        log_path=workdir / "app.log",
    )
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(app.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(workdir / "index"),
        "ASSISTANT_FEEDBACK_PATH": str(app.feedback_path),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        **(settings or {}),
    }
    with app.log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-u", "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_ready(process, app, timeout)
            yield app
        finally:
            stop_process(process)


def _wait_until_ready(process: subprocess.Popen[bytes], app: LiveApp, timeout: float) -> None:
    """Return when the page answers and the log says the assistant loaded; raise with the log if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app.py exited with {process.returncode}:\n{app.log_path.read_text()}")
        if READY_LINE in app.log_path.read_text(encoding="utf-8", errors="replace") and _page_up(app.url):
            return
        time.sleep(0.5)
    raise TimeoutError(f"app.py not ready after {timeout:.0f} s:\n{app.log_path.read_text()}")


def _page_up(url: str) -> bool:
    try:
        # No proxy: a proxy from the environment must not stand between us and 127.0.0.1.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=5) as response:
            return bool(response.status == 200)
    except OSError:
        return False
