"""Write paraphrases of the reader's training questions with a local LLM (eval/train_paraphrases.jsonl).

The reader learns from questions made by rules and from eval/train_questions.jsonl; both mostly reuse
the words of the sentence that answers them, so the reader under-scores questions that say the same
thing in other words. This script asks an OpenAI-compatible chat server (temperature 0, two few-shot
styles whose examples are about nothing in the film) for two paraphrases of every training question:
the answerable ones, the rule-made near misses and the unanswerable ones. `reader_data.make_pairs` then
adds each paraphrase with its question's label and negatives. Held-out questions are never sent.

The output is committed, so training does not need the LLM. To regenerate it (~15 minutes on 2 cores
with Qwen2.5-Coder-1.5B-Instruct Q4_K_M, sha256 cc324af0…; see ../shared/MODELS.md):

    python scripts/llm_server.py qwen2.5-coder-1.5b-instruct-q4_k_m.gguf --port 8099 --threads 2 &
    python scripts/paraphrase_questions.py --url http://127.0.0.1:8099/v1

The run is resumable: questions already in the output file are skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.reader_data import (  # noqa: E402
    PARAPHRASES,
    acceptable_paraphrase,
    training_questions,
)

SYSTEM = (
    "You paraphrase questions. Reply with one question that asks for exactly the same information "
    "using different words (synonyms, descriptions, another sentence order). Keep names of people and "
    "places. Never answer it."
)
# Two styles, so the two paraphrases of a question differ. The examples are about nothing in the film.
STYLES: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        (
            "When did the architect finish the bridge over the river?",
            "In what year was the river crossing completed by its designer?",
        ),
        (
            "How many workers were injured in the factory fire?",
            "What number of employees got hurt when the plant went up in flames?",
        ),
        ("Why did the mayor resign?", "What reason led the city's leader to step down?"),
        ("Where did the novelist grow up?", "In which place did the author spend his childhood?"),
    ),
    (
        (
            "What did the chef cook for the king's wedding?",
            "For the royal marriage feast, which dish was prepared by the cook?",
        ),
        (
            "Who painted the portrait of the old sailor?",
            "The picture of the elderly seaman is the work of which artist?",
        ),
        (
            "How long did the expedition stay in the mountains?",
            "For what stretch of time were the climbers up in the peaks?",
        ),
        (
            "What does the museum's guide call the statue?",
            "By what name is the sculpture known to the gallery's tour leader?",
        ),
    ),
)
# Two more styles (`--styles more`, written to eval/train_paraphrases_more.jsonl): say it without the
# question's own nouns and verbs, and put the circumstance first. Also about nothing in the film.
MORE_STYLES: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        (
            "Who designed the new library?",
            "Whose plans were used for the building that now houses the town's books?",
        ),
        ("How long was the ship at sea?", "For what span did the vessel stay away from port?"),
        ("What did the farmer grow in the valley?", "Which crop came from the low fields the grower tended?"),
        ("Why was the concert cancelled?", "What led the organisers to call off the evening of music?"),
        (
            "Where was the treaty signed?",
            "In what location did the two sides put their names to the peace agreement?",
        ),
    ),
    (
        (
            "What did the doctor prescribe after the accident?",
            "Once the crash was over, which medicine did the physician order?",
        ),
        (
            "Which team won the final in 1998?",
            "Looking back at the 1998 championship match, who came out on top?",
        ),
        ("How many pages did the report have?", "The report ran to how many pages?"),
        ("What happened to the old factory?", "As for the former plant, what became of it?"),
    ),
)
STYLE_SETS = {"base": STYLES, "more": MORE_STYLES}


def paraphrase(url: str, question: str, style: tuple[tuple[str, str], ...], timeout: float = 120.0) -> str:
    """One paraphrase of `question` from the chat server at `url` (its /v1 base)."""
    reply = few_shot_reply(url, SYSTEM, style, question, max_tokens=60, timeout=timeout)
    return reply.strip().splitlines()[0].strip() if reply is not None else ""


def few_shot_reply(
    url: str, system: str, examples: tuple[tuple[str, str], ...], text: str, max_tokens: int, timeout: float
) -> str | None:
    """The chat server's reply (temperature 0) to `text` after the (user, assistant) `examples`; None
    when the server sent an empty body. Also used by scripts/generate_questions.py."""
    messages = [{"role": "system", "content": system}]
    for asked, answered in examples:
        messages += [{"role": "user", "content": asked}, {"role": "assistant", "content": answered}]
    messages.append({"role": "user", "content": text})
    body = {"model": "local-model", "messages": messages, "temperature": 0, "max_tokens": max_tokens}
    request = urllib.request.Request(
        url.rstrip("/") + "/chat/completions",
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.load(response)
    return str(reply["choices"][0]["message"]["content"]) if reply else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8099/v1", help="OpenAI-compatible base URL")
    parser.add_argument(
        "--styles",
        choices=sorted(STYLE_SETS),
        default="base",
        help="base: the two styles of eval/train_paraphrases.jsonl; more: two further styles "
        "(write them with --out eval/train_paraphrases_more.jsonl)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / PARAPHRASES)
    parser.add_argument("--limit", type=int, help="only the first N questions (a trial run)")
    args = parser.parse_args(argv)
    done: set[str] = set()
    if args.out.exists():
        lines = args.out.read_text(encoding="utf-8").splitlines()
        done = {json.loads(line)["question"] for line in lines if line.strip()}
    todo = [q for q in training_questions(ROOT / "corpus") if q not in done][: args.limit]
    kept = 0
    with args.out.open("a", encoding="utf-8") as out:
        for question in tqdm(todo, desc="paraphrasing", unit="q"):
            found = [paraphrase(args.url, question, style) for style in STYLE_SETS[args.styles]]
            good = list(dict.fromkeys(p for p in found if acceptable_paraphrase(question, p)))
            kept += len(good)
            out.write(json.dumps({"question": question, "paraphrases": good}, ensure_ascii=False) + "\n")
            out.flush()
    print(f"{len(todo)} questions, {kept} paraphrases kept -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
