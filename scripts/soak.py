"""Soak the real web app: concurrent chats while `assistant index --rebuild` runs in another process.

Copies the corpus to a temporary folder, starts `app.py` on a free loopback port, and sends questions to
its `/ask` API from `--clients` threads until `--requests` have been tried, while another process
rebuilds the index from scratch `--rebuilds` times (each rebuild writes a new generation and drops the
one before the previous, under readers' feet). Prints the counts: requests tried / failed, rebuilds
run, generations the app switched through, and the first failures. Exit 1 when any request failed.

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/soak.py --clients 20 --requests 500 --rebuilds 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

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


def rebuild(corpus: Path, index: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(index)}
    command = [sys.executable, "-m", "assistant.cli", "index", "--rebuild", "--quiet"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rebuilds", type=int, default=5)
    args = parser.parse_args(argv)
    from gradio_client import Client

    root = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        with running_app(root) as app:
            index = Path(app.corpus_dir).parent / "index"
            tried = Counter[str]()
            failures: list[str] = []
            lock = threading.Lock()
            next_request = iter(range(args.requests))

            def client_loop() -> None:
                client = Client(app.url, verbose=False)
                while True:
                    with lock:
                        number = next(next_request, None)
                    if number is None:
                        return
                    question = QUESTIONS[number % len(QUESTIONS)]
                    try:
                        data = client.predict(question, "[]", api_name="/ask")
                        ok = isinstance(data, dict) and bool(data.get("text"))
                        problem = "" if ok else f"bad reply: {str(data)[:200]}"
                    except Exception as exc:  # every failure is counted, whatever its kind
                        problem = f"{type(exc).__name__}: {str(exc)[:200]}"
                    with lock:
                        tried["failed" if problem else "ok"] += 1
                        if problem:
                            failures.append(problem)

            started = time.perf_counter()
            clients = [threading.Thread(target=client_loop, daemon=True) for _ in range(args.clients)]
            for thread in clients:
                thread.start()
            rebuilds = Counter[str]()
            while any(t.is_alive() for t in clients) and sum(rebuilds.values()) < args.rebuilds:
                result = rebuild(app.corpus_dir, index)
                rebuilds["ok" if result.returncode == 0 else "failed"] += 1
                if result.returncode:
                    print(f"rebuild failed: {result.stderr.strip()[-300:]}", file=sys.stderr)
            for thread in clients:
                thread.join()
            seconds = time.perf_counter() - started
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
