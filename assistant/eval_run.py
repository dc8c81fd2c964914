"""Run the eval set through an assistant and write the report (Markdown, JSON, PNG plots)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .evaluation import (
    RECALL_KS,
    CaseResult,
    EvalCase,
    failures,
    score_case,
    summarize,
)

_HEADLINE = [
    ("wrong_assertions", "wrong assertions (all questions)"),
    ("cases", "questions"),
    ("recall@1", "retrieval recall@1"),
    ("recall@5", "retrieval recall@5"),
    ("recall@10", "retrieval recall@10"),
    ("mrr", "retrieval MRR"),
    ("accuracy", "answer accuracy (answerable)"),
    ("exact_match", "exact match"),
    ("f1", "token F1"),
    ("answer_words_mean", "answer length (words)"),
    ("evidence_cited", "answers citing the evidence"),
    ("citation_quotes_match", "citation quotes matching source"),
    ("correct_refusals", "correct refusals (unanswerable)"),
    ("false_refusals", "false refusals (answerable)"),
    ("latency_p50_s", "latency p50 (s)"),
    ("latency_p95_s", "latency p95 (s)"),
]


@dataclass(frozen=True)
class EvalRun:
    """One configuration's results on one question set."""

    name: str
    settings: dict[str, Any]
    results: tuple[CaseResult, ...]
    summary: dict[str, Any]
    split: str = ""

    @property
    def label(self) -> str:
        """Column title: 'test', or 'top_k=8 test' for a compared configuration."""
        if not self.split:
            return self.name
        return self.split if self.name == "base" else f"{self.name} {self.split}"


def run_cases(
    bot: Any,
    cases: Sequence[EvalCase],
    name: str,
    retrieval_only: bool = False,
    on_case: Callable[[int, int], None] | None = None,
    split: str = "",
) -> EvalRun:
    """Ask every case (with its history) and score it; retrieval-only skips answering."""
    results = []
    for number, case in enumerate(cases, start=1):
        results.append(_run_case(bot, case, retrieval_only))
        if on_case:
            on_case(number, len(cases))
    settings = {k: str(v) for k, v in asdict(bot.settings).items()}
    threshold = bot.refusal_threshold()
    if bot.settings.refusal_threshold is None and threshold is not None:
        settings["refusal_threshold"] = f"{threshold:.3f} (the answerability model's)"
    return EvalRun(name, settings, tuple(results), summarize(results), split)


def _run_case(bot: Any, case: EvalCase, retrieval_only: bool) -> CaseResult:
    started = time.perf_counter()
    if retrieval_only:
        from .conversation import condense_question

        standalone = condense_question(case.question, case.history)
        hits = bot.retriever.retrieve(standalone, max(RECALL_KS))
        answer = _RetrievalOnly(timings={"retrieve": time.perf_counter() - started})
        return score_case(case, answer, hits, bot.reviews, time.perf_counter() - started)
    answer = bot.ask(case.question, case.history)
    latency = time.perf_counter() - started
    # Recall@k looks deeper than the passages the backend saw, with the same standalone question.
    hits = bot.retriever.retrieve(answer.standalone_question, max(RECALL_KS))
    return score_case(case, answer, hits, bot.reviews, latency)


@dataclass(frozen=True)
class _RetrievalOnly:
    timings: dict[str, float]
    text: str = ""
    refused: bool = True
    citations: tuple[()] = ()


def write_report(out: Path, runs: Sequence[EvalRun], problems: Sequence[str]) -> Path:
    """Write report.md, results.json and PNG plots into `out`; return the report path."""
    out.mkdir(parents=True, exist_ok=True)
    payload = [
        {
            "name": r.name,
            "split": r.split,
            "settings": r.settings,
            "summary": r.summary,
            "results": [asdict(x) for x in r.results],
        }
        for r in runs
    ]
    (out / "results.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    plots = write_plots(out, runs)
    report = out / "report.md"
    report.write_text(render_markdown(runs, problems, plots), encoding="utf-8")
    return report


def render_summary(runs: Sequence[EvalRun]) -> str:
    """Return the headline metrics as an aligned text table, one column per run."""
    width = max(len(label) for _, label in _HEADLINE)
    lines = [" " * width + "".join(f"  {r.label[:18]:>18}" for r in runs)]
    for key, label in _HEADLINE:
        lines.append(f"{label:<{width}}" + "".join(f"  {_fmt(key, r.summary.get(key)):>18}" for r in runs))
    return "\n".join(lines)


def render_markdown(runs: Sequence[EvalRun], problems: Sequence[str], plots: Sequence[Path]) -> str:
    """Return the Markdown report: summary, per-kind tables, stages, failures."""
    sets = ", ".join(f"{r.label} ({r.summary['cases']})" for r in runs)
    parts = ["# Eval report", "", f"Question sets: {sets}.", "", "## Summary", ""]
    parts += _table(
        ["metric"] + [r.label for r in runs],
        [[label] + [_fmt(k, r.summary.get(k)) for r in runs] for k, label in _HEADLINE],
    )
    parts += [""]
    for run in runs:
        parts += [
            f"## {run.label}",
            "",
            "Settings: " + ", ".join(f"`{k}={v}`" for k, v in sorted(_diff_settings(run, runs).items())),
            "",
        ]
        rows = [
            [kind, str(m["cases"])]
            + [
                _fmt(k, m[k])
                for k in (
                    "wrong_assertions",
                    "recall@1",
                    "recall@5",
                    "mrr",
                    "accuracy",
                    "f1",
                    "correct_refusals",
                    "false_refusals",
                    "latency_p50_s",
                )
            ]
            for kind, m in run.summary["per_kind"].items()
        ]
        parts += _table(
            ["kind", "n", "wrong", "R@1", "R@5", "MRR", "acc", "F1", "refuse ok", "false refuse", "p50 s"],
            rows,
        )
        parts += [
            "",
            "Stage p50 (s): " + ", ".join(f"{s} {v:.3f}" for s, v in run.summary["stage_p50_s"].items()),
            "",
        ]
        parts += (
            ["### Failures", ""]
            + [
                f"- `{f.case_id}` ({f.kind}{', wrong assertion' if f.wrong_assertion else ''}) "
                f"{f.question} → {f.answer[:200]!r}"
                for f in failures(run.results)
            ]
            + [""]
        )
    parts += (
        ["## Threshold check", ""] + ([f"- FAIL: {p}" for p in problems] or ["All thresholds met."]) + [""]
    )
    parts += [f"![{p.stem}]({p.name})" for p in plots]
    return "\n".join(parts) + "\n"


def write_plots(out: Path, runs: Sequence[EvalRun]) -> list[Path]:
    """Write accuracy-per-kind and latency-histogram PNGs; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = sorted({k for r in runs for k in r.summary["per_kind"]})
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(runs)
    for i, run in enumerate(runs):
        values = [
            run.summary["per_kind"]
            .get(k, {})
            .get("correct_refusals" if k in ("unanswerable", "off_topic") else "accuracy", 0)
            for k in kinds
        ]
        ax.bar([x + i * width for x in range(len(kinds))], values, width, label=run.label)
    ax.set_xticks([x + width * (len(runs) - 1) / 2 for x in range(len(kinds))], kinds, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy (refusal kinds: correct refusals)")
    ax.legend()
    fig.tight_layout()
    accuracy = out / "accuracy_per_kind.png"
    fig.savefig(accuracy, dpi=100)
    fig2, ax2 = plt.subplots(figsize=(7, 3.5))
    for run in runs:
        ax2.hist([r.latency_s for r in run.results], bins=20, alpha=0.6, label=run.label)
    ax2.set_xlabel("seconds per question")
    ax2.set_ylabel("questions")
    ax2.legend()
    fig2.tight_layout()
    latency = out / "latency_histogram.png"
    fig2.savefig(latency, dpi=100)
    plt.close("all")
    return [accuracy, latency]


def _diff_settings(run: EvalRun, runs: Sequence[EvalRun]) -> dict[str, str]:
    keys = (
        "backend",
        "top_k",
        "reader_sentences",
        "wide_passages",
        "wide_threshold",
        "candidates",
        "fusion",
        "fusion_weight",
        "reranker",
        "chunk_size",
        "refusal_threshold",
        "span_threshold",
        "embedding_model",
    )
    return {k: run.settings.get(k, "") for k in keys}


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
        "| " + " | ".join(r) + " |" for r in rows
    ]


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key.endswith("_s"):
        return f"{value:.3f}"
    if key == "answer_words_mean":
        return f"{value:.1f}"
    return f"{value:.1%}" if isinstance(value, float) else str(value)


def load_thresholds(path: Path) -> Mapping[str, Mapping[str, float]]:
    """Return {'min': {...}, 'max': {...}} from a YAML file; empty if the file is missing."""
    import yaml

    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {"min": data.get("min", {}) or {}, "max": data.get("max", {}) or {}}
