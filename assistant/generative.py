"""Generative answers: an LLM behind an OpenAI-compatible server writes the answer, citing passages as [n].

"openai" talks to any such server (llama.cpp, vLLM, Ollama's /v1, hosted APIs) through LangChain's
`ChatOpenAI`. "llamacpp" first starts llama.cpp (xllamacpp) on a free loopback port for a local GGUF file,
then takes the same path, so there is one way of asking. The markers the model writes are turned back
into citations here; `answering.finish` then checks every quote against its review.
"""

from __future__ import annotations

import re
import time
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .answering import Draft
from .citations import MARKER_RE, Citation, strip_markers
from .claims import Score, check_claims
from .config import Settings
from .conversation import History, Standalone, as_standalone
from .corpus import Review
from .extractive import candidate_sentences
from .retrieval import Hit, tokenize

#: What the prompt tells the model to answer when the passages do not say.
SENTINEL = "NOT IN REVIEWS"
INSTALL_HINT = "pip install 'never-sorry-assistant[generative]'"

# "[1, 2]" and "[1; 3]" are read as "[1][2]", "[1][3]": models often group markers that way.
_GROUPED_RE = re.compile(r"\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})+)\]")


class GenerativeError(RuntimeError):
    """The language model or its server cannot be used; the message says what to check."""


@lru_cache(maxsize=8)
def load_prompt(name: str) -> str:
    """Return the prompt template `assistant/prompts/<name>.txt`."""
    return resources.files(__package__).joinpath("prompts", f"{name}.txt").read_text(encoding="utf-8")


def prompt_messages(name: str, **values: str) -> list[Any]:
    """Return the chat messages of prompt `name` filled with `values`.

    A line `---` in the file ends the system message; the rest is the user's message.
    """
    from langchain_core.messages import HumanMessage, SystemMessage

    system, _, user = load_prompt(name).rpartition("\n---\n")
    messages: list[Any] = [SystemMessage(content=system.format(**values).strip())] if system else []
    return [*messages, HumanMessage(content=user.format(**values).strip())]


def format_passages(hits: Sequence[Hit], reviews: Mapping[str, Review]) -> str:
    """Return the passages numbered [1]..[n], each headed by its review's title and date."""
    blocks = []
    for number, hit in enumerate(hits, start=1):
        review = reviews.get(hit.review_id)
        title = review.title if review else hit.review_id
        date = f", {review.date}" if review and review.date else ""
        blocks.append(f'[{number}] From the review "{title}"{date}:\n{hit.text.strip()}')
    return "\n\n".join(blocks)


def answer_messages(question: str, hits: Sequence[Hit], reviews: Mapping[str, Review]) -> list[Any]:
    """Return the messages asking for a short answer with [n] markers, or the sentinel."""
    passages = format_passages(hits, reviews) or "(no passages were found)"
    return prompt_messages("answer", passages=passages, question=question, sentinel=SENTINEL)


def condense_messages(question: str, history: History, turns: int = 3) -> list[Any]:
    """Return the messages asking to rewrite `question` as a standalone question, given recent turns."""
    lines = []
    for asked, answered in list(history)[-turns:]:
        lines += [f"User: {asked.strip()}", f"Assistant: {strip_markers(answered, keep=set()).strip()}"]
    return prompt_messages("condense", history="\n".join(lines), question=question)


def is_refusal(text: str) -> bool:
    """True when the model answered with the sentinel: 'NOT IN REVIEWS.' -> True."""
    return _letters(text).startswith(SENTINEL)


def _letters(text: str) -> str:
    # Upper-case words only, so "**Not in reviews.**" reads as the sentinel too.
    return " ".join(re.sub(r"[^A-Z]+", " ", text.upper()).split())


def parse_draft(text: str, hits: Sequence[Hit], reviews: Mapping[str, Review], narrow: bool = True) -> Draft:
    """Return the Draft for the model's answer: marker [n] cites passage n; others flag the draft.

    With `narrow`, each quote is the passage sentence that best matches what the marker follows.
    """
    text = _GROUPED_RE.sub(lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,;]\s*", m.group(1))), text)
    text = text.strip()
    if is_refusal(text):
        return Draft(text="", citations=(), refused=True)
    claims = claims_by_marker(text)
    valid = [n for n in claims if 1 <= n <= len(hits)]
    citations = tuple(_cite(n, hits[n - 1], reviews, claims[n] if narrow else "") for n in valid)
    return Draft(text=text, citations=citations, refused=False, flagged=len(valid) < len(claims))


def claims_by_marker(text: str) -> dict[int, str]:
    """Return, per marker number in order of first use, the text it was written after.

    >>> claims_by_marker("Held 81 days [1][2]. Freed in June [3].")
    {1: 'Held 81 days ', 2: 'Held 81 days ', 3: '. Freed in June '}
    """
    claims: dict[int, str] = {}
    last, claim = 0, ""
    for match in MARKER_RE.finditer(text):
        segment = text[last : match.start()]
        if re.search(r"\w", segment):  # "[1][2]": the second marker backs the same words
            claim = segment
        number = int(match.group(1))
        claims[number] = f"{claims[number]}\n{claim}" if number in claims else claim
        last = match.end()
    return claims


def narrow_span(hit: Hit, reviews: Mapping[str, Review], claim: str, min_overlap: int = 2) -> tuple[int, int]:
    """Return (start, end) of the sentence of `hit` sharing the most words with `claim`, or the whole hit.

    A sentence needs `min_overlap` shared words, so a vague claim keeps its whole passage as evidence.
    """
    wanted = set(tokenize(claim))
    best, best_overlap = (hit.start, hit.end), min_overlap - 1
    for _, span in candidate_sentences([hit], reviews):
        overlap = len(wanted & set(tokenize(reviews[hit.review_id].text[span.start : span.end])))
        if overlap > best_overlap:
            best, best_overlap = (span.start, span.end), overlap
    return best


def _cite(number: int, hit: Hit, reviews: Mapping[str, Review], claim: str) -> Citation:
    review = reviews.get(hit.review_id)
    start, end = narrow_span(hit, reviews, claim) if claim and review else (hit.start, hit.end)
    quote = review.text[start:end] if review else hit.text
    return Citation(
        number=number,
        review_id=hit.review_id,
        review_title=review.title if review else hit.review_id,
        start=start,
        end=end,
        quote=quote,
        review_date=review.date if review else None,
    )


def hide_sentinel(pieces: Iterable[str]) -> Iterator[str]:
    """Yield the pieces as they come, holding back those that may still spell the refusal sentinel."""
    held: list[str] = []
    passing = False
    for piece in pieces:
        if passing:
            yield piece
            continue
        held.append(piece)
        so_far = _letters("".join(held))
        if not (SENTINEL.startswith(so_far) or so_far.startswith(SENTINEL)):
            passing = True
            yield from held
    if not passing and not is_refusal("".join(held)):
        yield from held


class GenerativeBackend:
    """Answers with a LangChain chat model; `stream` yields text deltas, then the Draft."""

    # The model decides in its prompt when the passages don't answer; there is no probability cut.
    threshold: float | None = None

    def __init__(
        self,
        chat_model: Any,
        name: str = "openai",
        base_url: str = "",
        narrow_quotes: bool = True,
        server: LocalServer | None = None,
        checker: Score | None = None,
        check_threshold: float = 0.5,
    ) -> None:
        self.chat_model = chat_model
        # The reader's score: every cited claim is checked against its passage (`claims.py`).
        self.checker = checker
        self.check_threshold = check_threshold
        self.name = name
        self.base_url = base_url
        self.narrow_quotes = narrow_quotes
        self.server = server  # kept so an in-process llama.cpp server lives as long as the backend

    def stream(
        self, question: str | Standalone, hits: Sequence[Hit], reviews: Mapping[str, Review]
    ) -> Iterator[str | Draft]:
        """Yield the answer as the model writes it, then its Draft with citations from the markers."""
        question = as_standalone(question).text
        if not hits:
            yield Draft(text="", citations=(), refused=True)
            return
        pieces: list[str] = []
        yield from hide_sentinel(self._chat(answer_messages(question, hits, reviews), pieces))
        draft = parse_draft("".join(pieces), hits, reviews, narrow=self.narrow_quotes)
        if self.checker is not None:
            draft = check_claims(draft, question, self.checker, self.check_threshold)
        yield draft

    def condense(self, question: str, history: History) -> Standalone:
        """Return `question` rewritten to stand alone; unchanged (and no LLM call) without history."""
        question = question.strip()
        if not history:
            return Standalone(question)
        reply = "".join(self._chat(condense_messages(question, history), []))
        return Standalone(clean_question(reply) or question)

    def _chat(self, messages: list[Any], record: list[str]) -> Iterator[str]:
        try:
            for chunk in self.chat_model.stream(messages):
                text = str(chunk.text)
                if text:
                    record.append(text)
                    yield text
        except Exception as exc:
            error = explain_error(exc, self.base_url)
            if error is None:
                raise
            raise error from exc


def clean_question(reply: str) -> str:
    """Return the first line of a condense reply, without labels or quotes: 'Q: "Why?"' -> 'Why?'."""
    for line in reply.strip().splitlines():
        line = re.sub(r"^\s*(standalone question|question|q)\s*:\s*", "", line, flags=re.I)
        line = line.strip().strip("\"'“”*").strip()
        if line:
            return line
    return ""


def explain_error(exc: BaseException, base_url: str) -> GenerativeError | None:
    """Return a GenerativeError saying what to check for a server error, or None for other errors."""
    try:
        import openai
    except ImportError:
        return None
    if isinstance(exc, openai.APITimeoutError):
        return GenerativeError(
            f"the model server at {base_url} did not answer in time: check that it is not overloaded, "
            "or raise ASSISTANT_LLM_TIMEOUT_S."
        )
    if isinstance(exc, openai.APIConnectionError):
        return GenerativeError(
            f"could not connect to the model server at {base_url}: check that it is running and that "
            "ASSISTANT_OPENAI_BASE_URL is right (it usually ends in /v1)."
        )
    if isinstance(exc, openai.APIStatusError):
        return GenerativeError(
            f"the model server at {base_url} refused the request (HTTP {exc.status_code}: {exc.message}): "
            "check ASSISTANT_OPENAI_MODEL and ASSISTANT_OPENAI_API_KEY."
        )
    return None


def make_chat_model(settings: Settings, base_url: str) -> Any:
    """Return a `ChatOpenAI` for the OpenAI-compatible server at `base_url`."""
    try:
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr
    except ImportError as exc:
        raise GenerativeError(f"the generative backends need langchain-openai: {INSTALL_HINT}") from exc
    return ChatOpenAI(
        base_url=base_url,
        model=settings.openai_model,
        api_key=SecretStr(settings.openai_api_key),
        temperature=settings.llm_temperature,
        max_completion_tokens=settings.llm_max_tokens,  # the field `max_tokens` under its alias
        timeout=settings.llm_timeout_s,
        max_retries=1,  # a stopped server should fail in about a second, not after minutes of backoff
    )


@dataclass
class LocalServer:
    """A llama.cpp server running in this process; `base_url` ends in /v1."""

    handle: Any
    base_url: str
    model_path: str


def start_local_server(
    model_path: str | Path | None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    n_ctx: int = 4096,
    threads: int | None = None,
    n_parallel: int = 1,
    alias: str = "local-model",
    verbose: bool = False,
) -> LocalServer:
    """Start llama.cpp's OpenAI-compatible server for a GGUF file; port 0 picks a free port."""
    path = _check_model_path(model_path)
    try:
        import xllamacpp
    except ImportError as exc:
        raise GenerativeError(f"the llamacpp backend needs xllamacpp: {INSTALL_HINT}") from exc
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.hostnames = [host]
    params.port = port
    params.n_ctx = n_ctx
    params.n_parallel = n_parallel
    params.model_alias = {alias}
    params.verbosity = 3 if verbose else 0  # 0 keeps llama.cpp's per-request logging off stderr
    if threads:
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
    try:
        handle = xllamacpp.Server(params)
    except RuntimeError as exc:
        raise GenerativeError(f"llama.cpp could not load {path}: is it a GGUF model file? ({exc})") from exc
    address = str(handle.listening_address).rstrip("/")
    _wait_healthy(address)
    return LocalServer(handle=handle, base_url=f"{address}/v1", model_path=str(path))


def _check_model_path(model_path: str | Path | None) -> Path:
    if not model_path:
        raise GenerativeError(
            "the llamacpp backend needs a model: set ASSISTANT_LLAMACPP_MODEL_PATH to a .gguf file."
        )
    path = Path(model_path).expanduser()
    if not path.is_file():
        raise GenerativeError(f"no GGUF model file at {path}: check ASSISTANT_LLAMACPP_MODEL_PATH.")
    return path


def _wait_healthy(address: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{address}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise GenerativeError(
                f"the llama.cpp server at {address} did not become ready in {timeout_s:.0f} s."
            )
        time.sleep(0.2)


def openai_from_settings(settings: Settings, models: Any, reader: Any) -> GenerativeBackend:
    """The "openai" backend (registered in `answering.BACKENDS`); the reader, if any, checks claims."""
    return make_generative_backend(settings.replace(backend="openai"), _checker(reader))


def llamacpp_from_settings(settings: Settings, models: Any, reader: Any) -> GenerativeBackend:
    """The "llamacpp" backend (registered in `answering.BACKENDS`)."""
    return make_generative_backend(settings.replace(backend="llamacpp"), _checker(reader))


def _checker(reader: Any) -> Score | None:
    return reader.score if reader is not None else None


def make_generative_backend(settings: Settings, checker: Score | None = None) -> GenerativeBackend:
    """Return the "openai" or "llamacpp" backend named by `settings.backend`; `checker` checks claims."""
    threshold = settings.claim_check_threshold
    if settings.backend == "openai":
        chat_model = make_chat_model(settings, settings.openai_base_url)
        return GenerativeBackend(
            chat_model,
            name="openai",
            base_url=settings.openai_base_url,
            checker=checker,
            check_threshold=threshold,
        )
    if settings.backend == "llamacpp":
        server = start_local_server(settings.llamacpp_model_path, alias=settings.openai_model)
        chat_model = make_chat_model(settings, server.base_url)
        return GenerativeBackend(
            chat_model,
            name="llamacpp",
            base_url=server.base_url,
            server=server,
            checker=checker,
            check_threshold=threshold,
        )
    raise ValueError(f"not a generative backend: {settings.backend!r} (choose openai or llamacpp)")
