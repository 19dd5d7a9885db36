"""Where the shared test corpora live: ../shared/corpora next to the checkout, or ANSWERABLE_CORPORA."""

import os
from pathlib import Path

_CANDIDATES = [
    os.environ.get("ANSWERABLE_CORPORA", ""),
    str(Path(__file__).resolve().parents[2].parent / "shared" / "corpora"),
    "/work/shared/corpora",
]


def corpora_dir() -> Path | None:
    for candidate in _CANDIDATES:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None
