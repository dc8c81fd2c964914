"""The real app's `/ask` endpoint through `gradio_client`, as a script would call it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from live_app import LiveApp, running_app

from assistant.corpus import load_reviews

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.timeout(600)]

# gradio_client looks the hub up in DNS unless told it is offline.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
from gradio_client import Client  # noqa: E402


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    with running_app(tmp_path_factory.mktemp("api-app")) as app:
        yield app


@pytest.fixture(scope="module")
def client(live_app: LiveApp) -> Client:
    return Client(live_app.url, verbose=False)


def test_ask_returns_an_answer_with_checkable_citations(client, live_app):
    data = client.predict("How long was Ai Weiwei detained?", api_name="/ask")
    assert data["refused"] is False and data["text"]
    assert data["citations"], data
    reviews = {r.id: r for r in load_reviews(live_app.corpus_dir)}
    for citation in data["citations"]:
        assert reviews[citation["review_id"]].text[citation["start"] : citation["end"]] == citation["quote"]
    assert any("81 days" in c["quote"] for c in data["citations"])
    assert json.loads(json.dumps(data)) == data


def test_ask_takes_history_for_follow_ups(client):
    history = json.dumps([["How long was Ai Weiwei detained?", "81 days [1]."]])
    data = client.predict("In what year was he detained?", history, api_name="/ask")
    assert "How long was Ai Weiwei detained?" in data["standalone_question"]
    assert data["citations"] and "2011" in data["text"]


def test_ask_refuses_what_the_reviews_do_not_cover(client):
    data = client.predict("What is the recipe for dumplings?", api_name="/ask")
    assert data["refused"] is True and data["citations"] == []


def test_ask_reports_an_empty_question_as_an_error(client):
    with pytest.raises(Exception, match="Please type a question"):
        client.predict("   ", api_name="/ask")


def test_only_the_ask_endpoint_is_public(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/ask"]
    names = [p["parameter_name"] for p in endpoints["/ask"]["parameters"]]
    assert names == ["question", "history_json"]
