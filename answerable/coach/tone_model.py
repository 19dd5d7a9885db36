"""The coach's trained tone model, read from JSON and scored in pure Python (no scikit-learn at run time).

It reproduces scikit-learn's TfidfVectorizer (word 1-2 grams of `\\b\\w\\w+\\b` tokens, lower case, sublinear
tf, smooth idf, l2 norm) and a logistic regression; `bench/train_tone.py` writes the file.
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from itertools import pairwise
from pathlib import Path

MODEL = Path(__file__).with_name("data") / "tone_model.json"
# With balanced classes a text with almost no known words scores near 0.5 from the intercept alone: the
# model judges only a draft holding at least this many of its terms ("On it." holds three).
MIN_KNOWN_TERMS = 4
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


@cache
def _model() -> dict | None:  # loaded once per process
    try:
        return json.loads(MODEL.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def available() -> bool:
    return _model() is not None


def threshold() -> float:
    model = _model()
    return float(model["threshold"]) if model else 1.0


def score(text: str) -> float:
    """How likely `text` reads as hostile, sarcastic, blaming or condescending (0-1); 0 without a model."""
    model = _model()
    if model is None or not text.strip():
        return 0.0
    tokens = _TOKEN.findall(text.lower())
    counts: dict[str, int] = {}
    for gram in [*tokens, *(f"{a} {b}" for a, b in pairwise(tokens))]:
        counts[gram] = counts.get(gram, 0) + 1
    terms = model["terms"]
    weights = {g: (1 + math.log(n)) * terms[g][0] for g, n in counts.items() if g in terms}
    if len(weights) < MIN_KNOWN_TERMS:
        return 0.0
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    z = model["intercept"] + sum(w / norm * terms[g][1] for g, w in weights.items())
    return 1 / (1 + math.exp(-z))
