"""Split eval/questions.jsonl into a dev part (choose rules, thresholds, settings on it) and a frozen
test part (nothing is chosen on it), stratified by kind and decided by a hash of each id.

Usage: python scripts/split_eval.py [--source eval/questions.jsonl]

Run once (2026-11-23); the outputs are committed and the source removed. Re-running on the same
source gives the same split, so the split can be checked but not re-rolled.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import defaultdict
from pathlib import Path


def split(lines: list[str]) -> tuple[list[str], list[str]]:
    """Return (dev, test): within each kind, ids ordered by sha256, alternating dev, test, dev, ..."""
    by_kind: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for line in lines:
        case = json.loads(line)
        by_kind[case["kind"]].append((hashlib.sha256(case["id"].encode()).hexdigest(), line))
    dev, test = [], []
    for kind in sorted(by_kind):
        for i, (_, line) in enumerate(sorted(by_kind[kind])):
            (dev if i % 2 == 0 else test).append(line)
    return dev, test


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("eval/questions.jsonl"))
    args = parser.parse_args()
    lines = [line for line in args.source.read_text(encoding="utf-8").splitlines() if line.strip()]
    dev, test = split(lines)
    for name, part in (("dev", dev), ("test", test)):
        out = args.source.with_name(f"{name}_questions.jsonl")
        out.write_text("\n".join(part) + "\n", encoding="utf-8")
        print(f"{out}: {len(part)} questions")


if __name__ == "__main__":
    main()
