"""Train the coach's tone model: TF-IDF over word 1-2 grams and a logistic regression, on labelled drafts.

    python bench/train_tone.py [--data PATH ...] [--out answerable/coach/data/tone_model.json]

Default training data: the shared dev set and our own set (`answerable/coach/tests/data/coach.jsonl`). The
held-out set (`coach.heldout.jsonl`) is never used here. Needs scikit-learn at training time only; the
model is written as JSON (vocabulary, idf, weights) and read by `answerable/coach/tone_model.py` in pure
Python, so the desk itself does not depend on scikit-learn.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from answerable.coach.checks import _body_span  # noqa: E402 -- the same body the check scores
from answerable.lib.corpora import corpora_dir  # noqa: E402

OUT = ROOT / "answerable" / "coach" / "data" / "tone_model.json"


def default_data() -> list[Path]:
    paths = [ROOT / "answerable" / "coach" / "tests" / "data" / "coach.jsonl"]
    base = corpora_dir()
    if base is not None and (base.parent / "eval" / "coach.dev.jsonl").is_file():
        paths.append(base.parent / "eval" / "coach.dev.jsonl")
    return paths


def main(argv: list[str] | None = None) -> int:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, action="append", help="labelled drafts (JSON lines)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    rows = []
    for path in args.data or default_data():
        if "heldout" in path.name:
            print(f"refusing to train on the held-out set {path}", file=sys.stderr)
            return 2
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [d[slice(*_body_span(d))] for d in (r["draft"] for r in rows)]
    labels = [int("tone" in r["labels"]) for r in rows]
    # Library defaults (C=1, threshold 0.5) with balanced classes: nothing tuned on any test set.
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000)
    features = vectorizer.fit_transform(texts)
    predicted = cross_val_predict(model, features, labels, cv=5)
    tp = sum(p and y for p, y in zip(predicted, labels, strict=True))
    fp = sum(p and not y for p, y in zip(predicted, labels, strict=True))
    fn = sum(y and not p for p, y in zip(predicted, labels, strict=True))
    print(
        f"{len(rows)} drafts, {sum(labels)} with tone; 5-fold cross-validation: "
        f"precision {tp / max(1, tp + fp):.3f}, recall {tp / max(1, tp + fn):.3f}"
    )
    model.fit(features, labels)
    vocabulary = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
    payload = {
        "about": "coach tone model: tf-idf (1-2 grams, sublinear tf, l2) + logistic regression; "
        "trained by bench/train_tone.py",
        "trained_on": sorted(p.name for p in (args.data or default_data())),
        "n_drafts": len(rows),
        "threshold": 0.5,
        "intercept": float(model.intercept_[0]),
        "terms": {t: [round(float(vectorizer.idf_[i]), 6), round(float(model.coef_[0][i]), 6)]
                  for t, i in sorted(vocabulary.items())},
    }  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {args.out} ({len(payload['terms'])} terms, {args.out.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
