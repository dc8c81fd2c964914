"""Command line: `assistant index | status | add-review | ask | eval | serve`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .answering import BACKENDS
from .config import Settings
from .corpus import CorpusError
from .corpus_edits import ReviewExistsError, ReviewFields, add_review
from .embedding import EmbeddingError
from .evaluation import GATED_SPLIT, SPLITS
from .index_state import IndexState, index_status
from .indexing import BuildLockedError, build_index, repair_index
from .llm_local import GenerativeError
from .store import IndexStateError
from .terminal import for_terminal, format_answer, progress_bar

#: Errors a user can act on: printed as one clear message, exit status 2, no traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    CorpusError,
    EmbeddingError,
    IndexStateError,
    BuildLockedError,
    ValueError,
)
USER_ERRORS += (GenerativeError,)  # a model server that can't be reached is a user error too


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        settings = _settings_from_args(args)
        result: int = args.func(args, settings)
        return result
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: the index is unchanged.", file=sys.stderr)
        return 130


def _make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Questions and cited answers about the film 'Ai Weiwei: Never Sorry'.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, help="review folder (default: corpus/)")
    common.add_argument("--index", type=Path, help="local index folder (default: index/)")
    common.add_argument("--chroma-host", help="use a Chroma server at this host instead of index/")
    common.add_argument("--chroma-port", type=int, help="Chroma server port (default 8000)")
    common.add_argument("--model", help="embedding model: packaged name, local path or hub id")
    sub = parser.add_subparsers(title="commands")
    _add(sub, "index", "build or update the index (only changed reviews are embedded)", common, cmd_index)
    _add(sub, "status", "show whether the index is up to date with the corpus", common, cmd_status)
    _add(sub, "add-review", "clean a saved review page and add it to the corpus", common, cmd_add_review)
    ask = _add(sub, "ask", "answer a question with cited passages", common, cmd_ask)
    ask.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    ask.add_argument("--json", action="store_true", help="print the Answer as JSON")
    ask.add_argument("--jsonl", action="store_true", help="read JSON lines from stdin, write one per line")
    ask.add_argument(
        "--backend",
        choices=list(BACKENDS),
        help="; ".join(f"{spec.name}: {spec.help}" for spec in BACKENDS.values()),
    )
    ask.add_argument("--top-k", type=int, help="passages given to the answer backend")
    ev = _add(
        sub, "eval", "measure the assistant on the eval question sets and write a report", common, cmd_eval
    )
    ev.add_argument(
        "--split",
        action="append",
        choices=sorted(SPLITS),
        help="question set(s) to run (default: dev, dev2, dev3, test and blind)",
    )
    ev.add_argument("--questions", type=Path, help="run this JSONL file instead of the named sets")
    ev.add_argument("--out", type=Path, help="report folder (default: eval/runs/<time>)")
    ev.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="change a setting")
    ev.add_argument(
        "--compare", action="append", default=[], metavar="K=V[,K=V]", help="also run this variant"
    )
    ev.add_argument("--retrieval-only", action="store_true", help="score retrieval only, no answering")
    ev.add_argument("--thresholds", type=Path, default=Path("eval/thresholds.yaml"))
    ev.add_argument("--no-thresholds", action="store_true", help="report only; exit 0 whatever the scores")
    ev.add_argument("--limit", type=int, help="only the first N questions")
    fb = _add(sub, "feedback", "turn the web chat's thumbs-down into draft eval cases", common, cmd_feedback)
    fb.add_argument("action", choices=["export"], help="export: write the drafts as JSON lines")
    fb.add_argument("--feedback", type=Path, help="feedback file (default: the feedback_path setting)")
    fb.add_argument("--out", type=Path, help="write here (default: standard output)")
    srv = _add(sub, "serve", "start the web chat (same as `python app.py`)", common, cmd_serve)
    srv.add_argument("--host")
    srv.add_argument("--port", type=int)
    return parser


def _add(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    common: argparse.ArgumentParser,
    func: Callable[[argparse.Namespace, Settings], int],
) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
    parser.set_defaults(func=func)
    if name == "index":
        parser.add_argument("--rebuild", action="store_true", help="re-embed every review")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
    if name in ("index", "status"):
        parser.add_argument(
            "-v", "--verbose", action="store_true", help="list every review (added, changed, removed)"
        )
    if name == "add-review":
        parser.add_argument("page", type=Path, help="the saved review page: .txt, .md or .html")
        parser.add_argument("--title", required=True)
        parser.add_argument("--id", help="review id (file name); default: from the title and date")
        for field in ("outlet", "author", "date", "url"):
            parser.add_argument(f"--{field}")
    return parser


def _settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        corpus_dir=getattr(args, "corpus", None),
        index_dir=getattr(args, "index", None),
        chroma_host=getattr(args, "chroma_host", None),
        chroma_port=getattr(args, "chroma_port", None),
        embedding_model=getattr(args, "model", None),
    )


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    """`assistant index`: build or update the index and say what changed."""
    progress = None if args.quiet else progress_bar()
    if args.rebuild:
        repaired = repair_index(settings)
        if repaired:
            problem, moved = repaired
            print(f"the index could not be read back ({problem}); moved it to {moved}, rebuilding.")
    report = build_index(settings, force=args.rebuild, on_progress=progress)
    if report.did_nothing:
        print(f"index is up to date ({len(report.unchanged)} reviews, {report.chunks_total} chunks).")
    else:
        print(report.summary())
        for label, ids in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
            for review_id in ids if args.verbose else ():
                print(f"  {label}: {review_id}")
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """`assistant status`: print the index state; exit 1 when it is missing or stale."""
    status = index_status(settings)
    changes = status.changes
    print(f"index: {status.state.value}" + (f" ({status.reason})" if status.reason else ""))
    manifest = status.manifest
    lines: list[str] = []
    if manifest:
        chunks = sum(e.chunks for e in manifest.reviews.values())
        print(
            f"  model {manifest.embedding_model} ({manifest.embedding_runtime}), chunks of "
            f"{manifest.chunk_size} chars; {len(manifest.reviews)} reviews, {chunks} chunks"
        )
        lines += [f"  {rid}: {entry.chunks} chunks" for rid, entry in sorted(manifest.reviews.items())]
    for label in ("added", "changed", "removed") if status.state is not IndexState.BROKEN else ():
        lines += [f"  {label} since last build: {review_id}" for review_id in getattr(changes, label)]
    _print_listed(lines, args.verbose)
    for problem in status.problems:
        print(f"  cannot use: {for_terminal(problem)}")
    return 0 if status.state is IndexState.UP_TO_DATE else 1


def _print_listed(lines: list[str], verbose: bool, limit: int = 20) -> None:
    """Print `lines`, or the first `limit` of them and a count of the rest unless `verbose`."""
    shown = lines if verbose or len(lines) <= limit else lines[:limit]
    for line in shown:
        print(line)
    if len(shown) < len(lines):
        print(f"  … and {len(lines) - len(shown)} more lines (-v lists them all)")


def cmd_add_review(args: argparse.Namespace, settings: Settings) -> int:
    """`assistant add-review PAGE`: clean the page (.txt, .md or .html) and write it as a corpus file."""
    fields = ReviewFields(
        title=args.title, outlet=args.outlet, author=args.author, date=args.date, url=args.url,
        review_id=args.id,
    )  # fmt: skip
    try:
        review = add_review(args.page, fields, Path(settings.corpus_dir))
    except ReviewExistsError as exc:
        raise CorpusError(f"{exc}; pass --id to choose another name.") from None
    print(f"wrote {review.path} ({len(review.text)} characters). Run `assistant index` to index it.")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """`assistant ask`: answer one question, or JSON lines from stdin with --jsonl."""
    from .answering import QuestionError
    from .bot import load_assistant

    settings = settings.replace(**{k: v for k, v in (("backend", args.backend), ("top_k", args.top_k)) if v})
    if not args.jsonl and args.question is None:
        raise ValueError('give a question, e.g. assistant ask "Who directed the film?", or use --jsonl')
    bot = load_assistant(settings, on_progress=progress_bar())
    if bot.corpus_warning:
        print(
            f"warning: {for_terminal(bot.corpus_warning)}\n(answering from the other reviews)",
            file=sys.stderr,
        )
    if args.jsonl:
        from .batch import answer_lines

        if hasattr(sys.stdout, "reconfigure"):
            sys.stdout.reconfigure(encoding="utf-8")
        return answer_lines(bot, sys.stdin.buffer, sys.stdout)
    try:
        answer = bot.ask(args.question)
    except QuestionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json else format_answer(answer))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """`assistant eval`: run the eval set (and any --compare variants), write the report."""
    from .bot import load_assistant
    from .corpus import load_reviews
    from .eval_run import load_thresholds, render_summary, run_cases, write_report
    from .evaluation import check_thresholds, load_cases

    settings = settings.replace(**parse_assignments(args.set))
    reviews = {r.id: r for r in load_reviews(Path(settings.corpus_dir))}
    sets = _question_sets(args)
    question_sets = {name: load_cases(path, reviews)[: args.limit or None] for name, path in sets.items()}
    bot = load_assistant(settings, on_progress=progress_bar())
    variants: list[tuple[str, dict[str, Any]]] = [("base", {})] + [
        (spec, parse_assignments(spec.split(","))) for spec in args.compare
    ]
    runs = []
    for name, changes in variants:
        variant = bot.with_settings(**changes) if changes else bot
        for split, cases in question_sets.items():
            bar = progress_bar(f"eval {name} {split}", "q")
            runs.append(run_cases(variant, cases, name, args.retrieval_only, bar, split))
    thresholds = {} if args.no_thresholds or args.retrieval_only else load_thresholds(args.thresholds)
    # The gate reads the frozen test set (or the one file given with --questions).
    gated = [r for r in runs if r.name == "base" and r.split in (GATED_SPLIT, "questions")]
    problems = [f"{r.split}: {p}" for r in gated for p in check_thresholds(r.summary, thresholds)]
    out = args.out or Path("eval/runs") / time.strftime("%Y%m%d-%H%M%S")
    report = write_report(out, runs, problems)
    print(render_summary(runs))
    print(f"\nreport: {report}")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _question_sets(args: argparse.Namespace) -> dict[str, Path]:
    """Return the question files to run, by name: --questions FILE, else the chosen splits."""
    if args.questions:
        return {"questions": args.questions}
    names = args.split or list(SPLITS)
    missing = [str(SPLITS[n]) for n in names if not SPLITS[n].exists()]
    if missing:
        raise ValueError(f"question set not found: {', '.join(missing)} (run from the project folder)")
    return {name: SPLITS[name] for name in names}


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """Return typed setting changes from 'key=value' strings: ['top_k=8'] -> {'top_k': 8}."""
    env = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"expected KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        env["ASSISTANT_" + key.strip().upper()] = value.strip()
    known = {"ASSISTANT_" + f.upper() for f in Settings.__dataclass_fields__}
    unknown = sorted(set(env) - known)
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(k[10:].lower() for k in unknown)}")
    parsed = Settings.from_env(env)
    return {k[10:].lower(): getattr(parsed, k[10:].lower()) for k in env}


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    """`assistant feedback export`: thumbs-down records as draft eval cases (`feedback_export.py`)."""
    from .feedback_export import export

    path = Path(args.feedback or settings.feedback_path)
    if not path.exists() and not path.with_name(path.name + ".1").exists():
        print(f"error: no feedback file at {path} (thumbs in the web chat write it)", file=sys.stderr)
        return 2
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            drafts, with_reason, unreadable = export(path, out)
    else:
        drafts, with_reason, unreadable = export(path, sys.stdout)
    where = f" to {args.out}" if args.out else ""
    skipped = f"; {unreadable} unreadable lines skipped" if unreadable else ""
    print(f"wrote {drafts} draft eval cases ({with_reason} with a reason){where}{skipped}", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """`assistant serve`: start the web chat."""
    from .web import serve

    serve(settings.replace(**{k: v for k, v in (("host", args.host), ("port", args.port)) if v}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
