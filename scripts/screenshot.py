"""Start the real app, ask questions in headless Chromium and save the README's screenshots: a desktop one
(1280x900, a passage open in the review viewer) and a phone one (390x844, an answer with its chips).

    .venv/bin/python scripts/screenshot.py [--question "Who directed the film?"] [--out docs/screenshot.png]
                                          [--phone-out docs/screenshot-phone.png]

Needs Debian's chromium (`apt-get install -y chromium`) and the `playwright` package. The app runs on a
free port over the project's corpus with a throw-away index, so nothing in the checkout changes but --out.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from live_app import CHROMIUM, CHROMIUM_ARGS, free_port, stop_process  # noqa: E402  (one list of flags for tests and script)


def main() -> int:
    """Run the app, take the screenshot, stop the app; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--question", default="Who directed the film?")
    parser.add_argument("--follow-up", default="How long was Ai Weiwei detained?")
    parser.add_argument("--phone-question", default="What did he install at Tate Modern?")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--phone-out", type=Path, default=ROOT / "docs" / "screenshot-phone.png")
    parser.add_argument("--chromium", default=str(CHROMIUM))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        port = free_port()
        process, log_path = _start_app(Path(workdir), port)
        try:
            _wait_ready(process, log_path)
            _shoot(f"http://127.0.0.1:{port}/", args)
        finally:
            stop_process(process)
    print(f"saved {args.out} and {args.phone_out}")
    return 0


def _start_app(workdir: Path, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    """Start `python app.py` on `port` with a temporary index; return the process and its log."""
    env = {
        **os.environ,
        "ASSISTANT_INDEX_DIR": str(workdir / "index"),
        "ASSISTANT_FEEDBACK_PATH": str(workdir / "feedback.jsonl"),
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
    }
    log_path = workdir / "app.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-u", "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    return process, log_path


def _wait_ready(process: subprocess.Popen[bytes], log_path: Path, timeout: float = 240.0) -> None:
    """Return once the app logs that the assistant is ready; raise with the log if it fails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = log_path.read_text(errors="replace")
        if process.poll() is not None:
            raise SystemExit(f"app.py exited with {process.returncode}:\n{log}")
        if "Assistant ready" in log and "Running on" in log:
            return
        time.sleep(0.5)
    raise SystemExit(f"app.py not ready after {timeout:.0f} s:\n{log_path.read_text()}")


def _shoot(url: str, args: argparse.Namespace) -> None:
    """Take the desktop and the phone screenshot, each in a fresh chat."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        desktop = browser.new_page(viewport={"width": 1280, "height": 900})
        _ask(desktop, url, [args.question, args.follow_up])
        # The last answer's first chip unfolded, and its passage open in the viewer beside the chat.
        last = desktop.locator('[data-testid="bot"]').last
        chip = last.locator(".passage").first
        chip.locator("summary").click()
        chip.locator("a.open-passage").click()
        expect(desktop.locator("#review-viewer mark")).to_be_visible(timeout=10_000)
        last.evaluate(SHOW_AT_TOP)  # the answer above its chips
        _save(desktop, args.out)
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        _ask(phone, url, [args.phone_question])
        phone.locator('[data-testid="bot"]').last.locator(".passage-chip").first.scroll_into_view_if_needed()
        _save(phone, args.phone_out)
        browser.close()


# Scroll the chat's own box (not the page) so that this message starts at its top.
SHOW_AT_TOP = """el => { let box = el.parentElement;
  while (box && !/auto|scroll/.test(getComputedStyle(box).overflowY)) box = box.parentElement;
  if (box) box.scrollTop += el.getBoundingClientRect().top - box.getBoundingClientRect().top - 8; }"""


def _ask(page: Page, url: str, questions: list[str]) -> None:
    """Open the chat and ask each question in turn, waiting for its answer."""
    page.goto(url)
    for number, question in enumerate([q for q in questions if q], start=1):
        box = page.get_by_test_id("textbox")
        box.fill(question)
        box.press("Enter")
        answer = page.locator('[data-testid="bot"]').nth(number - 1)
        expect(answer.locator(".answer:not(.streaming)")).to_be_visible(timeout=60_000)


def _save(page: Page, path: Path) -> None:
    page.wait_for_timeout(500)  # let the last scroll and highlight settle
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


if __name__ == "__main__":
    raise SystemExit(main())
