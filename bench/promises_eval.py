"""Measure the promise extractor on a labelled set.

    python bench/promises_eval.py [--data PATH] [-v]

Default data: the project's own set, answerable/promises/tests/data/promises.jsonl. Prints a table, then
one line of JSON: {"n_texts", "precision", "recall", "f1", "due_exact", "p95_ms"}. No Django setup.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from answerable.promises.evaluation import evaluate, load_rows

DEFAULT = (
    Path(__file__).resolve().parents[1] / "answerable" / "promises" / "tests" / "data" / "promises.jsonl"
)


def _fmt_due(value) -> str:
    return "null" if value is None else value.strftime("%Y-%m-%d %H:%M")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT, help="labelled set (JSON lines)")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list each miss, false positive, wrong due"
    )
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"No labelled set at {args.data}", file=sys.stderr)
        return 2
    scores = evaluate(load_rows(args.data))

    if args.verbose:
        for row in scores.rows:
            for label in row.misses:
                print(f"MISS  {row.id}: {label.span!r} (due {_fmt_due(label.due)})")
            for p in row.false_positives:
                print(f"FP    {row.id}: {p.span!r} (time {p.time_text!r})")
            for label, p in row.wrong_dues():
                print(
                    f"DUE   {row.id}: {label.span!r}: found {_fmt_due(p.due)} from {p.time_text!r}, "
                    f"label {_fmt_due(label.due)}"
                )
        print()

    wrong = sum(len(r.wrong_dues()) for r in scores.rows)
    table = [
        ("data", str(args.data)),
        ("texts", scores.n_texts),
        ("labelled promises", scores.n_labels),
        ("found", scores.n_found),
        ("matched", scores.n_matched),
        ("missed", scores.n_labels - scores.n_matched),
        ("false positives", scores.n_found - scores.n_matched),
        ("wrong due (of matched)", wrong),
        ("precision", f"{scores.precision:.3f}"),
        ("recall", f"{scores.recall:.3f}"),
        ("F1", f"{scores.f1:.3f}"),
        ("due exact", f"{scores.due_exact:.3f}"),
        ("p95 ms per text", f"{scores.p95_ms:.2f}"),
    ]
    width = max(len(k) for k, _ in table)
    for key, value in table:
        print(f"{key:<{width}}  {value}")
    print(json.dumps(scores.summary()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
