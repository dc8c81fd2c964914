"""The LangChain surface on the real index: `bot.retriever` (BaseRetriever) and `bot.chain` (Runnable)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from assistant import load_assistant
from assistant.answering import Answer, QuestionError
from assistant.bot import Assistant
from assistant.chain import read_input
from assistant.config import Settings

SHIPPED_CORPUS = Path(__file__).resolve().parents[1] / "corpus"
DETAINED = "How long was Ai Weiwei detained?"


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("chain")
    shutil.copytree(SHIPPED_CORPUS, root / "corpus")
    return load_assistant(Settings(corpus_dir=root / "corpus", index_dir=root / "index"))


def test_the_retriever_is_a_langchain_retriever_returning_located_documents(bot: Assistant) -> None:
    assert isinstance(bot.retriever, BaseRetriever)
    docs = bot.retriever.invoke(DETAINED)
    assert len(docs) == bot.settings.top_k
    assert all(isinstance(d, Document) for d in docs)
    assert any("81 days" in d.page_content for d in docs)
    for doc in docs:
        meta = doc.metadata
        review = bot.reviews[meta["review_id"]]
        assert review.text[meta["start"] : meta["end"]] == doc.page_content
        assert meta["title"] == review.title and meta["chunk_id"] == doc.id
        assert meta["dense_score"] is not None or meta["keyword_score"] is not None
    assert [d.metadata["score"] for d in docs] == sorted((d.metadata["score"] for d in docs), reverse=True)


def test_the_retriever_composes_with_other_runnables(bot: Assistant) -> None:
    first_review = bot.retriever | RunnableLambda(lambda docs: docs[0].metadata["review_id"])
    assert first_review.invoke(DETAINED) in bot.reviews


def test_a_copy_with_another_top_k_retrieves_that_many(bot: Assistant) -> None:
    assert len(bot.with_settings(top_k=2).retriever.invoke(DETAINED)) == 2
    assert len(bot.retriever.invoke(DETAINED)) == bot.settings.top_k


def test_chain_invoke_gives_the_same_answer_as_ask(bot: Assistant) -> None:
    assert isinstance(bot.chain, Runnable)
    answer = bot.chain.invoke({"question": DETAINED, "history": []})
    assert isinstance(answer, Answer) and not answer.refused
    assert answer.text == bot.ask(DETAINED).text
    assert {"condense", "retrieve", "answer", "total"} <= set(answer.timings)
    assert bot.chain.invoke(DETAINED).text == answer.text  # a bare string is a question without history


def test_chain_stream_yields_text_pieces_then_the_answer(bot: Assistant) -> None:
    *pieces, answer = bot.chain.stream({"question": DETAINED})
    assert isinstance(answer, Answer)
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert "".join(str(p) for p in pieces).strip() == answer.text.strip()


def test_chain_batch_answers_each_question_with_its_history(bot: Assistant) -> None:
    history = [["What did Ai Weiwei install at Tate Modern?", "Sunflower Seeds [1]."]]
    answers = bot.chain.batch(
        [
            {"question": "Who directed the film?"},
            {"question": "How many were there?", "history": history},
            {"question": "Who directed Jaws?"},
        ]
    )
    assert "Alison Klayman" in answers[0].text
    assert "Tate Modern" in answers[1].standalone_question
    assert answers[2].refused and "Jaws" in answers[2].text and not answers[2].citations


def test_chain_raises_question_error_for_bad_input(bot: Assistant) -> None:
    with pytest.raises(QuestionError):
        bot.chain.invoke({"question": "   "})
    with pytest.raises(QuestionError):
        bot.chain.invoke({"question": "x" * (bot.settings.max_question_chars + 1)})


def test_read_input_takes_a_string_or_a_mapping() -> None:
    assert read_input("Who?") == ("Who?", ())
    assert read_input({"question": "In what year?", "history": [("a", "b")]}) == (
        "In what year?",
        (("a", "b"),),
    )
    assert read_input({"question": "Q"}) == ("Q", ())
    for bad in ("oops", [["only one"]], [("q", "a", "extra")]):
        with pytest.raises(QuestionError, match="history must be a list of"):
            read_input({"question": "Q", "history": bad})


def test_a_compound_question_is_retrieved_and_answered_part_by_part(bot: Assistant) -> None:
    question = "Who directed the documentary, and how long was Ai detained in 2011?"
    answer = bot.ask(question)
    assert not answer.refused
    assert len(answer.passages) > bot.settings.top_k  # each part brought its own passages
    quotes = " ".join(c.quote for c in answer.citations)
    assert "Klayman" in quotes and "81 days" in quotes


def test_a_follow_up_is_not_answered_with_the_last_answers_own_sentence(bot: Assistant) -> None:
    # In the chat the last answer quotes its sentence verbatim; "What did he do about it?" asks for
    # something new, so quoting that sentence again would assert a non-answer.
    first = bot.ask("What happened to Ai in the hotel room?")
    assert not first.refused
    follow = bot.ask("What did he do about it?", [("What happened to Ai in the hotel room?", first.text)])
    said = {c.quote for c in first.citations}
    assert not said & {c.quote for c in follow.citations}
