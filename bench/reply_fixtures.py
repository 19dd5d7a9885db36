"""Reply separator benchmark: answerable.mail.reply_text against the fixtures of five open-source parsers.

    .venv/bin/python bench/reply_fixtures.py            # share of rows right, per source and overall
    .venv/bin/python bench/reply_fixtures.py -v         # and every failure with a short diff
    .venv/bin/python bench/reply_fixtures.py --file crisp__email_1.txt -v

The rows are ../shared/corpora/email/reply/expected.jsonl (see PROVENANCE.md beside it). Each row restates
what a source project's own test asserts, and is checked exactly as it says:

* `task` picks the part of the result: `reply` (quotes and signature removed: zapier, crisp) is
  `ReplyParts.reply`; `quote` (quotes removed, signature kept: talon's quotation tests) is
  `ReplyParts.body`; `signature` (talon's signature tests, with their `sender`) checks `reply` against
  `visible` and `signature` against the extracted signature.
* `visible` is compared after normalisation (CRLF/CR to LF, trailing whitespace of each line and of the
  whole removed), or with all whitespace removed when `match` is `ignore_whitespace`. For talon's
  `html_output` rows `visible` is the text content of the HTML the test expects: our parser returns
  text, so that text is what is compared.
* `must_contain` / `must_not_contain` / `nonempty` on the normalised reply; `quoted_must_contain` on the
  quoted part.
* `input`: `text` / `html` = the file as UTF-8; `eml_first_text_plain` = the first text/plain part of
  the message (the first text/html if there is none), transfer-decoded, as UTF-8; `raw_text` = the
  whole file as text.

The target is 95% of the rows. Exit status 1 below it. No Django is needed: the parser does not use it.
"""

import argparse
import difflib
import email
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from answerable.lib.corpora import corpora_dir  # noqa: E402
from answerable.mail.reply_text import ReplyParts, split_reply  # noqa: E402

TARGET = 0.95


@dataclass
class Result:
    row: dict
    ok: bool
    failures: list[str] = field(default_factory=list)
    got: str = ""
    expected: str = ""
    seconds: float = 0.0


def reply_dir() -> Path | None:
    corpora = corpora_dir()
    if corpora is None:
        return None
    path = corpora / "email" / "reply"
    return path if (path / "expected.jsonl").is_file() else None


def load_rows(folder: Path) -> list[dict]:
    with (folder / "expected.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def squash(text: str) -> str:
    return "".join(text.split())


def _first_part(msg: EmailMessage, content_type: str) -> str | None:
    for part in msg.walk():
        if part.get_content_type() == content_type and not part.is_multipart():
            payload = part.get_payload(decode=True)
            if payload is None:
                continue
            return payload.decode("utf-8", errors="replace")
    return None


def parser_input(row: dict, raw: bytes) -> tuple[str, str]:
    """(text, html) for the parser, built as the row's `input` says."""
    kind = row["input"]
    if kind == "text":
        return raw.decode("utf-8"), ""
    if kind == "html":
        return "", raw.decode("utf-8")
    if kind == "raw_text":
        return raw.decode("utf-8", errors="replace"), ""
    if kind == "eml_first_text_plain":
        msg = email.message_from_bytes(raw, policy=policy.default)
        text = _first_part(msg, "text/plain")
        if text is not None:
            return text, ""
        return "", _first_part(msg, "text/html") or ""
    raise ValueError(f"unknown input kind {kind!r}")


def check(row: dict, parts: ReplyParts) -> tuple[list[str], str, str]:
    """The criteria of the row that fail, and the (got, expected) texts for a diff."""
    failures: list[str] = []
    got = parts.body if row["task"] == "quote" else parts.reply
    expected = row.get("visible", "")
    compare = squash if row.get("match") == "ignore_whitespace" else normalise
    reply = normalise(got)
    if "visible" in row and compare(got) != compare(row["visible"]):
        failures.append("visible text differs")
    for needle in row.get("must_contain", []):
        if needle not in reply:
            failures.append(f"missing {needle!r}")
    for needle in row.get("must_not_contain", []):
        if needle in reply:
            failures.append(f"contains {needle!r}")
    if row.get("nonempty") and not reply:
        failures.append("empty reply")
    if "signature" in row and normalise(parts.signature) != normalise(row["signature"]):
        failures.append(f"signature {normalise(parts.signature)!r} != {normalise(row['signature'])!r}")
    for needle in row.get("quoted_must_contain", []):
        if needle not in parts.quoted:
            failures.append(f"quoted part lacks {needle!r}")
    return failures, got, expected


def run(folder: Path, only: str | None = None) -> list[Result]:
    results = []
    for row in load_rows(folder):
        if only and row["file"] != only:
            continue
        text, html = parser_input(row, (folder / row["file"]).read_bytes())
        start = time.perf_counter()
        parts = split_reply(text, html, sender=row.get("sender", ""))
        seconds = time.perf_counter() - start
        failures, got, expected = check(row, parts)
        results.append(Result(row, not failures, failures, got, expected, seconds))
    return results


def shares(results: list[Result]) -> dict[str, tuple[int, int]]:
    """{source: (right, total)} and "overall"."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in results:
        for key in (r.row["source"], "overall"):
            counts[key][0] += r.ok
            counts[key][1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def _diff(result: Result) -> str:
    if not result.expected:
        return "      got: " + repr(normalise(result.got)[:300])
    lines = difflib.unified_diff(
        normalise(result.expected).splitlines(),
        normalise(result.got).splitlines(),
        "expected",
        "got",
        lineterm="",
        n=1,
    )
    out = [f"      {line[:160]}" for line in lines]
    if len(out) > 30:
        out = [*out[:30], f"      ... {len(out) - 30} more diff lines"]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list the failures with a short diff")
    parser.add_argument("--file", help="only this fixture")
    args = parser.parse_args()
    folder = reply_dir()
    if folder is None:
        print("no corpus: ../shared/corpora/email/reply/expected.jsonl not found (set ANSWERABLE_CORPORA)")
        return 2
    results = run(folder, args.file)
    table = shares(results)
    for source in sorted(k for k in table if k != "overall"):
        right, total = table[source]
        print(f"{source:<10} {right:>4}/{total:<4} {right / total:7.1%}")
    right, total = table.get("overall", (0, 0))
    share = right / total if total else 0.0
    print(f"{'overall':<10} {right:>4}/{total:<4} {share:7.1%}   (target {TARGET:.0%})")
    times = sorted(r.seconds for r in results)
    if times:
        print(
            f"time per fixture: median {times[len(times) // 2] * 1e3:.3f} ms, "
            f"max {times[-1] * 1e3:.3f} ms, total {sum(times) * 1e3:.1f} ms"
        )
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"\n{len(failed)} failing rows" + ("" if args.verbose else " (-v to list them)"))
    if args.verbose:
        for r in failed:
            print(f"\n  {r.row['file']}  [{r.row['task']}/{r.row['basis']}]  " + "; ".join(r.failures))
            print(_diff(r))
    return 0 if share >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
