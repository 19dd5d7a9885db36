"""Measure the coach's checks on a labelled set of drafts.

    python bench/coach_eval.py [--data PATH] [--no-politeness] [-v]

Default data: answerable/coach/tests/data/coach.jsonl if present, else the shared dev set
(<corpora>/../eval/coach.dev.jsonl). Prints a per-check table; then, where the shared corpora hold it, the
tone check on the Stanford Politeness Corpus (the paper's convention: bottom quartile of the normalised
score per community is impolite, top quartile polite, the middle half left out); then one line of JSON:
{"n_drafts", "checks": {check: {"precision", "recall"}}, "p50_ms", "p95_ms"}. No Django setup.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from answerable.coach.checks import CHECKS, check_draft
from answerable.lib.corpora import corpora_dir

OWN = Path(__file__).resolve().parents[1] / "answerable" / "coach" / "tests" / "data" / "coach.jsonl"


def default_data() -> Path | None:
    if OWN.is_file():
        return OWN
    base = corpora_dir()
    if base is not None:
        shared = base.parent / "eval" / "coach.dev.jsonl"
        if shared.is_file():
            return shared
    return None


def load_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def evaluate(rows: list[dict]) -> dict:
    """Per-check counts and scores, and latency per draft (after one warm-up call)."""
    if rows:
        check_draft(rows[0]["draft"], rows[0]["thread"])  # warm-up: loads VADER, compiles regexes
    counts = {c: {"tp": 0, "fp": 0, "fn": 0} for c in CHECKS}
    times: list[float] = []
    per_row = []
    for row in rows:
        t0 = time.perf_counter()
        findings = check_draft(row["draft"], row["thread"], macros=row.get("macros", ()))
        times.append((time.perf_counter() - t0) * 1000)
        flagged = {f.check for f in findings}
        labels = set(row.get("labels", []))
        for c in CHECKS:
            if c in flagged and c in labels:
                counts[c]["tp"] += 1
            elif c in flagged:
                counts[c]["fp"] += 1
            elif c in labels:
                counts[c]["fn"] += 1
        per_row.append((row, flagged, labels, findings))
    scores = {}
    for c, k in counts.items():
        p = k["tp"] / (k["tp"] + k["fp"]) if k["tp"] + k["fp"] else 1.0
        r = k["tp"] / (k["tp"] + k["fn"]) if k["tp"] + k["fn"] else 1.0
        scores[c] = {"precision": round(p, 3), "recall": round(r, 3), **k}
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] if times else 0.0
    return {
        "n_drafts": len(rows),
        "scores": scores,
        "p50_ms": round(statistics.median(times), 2) if times else 0.0,
        "p95_ms": round(p95, 2),
        "rows": per_row,
    }


def politeness(folder: Path) -> dict[str, dict]:
    """The tone check against the politeness corpus: impolite requests should be flagged, polite ones not."""
    out = {}
    for path in sorted(folder.glob("*.annotated.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            rows = [(r["Request"], float(r["Normalized Score"])) for r in csv.DictReader(fh)]
        scores = sorted(score for _, score in rows)
        low, high = scores[len(scores) // 4], scores[(3 * len(scores)) // 4]
        k = {"tp": 0, "fp": 0, "fn": 0, "tn": 0}
        for text, score in rows:
            if low < score < high:
                continue  # the middle half: not rated clearly either way
            impolite = score <= low
            flagged = any(f.check == "tone" for f in check_draft(text, []))
            k[("tp" if flagged else "fn") if impolite else ("fp" if flagged else "tn")] += 1
        p = k["tp"] / (k["tp"] + k["fp"]) if k["tp"] + k["fp"] else 1.0
        r = k["tp"] / (k["tp"] + k["fn"]) if k["tp"] + k["fn"] else 1.0
        out[path.name.split(".")[0]] = {"precision": round(p, 3), "recall": round(r, 3), **k}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="labelled set (JSON lines)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list each miss and false positive")
    parser.add_argument("--no-politeness", action="store_true", help="skip the politeness corpus")
    args = parser.parse_args(argv)
    data = args.data or default_data()
    if data is None or not data.is_file():
        print(f"No labelled set at {data}", file=sys.stderr)
        return 2
    result = evaluate(load_rows(data))
    if args.verbose:
        for row, flagged, labels, findings in result["rows"]:
            for c in CHECKS:
                if c in labels and c not in flagged:
                    print(f"MISS {c:13} {row['id']}")
                elif c in flagged and c not in labels:
                    quotes = "; ".join(repr(f.quote[:80]) for f in findings if f.check == c)
                    print(f"FP   {c:13} {row['id']}: {quotes}")
        print()
    print(f"data: {data}")
    print(f"{'check':14} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for c, s in result["scores"].items():
        print(f"{c:14} {s['precision']:9.3f} {s['recall']:7.3f} {s['tp']:4d} {s['fp']:4d} {s['fn']:4d}")
    print(f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms over {result['n_drafts']} drafts")
    base = corpora_dir()
    if not args.no_politeness and base is not None and (base / "politeness").is_dir():
        print("\ntone on the Stanford Politeness Corpus (impolite = bottom quartile, polite = top quartile)")
        print(f"{'community':16} {'precision':>9} {'recall':>7} {'tp':>5} {'fp':>5} {'fn':>5} {'tn':>5}")
        for name, k in politeness(base / "politeness").items():
            print(
                f"{name:16} {k['precision']:9.3f} {k['recall']:7.3f} {k['tp']:5d} {k['fp']:5d} "
                f"{k['fn']:5d} {k['tn']:5d}"
            )
    summary = {
        "n_drafts": result["n_drafts"],
        "checks": {
            c: {"precision": s["precision"], "recall": s["recall"]} for c, s in result["scores"].items()
        },
        "p50_ms": result["p50_ms"],
        "p95_ms": result["p95_ms"],
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
