"""Soak tests that take minutes: the real app, killed builds, and fuzzed batches.

`chats` (the default): concurrent chats while `assistant index --rebuild` runs in another process.

Copies the corpus to a temporary folder, starts `app.py` on a free loopback port, and sends questions to
its `/ask` API from `--clients` threads until `--requests` have been tried, while another process
rebuilds the index from scratch `--rebuilds` times (each rebuild writes a new generation and drops the
one before the previous, under readers' feet). Prints the counts: requests tried / failed, rebuilds
run, generations the app switched through, and the first failures. Exit 1 when any request failed.

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/soak.py --clients 20 --requests 500 --rebuilds 5

`--kills N`: N times, start `assistant index --rebuild` on a corpus of the reviews and padded copies,
SIGKILL it at a random moment, and check that `assistant status` still reads the index and a
question is answered from it. Prints kills survived and unusable indexes.

`--app-rebuilds N`: the web chat's own Rebuild (`Assistant.rebuild_index`, what the button runs)
N times, each after a review was edited so it writes a new generation, while `--clients` threads ask
the same assistant `--requests` questions in this process. Prints requests tried / failed and the
generations switched through. Exit 1 when any request failed.

`--fuzz N`: N random JSON lines (and raw bytes) through one `assistant ask --jsonl`; every line must
give exactly one valid UTF-8 JSON line with its id. Prints lines sent / answered / lost.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from live_app import running_app  # noqa: E402  (the same launcher the browser tests use)

QUESTIONS = (
    "How long was Ai Weiwei detained?",
    "Who directed the film?",
    "What did Ai Weiwei install at Tate Modern?",
    "What happened to his Shanghai studio?",
    "Who composed the music for the film?",
)


class Clients:
    """`count` threads sending `requests` questions between them, each through its own `make_ask()`:
    question -> "" when the answer is fine, else what was wrong. Every exception counts as a failure."""

    def __init__(self, count: int, requests: int, make_ask: Callable[[], Callable[[str], str]]) -> None:
        self.tried = Counter[str]()
        self.failures: list[str] = []
        self._lock = threading.Lock()
        self._numbers = iter(range(requests))
        self._make_ask = make_ask
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(count)]
        for thread in self._threads:
            thread.start()

    def alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def join(self) -> None:
        for thread in self._threads:
            thread.join()

    def _loop(self) -> None:
        ask = self._make_ask()
        while True:
            with self._lock:
                number = next(self._numbers, None)
            if number is None:
                return
            try:
                problem = ask(QUESTIONS[number % len(QUESTIONS)])
            except Exception as exc:  # every failure is counted, whatever its kind
                problem = f"{type(exc).__name__}: {str(exc)[:200]}"
            with self._lock:
                self.tried["failed" if problem else "ok"] += 1
                if problem:
                    self.failures.append(problem)


def rebuild(corpus: Path, index: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(index)}
    command = [sys.executable, "-m", "assistant.cli", "index", "--rebuild", "--quiet"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def cli(*args: str, corpus: Path, index: Path, stdin: bytes | None = None, timeout: float = 600) -> Any:
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(index)}
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args], cwd=ROOT, env=env, input=stdin,
        capture_output=True, timeout=timeout,
    )  # fmt: skip


def soak_kills(kills: int, seed: int = 7) -> int:
    """Kill rebuilds at random moments; return 1 if any left an index that can't answer."""
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="soak-kill-"))
    try:
        corpus, index = root / "corpus", root / "index"
        shutil.copytree(ROOT / "corpus", corpus)
        for n in range(2, 8):  # more text, so a rebuild runs long enough to be killed in the middle
            for source in sorted((ROOT / "corpus").glob("review-*.md")):
                shutil.copyfile(source, corpus / f"{source.stem}-copy{n}.md")
        first = cli("index", "--quiet", corpus=corpus, index=index)
        if first.returncode:
            raise SystemExit(f"the first build failed: {first.stderr.decode(errors='replace')[-500:]}")
        env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(index)}
        unusable = 0
        for number in range(1, kills + 1):
            build = subprocess.Popen(
                [sys.executable, "-m", "assistant.cli", "index", "--rebuild", "--quiet"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(rng.uniform(2.0, 12.0))
            finished = build.poll() is not None
            build.send_signal(signal.SIGKILL)
            build.wait()
            status = cli("status", corpus=corpus, index=index)
            asked = cli("ask", "How long was Ai Weiwei detained?", corpus=corpus, index=index)
            ok = b"index: " in status.stdout and asked.returncode == 0 and b"81 days" in asked.stdout
            unusable += not ok
            when = "after it finished" if finished else "mid-build"
            print(f"kill {number}: {when}; index {'answers' if ok else 'UNUSABLE'}", flush=True)
        print(f"kills {kills}, survived {kills - unusable}, unusable indexes {unusable}")
        return 1 if unusable else 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


def fuzz_lines(count: int, seed: int = 11) -> list[bytes]:
    """`count` input lines: valid questions, odd ids, wrong types, deep nesting, raw bytes."""
    rng = random.Random(seed)
    odd = ["\\ud800", "\\udcff", "NaN", "Infinity", "-Infinity", "1e999", "null", "[]", "{}", '"x"']
    lines: list[bytes] = []
    for n in range(count):
        kind = n % 8
        if kind == 0:
            line = json.dumps({"id": n, "question": rng.choice(QUESTIONS)}).encode()
        elif kind == 1:
            line = ('{"id": ' + rng.choice(odd) + ', "question": "Who directed it?"}').encode()
        elif kind == 2:
            line = b'{"id": %d, "question": ' % n + b"[" * 5000 + b"]" * 5000 + b"}"
        elif kind == 3:
            line = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))).replace(b"\n", b" ")
        elif kind == 4:
            line = json.dumps({"id": n, "question": "x" * rng.choice((0, 10, 50_000))}).encode()
        elif kind == 5:
            history = [["Who directed it?", "Alison Klayman."]] * rng.randrange(0, 50)
            line = json.dumps({"id": n, "question": "In what year?", "history": history}).encode()
        elif kind == 6:
            line = json.dumps({"id": n, "question": rng.choice(QUESTIONS), "history": "oops"}).encode()
        else:
            line = json.dumps({"id": n, "question": "\u2028" + rng.choice(QUESTIONS) + "\x85"}).encode()
        lines.append(line)
    return lines


def soak_fuzz(count: int) -> int:
    """Send fuzzed lines through `ask --jsonl`; return 1 if any line got no (valid) answer line."""
    root = Path(tempfile.mkdtemp(prefix="soak-fuzz-"))
    try:
        corpus, index = root / "corpus", root / "index"
        shutil.copytree(ROOT / "corpus", corpus)
        lines = fuzz_lines(count)
        started = time.perf_counter()
        run = cli("ask", "--jsonl", corpus=corpus, index=index, stdin=b"\n".join(lines) + b"\n", timeout=3600)
        out = run.stdout.split(b"\n")
        out = out[:-1] if out and out[-1] == b"" else out
        valid = 0
        for raw in out:
            try:
                record = json.loads(raw.decode("utf-8", errors="strict"))
                valid += isinstance(record, dict)
            except (UnicodeDecodeError, json.JSONDecodeError):
                pass
        lost = count - valid
        seconds = time.perf_counter() - started
        print(f"batch lines sent {count}, output lines {len(out)}, valid JSON {valid}, lost {lost}")
        print(f"exit {run.returncode}, {seconds:.0f} s")
        return 1 if lost or len(out) != count else 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


def soak_app_rebuilds(rebuilds: int, clients: int, requests: int) -> int:
    """Questions from `clients` threads while the assistant rebuilds itself `rebuilds` times."""
    from assistant.bot import load_assistant
    from assistant.config import Settings

    root = Path(tempfile.mkdtemp(prefix="soak-app-rebuild-"))
    try:
        shutil.copytree(ROOT / "corpus", root / "corpus")
        bot = load_assistant(Settings.from_env(corpus_dir=root / "corpus", index_dir=root / "index"))

        def ask_bot(question: str) -> str:
            return "" if bot.ask(question).text else "empty answer"

        started = time.perf_counter()
        load = Clients(clients, requests, lambda: ask_bot)
        generations = set()
        review = root / "corpus" / "review-001.md"
        for n in range(rebuilds):
            review.write_text(review.read_text(encoding="utf-8") + f"\nEdit {n}.\n", encoding="utf-8")
            generations.add(bot.rebuild_index().generation)
        load.join()
        seconds = time.perf_counter() - started
        total = sum(load.tried.values())
        print(f"requests tried {total}, failed {load.tried['failed']} ({clients} threads, {seconds:.0f} s)")
        print(f"app rebuilds run {rebuilds}, generations switched through {len(generations)}")
        for problem in load.failures[:5]:
            print(f"  failure: {problem}")
        return 1 if load.tried["failed"] else 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rebuilds", type=int, default=5)
    parser.add_argument("--kills", type=int, help="kill-during-build loop instead of chats")
    parser.add_argument("--fuzz", type=int, help="fuzzed `ask --jsonl` lines instead of chats")
    parser.add_argument("--app-rebuilds", type=int, help="the assistant's own rebuild, under load, N times")
    args = parser.parse_args(argv)
    if args.app_rebuilds:
        return soak_app_rebuilds(args.app_rebuilds, args.clients, args.requests)
    if args.kills:
        return soak_kills(args.kills)
    if args.fuzz:
        return soak_fuzz(args.fuzz)
    from gradio_client import Client

    root = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        with running_app(root) as app:
            index = Path(app.corpus_dir).parent / "index"

            def api_client() -> Callable[[str], str]:
                client = Client(app.url, verbose=False)  # one per thread

                def ask_api(question: str) -> str:
                    data = client.predict(question, "[]", api_name="/ask")
                    ok = isinstance(data, dict) and bool(data.get("text"))
                    return "" if ok else f"bad reply: {str(data)[:200]}"

                return ask_api

            started = time.perf_counter()
            load = Clients(args.clients, args.requests, api_client)
            rebuilds = Counter[str]()
            while load.alive() and sum(rebuilds.values()) < args.rebuilds:
                result = rebuild(app.corpus_dir, index)
                rebuilds["ok" if result.returncode == 0 else "failed"] += 1
                if result.returncode:
                    print(f"rebuild failed: {result.stderr.strip()[-300:]}", file=sys.stderr)
            load.join()
            seconds = time.perf_counter() - started
        tried, failures = load.tried, load.failures
        total = sum(tried.values())
        failed = tried["failed"]
        print(f"requests tried {total}, failed {failed} ({args.clients} concurrent clients, {seconds:.0f} s)")
        print(f"external rebuilds run {sum(rebuilds.values())}, failed {rebuilds['failed']}")
        for problem in failures[:5]:
            print(f"  failure: {problem}")
        if sum(rebuilds.values()) < args.rebuilds:
            print(f"note: the requests ended before {args.rebuilds} rebuilds; raise --requests")
        return 1 if tried["failed"] or rebuilds["failed"] else 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
