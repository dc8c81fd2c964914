"""Write questions that review sentences answer, in other words, with a local LLM.

The output is eval/train_generated.jsonl.

The reader's answerable training questions (eval/train_questions.jsonl, the rules' FACTS and their
paraphrases) cover some sentences many times and others not at all, and mostly reuse the sentence's own
words. This script asks an OpenAI-compatible chat server (temperature 0, few-shot examples about nothing
in the film) for up to four questions per review sentence in each of two styles, each with a short
answer copied from the sentence, worded with as few of the sentence's words as it can.

Tried once (2026-11-23): 233 questions kept of 327; the reader trained with them (`train_reader.py
--with-generated`) cost 32-35 on dev + dev2 against 33 for the shipped one, so they are off by default.

A question is kept only when its answer is in the sentence and not in the question
(`acceptable_generated`). `reader_data.make_pairs` then adds
each as a training question whose evidence is that sentence, with the same negatives as any other.

No held-out question is sent or read; `make_pairs` still drops any generated question that comes out
close to a dev, dev2, test or blind one. The output is committed, so training does not need the LLM. To
regenerate it (about 3 minutes on 2 cores with Qwen2.5-Coder-1.5B-Instruct Q4_K_M, see
../shared/MODELS.md):

    python scripts/llm_server.py qwen2.5-coder-1.5b-instruct-q4_k_m.gguf --port 8099 --threads 2 &
    python scripts/generate_questions.py --url http://127.0.0.1:8099/v1

The run is resumable: sentences already in the output file are skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from paraphrase_questions import few_shot_reply  # noqa: E402  (this folder is on the path)

from assistant.reader_data import GENERATED, acceptable_generated, load_sentences  # noqa: E402

SYSTEM = (
    "You write reading-comprehension questions about one sentence. Write up to four questions, each "
    "about a different detail that the sentence states. Word each question differently from the "
    "sentence: use synonyms and descriptions instead of the sentence's words. After each question write "
    "' || ' and its answer: a short phrase copied exactly from the sentence. One question per line. "
    "Never ask about something the sentence does not state."
)
# Two styles, so a sentence's questions differ. The examples are about nothing in the film.
STYLES: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        (
            "In 1998 the engineer Maria Lopez finished the stone bridge over the Tagus after nine years of "
            "work, paid for by the king.",
            "In which year was the river crossing completed? || 1998\n"
            "Who was the builder behind the crossing? || the engineer Maria Lopez\n"
            "How long did the construction take? || nine years\n"
            "Who funded the project? || the king",
        ),
        (
            "Critics praised the novel's bleak humour, though its ending struck many readers as rushed.",
            "What quality of the book did reviewers admire? || bleak humour\n"
            "What did a lot of people think of the way the story concludes? || rushed",
        ),
    ),
    (
        (
            "The Louvre's Winged Victory, carved around 190 BC, was found on Samothrace in 1863 by Charles "
            "Champoiseau, a French consul.",
            "Roughly when was the Paris museum's famous winged statue sculpted? || around 190 BC\n"
            "On which island did the ancient figure turn up? || Samothrace\n"
            "What was the job of the diplomat who dug it up? || a French consul",
        ),
        (
            "Despite a shoestring budget, the director shot the whole film in eleven days with a cast of "
            "amateurs from her village.",
            "How quickly was the movie made? || in eleven days\n"
            "Who played the parts? || amateurs from her village\n"
            "How much money did the filmmaker have? || a shoestring budget",
        ),
    ),
)


def generate(
    url: str, sentence: str, style: tuple[tuple[str, str], ...], timeout: float = 180.0
) -> list[tuple[str, str]]:
    """(question, answer) pairs for one sentence from the chat server at `url` (its /v1 base)."""
    text = few_shot_reply(url, SYSTEM, style, sentence, max_tokens=200, timeout=timeout) or ""
    found = []
    for line in text.splitlines():
        if "||" in line:
            question, _, answer = line.partition("||")
            found.append((question.strip(), answer.strip()))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8099/v1", help="OpenAI-compatible base URL")
    parser.add_argument("--out", type=Path, default=ROOT / GENERATED)
    parser.add_argument("--limit", type=int, help="only the first N sentences (a trial run)")
    args = parser.parse_args(argv)
    done: set[tuple[str, int]] = set()
    if args.out.exists():
        for line in args.out.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                done.add((row["evidence"][0]["review_id"], int(row["sentence_index"])))
    todo = [s for s in load_sentences(ROOT / "corpus") if (s.review_id, s.index) not in done][: args.limit]
    kept = asked = 0
    with args.out.open("a", encoding="utf-8") as out:
        for s in tqdm(todo, desc="generating", unit="sentence"):
            pairs = [p for style in STYLES for p in generate(args.url, s.text, style)]
            asked += len(pairs)
            good = [(q, a) for q, a in dict.fromkeys(pairs) if acceptable_generated(q, a, s.text)]
            kept += len(good)
            # One line per sentence even when nothing was kept, so a resumed run skips it.
            row = {
                "sentence_index": s.index,
                "kind": "generated",
                "questions": [{"question": q, "answers": [a]} for q, a in good],
                "evidence": [{"review_id": s.review_id, "quote": s.text}],
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            out.flush()
    print(f"{len(todo)} sentences, {asked} questions written, {kept} kept -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
