"""Generative answers: an LLM behind an OpenAI-compatible server writes the answer, citing passages as [n].

"openai" talks to any such server (llama.cpp, vLLM, Ollama's /v1, hosted APIs) through LangChain's
`ChatOpenAI`. "llamacpp" first starts llama.cpp (xllamacpp) on a free loopback port for a local GGUF file,
then takes the same path, so there is one way of asking. The markers the model writes are turned back
into citations here; `answering.finish` then checks every quote against its review.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from .answering import Draft
from .citations import strip_markers
from .claims import Score, check_claims
from .config import Settings
from .conversation import History, Standalone, as_standalone
from .corpus import Review
from .llm_local import INSTALL_HINT, GenerativeError, LocalServer, start_local_server
from .llm_reply import SENTINEL, hide_sentinel, parse_draft
from .retrieval import Hit


@lru_cache(maxsize=8)
def load_prompt(name: str) -> str:
    """Return the prompt template `assistant/prompts/<name>.txt`."""
    return resources.files(__package__).joinpath("prompts", f"{name}.txt").read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def prompt_template(name: str) -> ChatPromptTemplate:
    """Return prompt `name` as a LangChain `ChatPromptTemplate`.

    A line `---` in the file ends the system message; the rest is the user's message.
    """
    system, _, user = load_prompt(name).rpartition("\n---\n")
    parts = [("system", system.strip())] if system else []
    return ChatPromptTemplate.from_messages([*parts, ("human", user.strip())])


def prompt_values(name: str, **values: str) -> dict[str, str]:
    """The values prompt `name` is filled with (a check that none is missing)."""
    missing = set(prompt_template(name).input_variables) - set(values)
    if missing:
        raise ValueError(f"prompt {name!r} needs {', '.join(sorted(missing))}")
    return values


def prompt_messages(name: str, **values: str) -> list[Any]:
    """Return the chat messages of prompt `name` filled with `values`."""
    return prompt_template(name).invoke(prompt_values(name, **values)).to_messages()


def format_passages(hits: Sequence[Hit], reviews: Mapping[str, Review]) -> str:
    """Return the passages numbered [1]..[n], each headed by its review's title and date."""
    blocks = []
    for number, hit in enumerate(hits, start=1):
        review = reviews.get(hit.review_id)
        title = review.title if review else hit.review_id
        date = f", {review.date}" if review and review.date else ""
        blocks.append(f'[{number}] From the review "{title}"{date}:\n{hit.text.strip()}')
    return "\n\n".join(blocks)


def answer_values(question: str, hits: Sequence[Hit], reviews: Mapping[str, Review]) -> dict[str, str]:
    """The "answer" prompt's values: numbered passages, the question and the refusal sentinel."""
    passages = format_passages(hits, reviews) or "(no passages were found)"
    return prompt_values("answer", passages=passages, question=question, sentinel=SENTINEL)


def condense_values(question: str, history: History, turns: int = 3) -> dict[str, str]:
    """The "condense" prompt's values: the recent turns without markers, and the question."""
    lines = []
    for asked, answered in list(history)[-turns:]:
        lines += [f"User: {asked.strip()}", f"Assistant: {strip_markers(answered, keep=set()).strip()}"]
    return prompt_values("condense", history="\n".join(lines), question=question)


def answer_messages(question: str, hits: Sequence[Hit], reviews: Mapping[str, Review]) -> list[Any]:
    """Return the messages asking for a short answer with [n] markers, or the sentinel."""
    return prompt_template("answer").invoke(answer_values(question, hits, reviews)).to_messages()


def condense_messages(question: str, history: History, turns: int = 3) -> list[Any]:
    """Return the messages asking to rewrite `question` as a standalone question, given recent turns."""
    return prompt_template("condense").invoke(condense_values(question, history, turns)).to_messages()


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
        # The two LLM calls, each `prompt | chat model | text parser` (prompts are package data).
        self.answer_chain = prompt_template("answer") | chat_model | StrOutputParser()
        self.condense_chain = prompt_template("condense") | chat_model | StrOutputParser()
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
        values = answer_values(question, hits, reviews)
        yield from hide_sentinel(self._chat(self.answer_chain, values, pieces))
        draft = parse_draft("".join(pieces), hits, reviews, narrow=self.narrow_quotes)
        if self.checker is not None:
            draft = check_claims(draft, question, self.checker, self.check_threshold)
        yield draft

    def condense(self, question: str, history: History) -> Standalone:
        """Return `question` rewritten to stand alone; unchanged (and no LLM call) without history."""
        question = question.strip()
        if not history:
            return Standalone(question)
        reply = "".join(self._chat(self.condense_chain, condense_values(question, history), []))
        return Standalone(clean_question(reply) or question)

    def _chat(self, chain: Any, values: dict[str, str], record: list[str]) -> Iterator[str]:
        try:
            for text in chain.stream(values):
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
    """Return a `ChatOpenAI` for the OpenAI-compatible server at `base_url` (via LangChain's
    `init_chat_model`, so the provider is one argument away)."""
    from importlib.util import find_spec

    from langchain.chat_models import init_chat_model

    if find_spec("langchain_openai") is None:
        raise GenerativeError(f"the generative backends need langchain-openai: {INSTALL_HINT}")
    return init_chat_model(
        settings.openai_model,
        model_provider="openai",
        base_url=base_url,
        api_key=settings.openai_api_key,
        temperature=settings.llm_temperature,
        max_completion_tokens=settings.llm_max_tokens,  # the field `max_tokens` under its alias
        timeout=settings.llm_timeout_s,
        max_retries=1,  # a stopped server should fail in about a second, not after minutes of backoff
    )


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
