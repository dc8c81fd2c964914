"""scripts/make_wordnet_table.py: inflecting a WordNet term to the form of the word it replaces."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from make_wordnet_table import WordNet, inflect, variants  # noqa: E402


def _wordnet() -> WordNet:
    """A tiny WordNet: "direct" (verb) with sister "produce", "seed" (noun) with synonym "kernel"."""
    return WordNet(
        index={
            "noun": {"seed": (5, ["1"]), "kernel": (3, ["2"]), "nut": (4, ["3"]), "fruit": (9, ["4"])},
            "verb": {"direct": (9, ["10"]), "produce": (9, ["11"]), "helm": (1, ["10"]), "take": (9, ["12"])},
            "adj": {},
        },
        synsets={
            "noun": {
                "1": (["seed", "kernel"], ["4"], [], 20),
                "3": (["nut"], ["4"], [], 20),
                "4": (["fruit"], [], ["1", "3"], 20),
                "2": (["kernel"], [], [], 20),
            },
            "verb": {
                "10": (["direct", "helm"], ["13"], [], 41),
                "11": (["produce"], ["13"], [], 41),
                "13": (["manage"], [], ["10", "11"], 41),
                "12": (["take"], [], [], 40),
            },
            "adj": {},
        },
        exceptions={"noun": {}, "verb": {"took": "take", "taken": "take"}, "adj": {}},
    )


def test_a_term_takes_the_form_of_the_word_it_replaces() -> None:
    wn = _wordnet()
    assert inflect("nut", "seeds", "seed", "noun", wn) == "nuts"
    assert inflect("berry", "seeds", "seed", "noun", wn) == "berries"
    assert inflect("produce", "directed", "direct", "verb", wn) == "produced"
    assert inflect("produce", "directing", "direct", "verb", wn) == "producing"
    assert inflect("pick up", "directed", "direct", "verb", wn) == "picked up"
    assert inflect("take", "directed", "direct", "verb", wn) == "took"
    assert inflect("take", "driven", "drive", "verb", wn) == "taken"
    assert inflect("produce", "direct", "direct", "verb", wn) == "produce"


def test_variants_change_one_word_to_a_synonym_or_a_sister_term() -> None:
    vocab = {"who", "helmed", "produced", "nuts", "kernels"}
    synonyms, sisters = variants("Who directed the seeds?", _wordnet(), vocab)
    assert "Who helmed the seeds?" in synonyms and "Who directed the kernels?" in synonyms
    assert {"question": "Who produced the seeds?", "word": "directed", "lemma": "direct"} in sisters
    assert {"question": "Who directed the nuts?", "word": "seeds", "lemma": "seed"} in sisters
    # an inflected form the tokenizer does not know as a word is left out
    synonyms, _ = variants("Who directed the seeds?", _wordnet(), {"who"})
    assert "Who helmed the seeds?" not in synonyms
