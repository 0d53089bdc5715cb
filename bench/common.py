"""Shared helpers for the matching benchmarks: data location, readers, metrics, tables, memory."""

from __future__ import annotations

import gzip
import json
import os
import resource
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RUMORDESK_DATA_DIR", ROOT.parent / "shared" / "data"))
OUT = ROOT / "bench" / "out"


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a JSONL(.gz) file."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as stream:  # type: ignore[operator]
        for line in stream:
            if line.strip():
                yield json.loads(line)


def average_precision(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """AP@k as the CLEF CheckThat! scorer computes it (denominator: number of gold claims)."""
    if not gold:
        return 0.0
    hits, total = 0, 0.0
    for i, claim in enumerate(ranked[:k], start=1):
        if claim in gold:
            hits += 1
            total += hits / i
    return total / len(gold)


def recall_at(ranked: Sequence[str], gold: set[str], k: int) -> float:
    """Share of gold claims among the first ``k``."""
    return len(gold & set(ranked[:k])) / len(gold) if gold else 0.0


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Current resident memory of this process, in MiB (Linux)."""
    with open("/proc/self/statm") as stream:
        pages = int(stream.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (floats with 3 decimals)."""

    def cell(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
