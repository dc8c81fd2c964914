"""Command line: `assistant index | status | add-review | ask | eval | serve`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .config import Settings
from .corpus import CorpusError, Review, clean_page_text, read_utf8, slugify, write_review
from .embedding import EmbeddingError
from .indexing import BuildLockedError, build_index, index_status
from .store import IndexStateError

#: Errors a user can act on: printed as one clear message, exit status 2, no traceback.
USER_ERRORS = (CorpusError, EmbeddingError, IndexStateError, BuildLockedError, ValueError)


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
    for register in _EXTRA_COMMANDS:
        register(sub, common)
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
    if name == "add-review":
        parser.add_argument("page", type=Path, help="text file with the review page's text")
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
    progress = None if args.quiet else _progress_bar()
    report = build_index(settings, force=args.rebuild, on_progress=progress)
    if report.did_nothing:
        print(f"index is up to date ({len(report.unchanged)} reviews, {report.chunks_total} chunks).")
    else:
        print(report.summary())
        for label, ids in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
            for review_id in ids:
                print(f"  {label}: {review_id}")
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """`assistant status`: print the index state; exit 1 when it is missing or stale."""
    status = index_status(settings)
    changes = status["changes"]
    print(f"index: {status['state']}" + (f" ({status['reason']})" if status["reason"] else ""))
    manifest = status.get("manifest")
    if manifest:
        print(f"  model {manifest.embedding_model}, chunks of {manifest.chunk_size} chars")
        for review_id, entry in sorted(manifest.reviews.items()):
            print(f"  {review_id}: {entry.chunks} chunks")
    for label in ("added", "changed", "removed"):
        for review_id in getattr(changes, label):
            print(f"  {label} since last build: {review_id}")
    return 0 if status["state"] == "up to date" else 1


def cmd_add_review(args: argparse.Namespace, settings: Settings) -> int:
    """`assistant add-review PAGE`: clean the page text and write it as a corpus file."""
    text = clean_page_text(read_utf8(args.page))
    if not text.strip():
        raise CorpusError(f"{args.page}: nothing left after cleaning; is it the review page?")
    review_id = args.id or slugify(" ".join(x for x in (args.outlet or args.title, args.date) if x))
    target = Path(settings.corpus_dir) / f"{review_id}.md"
    if target.exists():
        raise CorpusError(f"{target} already exists; pass --id to choose another name.")
    review = Review(
        id=review_id, title=args.title, text=text, outlet=args.outlet, author=args.author,
        date=args.date, url=args.url,
    )  # fmt: skip
    path = write_review(review, Path(settings.corpus_dir))
    print(f"wrote {path} ({len(text)} characters). Run `assistant index` to index it.")
    return 0


def _progress_bar() -> Callable[[int, int], None]:
    from tqdm import tqdm

    bar: list[tqdm] = []

    def update(done: int, total: int) -> None:
        if not bar:
            bar.append(tqdm(total=total, desc="embedding chunks", unit="chunk", file=sys.stderr))
        bar[0].update(done - bar[0].n)
        if done >= total:
            bar[0].close()

    return update


#: Commands registered by other modules (ask, eval, serve) to keep this file small.
_EXTRA_COMMANDS: list[
    Callable[[argparse._SubParsersAction[argparse.ArgumentParser], argparse.ArgumentParser], None]
] = []


if __name__ == "__main__":
    raise SystemExit(main())
