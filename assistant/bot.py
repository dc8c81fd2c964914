"""The assistant users talk to: loads models and index once, answers, rebuilds the index on request."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from langchain_core.runnables import Runnable

from .answerability import AnswerabilityModel
from .answering import Answer, AnswerBackend, Pipeline, backend_spec
from .chain import ChainInput, answer_chain
from .config import ENV_PREFIX, Settings
from .conversation import History
from .corpus import Corpus, CorpusError, Review, read_corpus
from .corpus_stats import load_or_count
from .embedding import Embedder, load_embedder
from .evidence import WordVectors
from .index_state import IndexStatus, index_status
from .indexing import BuildLockedError, IndexReport, build_index
from .keyword_store import keyword_folder, keyword_index
from .reader import Reader, ReaderRelevance
from .reranking import OnnxCrossEncoder, Reranker, make_reranker
from .retrieval import DenseIndex, Hit, KeywordIndex, Retriever
from .store import IndexStateError, Store, open_store, vector_kind

#: Settings `with_settings` applies by building a new retriever over the same index.
RETRIEVAL_SETTINGS = ("candidates", "rrf_k", "fusion", "fusion_weight", "reranker", "top_k")
#: Settings that need another index or embedding model, so a fresh `load_assistant`.
INDEX_SETTINGS = (
    "corpus_dir",
    "index_dir",
    "collection",
    "chroma_host",
    "chroma_port",
    "embedding_model",
    "embedding_runtime",
    "embedding_batch_size",
    "chunk_size",
    "chunk_overlap_sentences",
)


@dataclass(frozen=True)
class Models:
    """The slow-to-load parts, shared by every copy of an assistant."""

    embedder: Embedder
    sentence_scorer: Reranker
    passage_reranker: Reranker | None
    answerability: AnswerabilityModel
    # The reader loaded for the `reader` setting named here (None for "none").
    reader: Reader | None = None
    reader_name: str = "none"
    # Word vectors embedded so far, shared by every backend (copies made by `with_settings` too).
    word_vectors: WordVectors | None = None


class Assistant:
    """Answers questions about the film from the indexed reviews, with checked citations."""

    def __init__(
        self, settings: Settings, models: Models, store: Store, corpus: Corpus | None = None
    ) -> None:
        self.settings = settings
        self.models = models
        self.store = store
        self._lock = threading.Lock()
        self._backends: dict[str, AnswerBackend] = {}
        self._load_index(corpus)
        #: The answering chain, a LangChain `Runnable` (see `chain.py`): `invoke`, `stream`, `batch`.
        self.chain: Runnable[ChainInput, Answer] = answer_chain(self._pipeline)

    def ask(self, question: object, history: History = ()) -> Answer:
        """Return the checked, cited answer to `question` given the chat so far."""
        return self.chain.invoke({"question": question, "history": list(history)})

    def stream(self, question: object, history: History = ()) -> Iterator[str | Answer]:
        """Yield text pieces as the answer forms, then the final `Answer`."""
        return self.chain.stream({"question": question, "history": list(history)})

    def with_settings(self, **changes: Any) -> Assistant:
        """Return a copy with answering or retrieval settings changed, sharing the index and models.

        Retrieval settings (`RETRIEVAL_SETTINGS`) get the copy its own retriever; settings that need
        another index or embedding model (`INDEX_SETTINGS`) raise ValueError. `self` is unchanged.
        """
        settings = replace(self.settings, **changes)
        refuse_index_changes(self.settings, settings)
        twin = object.__new__(Assistant)
        twin.__dict__.update(self.__dict__)
        twin.settings = settings
        twin._lock = threading.Lock()
        twin._backends = dict(self._backends)
        twin.chain = answer_chain(twin._pipeline)
        if any(getattr(settings, name) != getattr(self.settings, name) for name in RETRIEVAL_SETTINGS):
            if settings.reranker != self.settings.reranker:
                twin.models = replace(self.models, passage_reranker=make_reranker(settings.reranker))
            twin.retriever = twin._make_retriever(
                self.retriever.dense, self.retriever.keyword, self.retriever.titles
            )
        return twin

    def index_status(self) -> IndexStatus:
        """Return the index state relative to the corpus ('up to date', 'stale' or 'missing')."""
        return index_status(self.settings, self.store)

    def rebuild_index(
        self, on_progress: Callable[[int, int], None] | None = None, *, force: bool = False
    ) -> IndexReport:
        """Bring the index in line with the corpus (`force`: embed every review again, from scratch),
        then answer from the new index and the reviews as they are now."""
        report = build_index(
            self.settings,
            embedder=self.models.embedder,
            store=self.store,
            force=force,
            on_progress=on_progress,
        )
        self._load_index()
        return report

    def refusal_threshold(self) -> float | None:
        """The extractive backend's refusal threshold in use: the setting, else its model's own.

        None for the LLM backends, which decide to refuse in their prompt.
        """
        threshold = self._backend().threshold
        return float(threshold) if threshold is not None else None

    def _load_index(self, corpus: Corpus | None = None) -> None:
        """Answer from the live generation; `corpus`: the reviews as just read (else read them)."""
        manifest = self.store.read_manifest()
        if manifest is None:
            raise IndexStateError("no index yet: run `assistant index` first.")
        mismatch = manifest.settings_mismatch(self.settings)
        vectors_differ = manifest.embedding_model != self.settings.embedding_model or vector_kind(
            manifest.embedding_runtime
        ) != vector_kind(self.settings.embedding_runtime)
        if mismatch and vectors_differ:
            raise IndexStateError(
                f"the index does not match the settings ({mismatch}): run `assistant index`."
            )
        collection = self.store.collection(manifest.generation)
        corpus = corpus or read_corpus(Path(self.settings.corpus_dir))
        folder = keyword_folder(self.settings)
        reviews, known_words = load_or_count({r.id: r for r in corpus.reviews}, folder)
        retriever = self._make_retriever(
            DenseIndex(self.store.client, collection.name, self.models.embedder),
            keyword_index(collection, folder),
            titles={r.id: r.title for r in reviews.values()},
        )
        with self._lock:
            #: Set while some review files can't be used: answers come from the others meanwhile.
            self.corpus_warning: str | None = corpus.warning()
            self.reviews: dict[str, Review] = reviews
            self.known_words = known_words
            self.retriever = retriever
            self._generation = manifest.generation

    def _make_retriever(
        self, dense: DenseIndex, keyword: KeywordIndex, titles: dict[str, str] | None = None
    ) -> Retriever:
        s = self.settings
        return Retriever(
            dense,
            keyword,
            candidates=s.candidates,
            rrf_k=s.rrf_k,
            reranker=self.models.passage_reranker,
            fusion=s.fusion,
            fusion_weight=s.fusion_weight,
            k=s.top_k,
            titles=titles if titles is not None else {},
        )

    def follow_index(self) -> bool:
        """Switch to the live generation if another process (or build) replaced the one in use.

        Cheap (one manifest read); called before every question. Returns True when it reloaded. A
        failed reload keeps the current state, so a broken build never takes answering down.
        """
        try:
            manifest = self.store.read_manifest()
        except Exception:
            return False
        if manifest is None or manifest.generation == getattr(self, "_generation", None):
            return False
        try:
            self._load_index()
        except Exception:
            return False
        return True

    def _retrieve(self, question: str, k: int) -> list[Hit]:
        """Retrieve; if the generation in use vanished under us, follow the manifest and retry once."""
        try:
            hits = self.retriever.retrieve(question, k)
        except Exception:
            if not self.follow_index():
                raise
            hits = self.retriever.retrieve(question, k)
        # Passages of a review whose file can't be read now (see `corpus_warning`) are left out.
        return [h for h in hits if h.review_id in self.reviews]

    def _pipeline(self) -> Pipeline:
        self.follow_index()
        backend = self._backend()
        return Pipeline(
            retrieve=self._retrieve,
            backend=backend,
            reviews=self.reviews,
            top_k=self.settings.passages,
            max_question_chars=self.settings.max_question_chars,
            condense=backend.condense,
            known_words=self.known_words,
        )

    def _backend(self) -> AnswerBackend:
        s = self.settings
        key = ":".join(
            map(
                str,
                (
                    s.backend,
                    s.answerability_model,
                    s.refusal_threshold,
                    s.answer_sentences,
                    s.sentence_margin,
                    s.span_threshold,
                    s.reader,
                    s.sentence_scoring,
                    s.reader_context,
                    s.reader_sentences,
                    s.top_k,
                    s.wide_passages,
                    s.wide_threshold,
                    s.answer_checks,
                    s.claim_check_threshold,
                ),
            )
        )
        if key not in self._backends:
            self._backends[key] = make_backend(self.settings, self.models)
        return self._backends[key]


def refuse_index_changes(old: Settings, new: Settings) -> None:
    """Raise ValueError naming the first index-level setting that differs between `old` and `new`."""
    for name in INDEX_SETTINGS:
        value = getattr(new, name)
        if value != getattr(old, name):
            raise ValueError(
                f"{name} needs its own index (a new `load_assistant`, not a copy of a loaded one): "
                f"run `assistant index` with {ENV_PREFIX}{name.upper()}={value} and eval without --compare"
            )


def make_backend(settings: Settings, models: Models) -> AnswerBackend:
    """Return the answer backend named by `settings.backend` (see `answering.BACKENDS`)."""
    spec = backend_spec(settings.backend)
    reader = models.reader if settings.reader == models.reader_name else load_reader(settings.reader)
    return spec.build(settings, models, reader)


def load_models(settings: Settings) -> Models:
    """Load the embedding model, the reader and the cross-encoder once (the reader's base is the
    cross-encoder, so with the reader on it is not loaded twice)."""
    embedder = load_embedder(settings.embedding_model, settings.embedding_runtime)
    reader = load_reader(settings.reader)
    return Models(
        embedder=embedder,
        sentence_scorer=ReaderRelevance(reader) if reader is not None else OnnxCrossEncoder(),
        passage_reranker=make_reranker(settings.reranker),
        answerability=AnswerabilityModel.load(settings.answerability_model),
        reader=reader,
        reader_name=settings.reader,
        word_vectors=WordVectors(embedder),
    )


def load_reader(name: str) -> Reader | None:
    """The reader named by the `reader` setting: 'packaged', 'none', or a folder with reader.onnx."""
    if name in ("", "none"):
        return None
    if name == "packaged":
        return Reader()
    return Reader(Path(name) / "reader.onnx")


def load_assistant(
    settings: Settings | None = None,
    *,
    build_if_missing: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> Assistant:
    """Return a ready assistant; build (or update) the index first if it is missing or stale."""
    settings = settings or Settings.from_env()
    models = load_models(settings)
    store = open_store(settings)
    corpus: Corpus | None = None
    if build_if_missing:
        # Cheap when the index is up to date: build_index compares hashes and embeds nothing.
        try:
            corpus = read_corpus(Path(settings.corpus_dir))  # read once, for the build and the answers
            whole = None if corpus.problems else list(corpus.reviews)  # a bad file: the build says so
            build_index(
                settings, embedder=models.embedder, store=store, on_progress=on_progress, reviews=whole
            )
        except BuildLockedError:
            # Another process is building: answer from the live index meanwhile (reading needs no
            # lock); the assistant follows the new generation once that build ends.
            if store.read_manifest() is None:
                raise
        except CorpusError:
            # A bad review file: no build, but the last good index still answers (with a warning
            # naming the files, `Assistant.corpus_warning`) until they are fixed.
            if store.read_manifest() is None:
                raise
    return Assistant(settings, models, store, corpus)
