"""Scoring of the promise extractor on a labelled set (format and rules: shared/eval/README.md).

A predicted promise matches a labelled one when their spans overlap by at least half of the shorter span's
characters; each labelled promise matches at most one prediction. Precision, recall and F1 are over
promises; `due_exact` is the share of matched promises whose due time equals the label to the minute in
local time (null equals null). No Django: bench/promises_eval.py and the tests both use this module.
"""

from __future__ import annotations

import json
import time as clock
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from answerable.promises.extract import FoundPromise, calendar_from_spec, extract


@dataclass(frozen=True)
class Label:
    span: str
    start: int  # -1 when the span is not in the text
    end: int
    due: datetime | None  # naive local


@dataclass
class RowResult:
    id: str
    text: str
    labels: list[Label]
    found: list[FoundPromise]
    pairs: list[tuple[int, int]]  # (label index, prediction index)
    ms: float

    @property
    def misses(self) -> list[Label]:
        matched = {li for li, _ in self.pairs}
        return [label for i, label in enumerate(self.labels) if i not in matched]

    @property
    def false_positives(self) -> list[FoundPromise]:
        matched = {pi for _, pi in self.pairs}
        return [p for i, p in enumerate(self.found) if i not in matched]

    def wrong_dues(self) -> list[tuple[Label, FoundPromise]]:
        return [
            (self.labels[li], self.found[pi])
            for li, pi in self.pairs
            if not due_equal(self.found[pi].due, self.labels[li].due)
        ]


@dataclass
class Scores:
    n_texts: int = 0
    n_labels: int = 0
    n_found: int = 0
    n_matched: int = 0
    n_due_right: int = 0
    timings_ms: list[float] = field(default_factory=list)
    rows: list[RowResult] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.n_matched / self.n_found if self.n_found else 1.0

    @property
    def recall(self) -> float:
        return self.n_matched / self.n_labels if self.n_labels else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def due_exact(self) -> float:
        return self.n_due_right / self.n_matched if self.n_matched else 1.0

    @property
    def p95_ms(self) -> float:
        if not self.timings_ms:
            return 0.0
        ordered = sorted(self.timings_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def summary(self) -> dict[str, float | int]:
        return {
            "n_texts": self.n_texts,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "due_exact": round(self.due_exact, 4),
            "p95_ms": round(self.p95_ms, 2),
        }


def load_rows(path: str | Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def _naive_minute(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(second=0, microsecond=0, tzinfo=None)


def due_equal(found: datetime | None, label: datetime | None) -> bool:
    """Equal to the minute in local time (the found due is in the calendar's zone); null equals null."""
    return _naive_minute(found) == _naive_minute(label)


def overlap_ok(a: tuple[int, int], b: tuple[int, int]) -> bool:
    if a[0] < 0 or b[0] < 0:
        return False
    inter = min(a[1], b[1]) - max(a[0], b[0])
    shorter = min(a[1] - a[0], b[1] - b[0])
    return shorter > 0 and inter * 2 >= shorter


def match(labels: list[Label], found: list[FoundPromise]) -> list[tuple[int, int]]:
    """Pairs (label, prediction): each prediction takes the unmatched label it overlaps most."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for pi, p in enumerate(found):
        best, best_overlap = -1, 0
        for li, label in enumerate(labels):
            if li in used or not overlap_ok((label.start, label.end), (p.start, p.end)):
                continue
            inter = min(label.end, p.end) - max(label.start, p.start)
            if inter > best_overlap:
                best, best_overlap = li, inter
        if best >= 0:
            used.add(best)
            pairs.append((best, pi))
    return pairs


def _labels(text: str, promises: Iterable[dict]) -> list[Label]:
    out = []
    for p in promises:
        span = p.get("span", "")
        start = text.find(span) if span else -1
        due = datetime.fromisoformat(p["due"]) if p.get("due") else None
        out.append(Label(span=span, start=start, end=start + len(span) if start >= 0 else -1, due=due))
    return out


def evaluate(
    rows: list[dict],
    extractor: Callable[..., list[FoundPromise]] = extract,
    *,
    warm_up: bool = True,
    repeats: int = 1,
) -> Scores:
    """Score `extractor` on `rows`. Each text is timed after a warm-up pass; with `repeats` > 1 its time is
    the best of that many runs, which keeps other processes' load out of the latency figure."""
    prepared = []
    for row in rows:
        tz = ZoneInfo(row["tz"])
        cal = calendar_from_spec(row["tz"], row["business_hours"])
        sent = datetime.fromisoformat(row["sent_at"]).replace(tzinfo=tz)
        prepared.append((row, cal, sent))
    if warm_up:
        for row, cal, sent in prepared:
            extractor(row["text"], sent_at=sent, calendar=cal)
    scores = Scores()
    for row, cal, sent in prepared:
        ms = float("inf")
        for _ in range(max(repeats, 1)):
            t0 = clock.perf_counter()
            found = extractor(row["text"], sent_at=sent, calendar=cal)
            ms = min(ms, (clock.perf_counter() - t0) * 1000)
        labels = _labels(row["text"], row.get("promises", []))
        pairs = match(labels, found)
        result = RowResult(
            id=str(row.get("id", "")), text=row["text"], labels=labels, found=found, pairs=pairs, ms=ms
        )
        scores.rows.append(result)
        scores.timings_ms.append(ms)
        scores.n_texts += 1
        scores.n_labels += len(labels)
        scores.n_found += len(found)
        scores.n_matched += len(pairs)
        scores.n_due_right += sum(1 for li, pi in pairs if due_equal(found[pi].due, labels[li].due))
    return scores
