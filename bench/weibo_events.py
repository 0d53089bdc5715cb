"""Convert the Weibo CED data set (../shared/data/weibo-ced) into rumordesk's event contract.

Each CED line (one rumour or non-rumour with its repost/comment tree) becomes: an account event
for the original author, the original post, then one ``repost`` per repost/comment (CED does not
tell them apart), ordered by time. Dates are ``YYYY-MM-DD HH:MM:SS`` in UTC+8, or ``MM月DD日
HH:MM`` with the year implied by the original post (rolled over when the date would precede it).
A repost whose parent is missing from the crawl keeps its parent id (the parent never arrives),
with ``root_id`` set to the original. CED has no account ids for original authors: one is made
from the event id.

    .venv/bin/python bench/weibo_events.py --limit 100 -o /tmp/weibo.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

CST = timezone(timedelta(hours=8))
FULL = re.compile(r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$")
SHORT = re.compile(r"^(\d{1,2})月(\d{1,2})日 (\d\d):(\d\d)$")
PLATFORM = "weibo"


def data_dir() -> Path:
    """The shared evaluation data (RUMORDESK_DATA_DIR overrides)."""
    env = os.environ.get("RUMORDESK_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


def parse_date(text: str, original: datetime) -> datetime:
    """A CED date as an aware datetime (UTC+8), the year implied by the original post."""
    if m := FULL.match(text):
        return datetime(*map(int, m.groups()), tzinfo=CST)  # type: ignore[misc]
    if m := SHORT.match(text):
        month, day, hour, minute = map(int, m.groups())
        local = original.astimezone(CST)
        when = datetime(local.year, month, day, hour, minute, tzinfo=CST)
        return when.replace(year=local.year + 1) if when < local - timedelta(days=2) else when
    return original


def original_time(value: Any) -> datetime:
    """CED gives epoch seconds, or for some records Weibo's 'Wed Aug 08 13:25:02 +0800 2012'."""
    if isinstance(value, int | float) or str(value).isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    return datetime.strptime(str(value), "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)


def convert(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The events of one CED record, original first, reposts by time."""
    root = record["id"].split("_")[1] if record["id"].count("_") >= 2 else record["id"]
    created = original_time(record["time"])
    user = record.get("user") if isinstance(record.get("user"), dict) else {}
    author = f"author-{record['id']}"
    yield {
        "type": "account",
        "id": author,
        "platform": PLATFORM,
        "followers": user.get("followers"),
        "verified": bool(user.get("verified")),
    }
    yield {
        "type": "post",
        "id": root,
        "platform": PLATFORM,
        "account": author,
        "kind": "original",
        "text": record.get("text") or None,
        "created_at": created.isoformat(),
        "group_id": record.get("label"),
        "metrics": {"followers": user.get("followers"), "reposts": record.get("reposts_count")},
    }
    reposts = []
    for r in record.get("reposts") or []:
        reposts.append((parse_date(r.get("date") or "", created), r))
    reposts.sort(key=lambda pair: pair[0])
    for when, r in reposts:
        event = {
            "type": "post",
            "id": r["mid"],
            "platform": PLATFORM,
            "account": str(r["uid"]),
            "kind": "repost",
            "parent_id": r.get("parent") or root,
            "root_id": root,
            "created_at": when.isoformat(),
        }
        if r.get("text"):
            event["text"] = r["text"]
        yield event


def events(path: Path | None = None, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Events of the first ``limit`` CED records (all when None)."""
    path = path or data_dir() / "weibo-ced" / "dev.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if limit is not None and number >= limit:
                return
            yield from convert(json.loads(line))


def main() -> None:
    """Write the converted events as JSONL."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="CED records to convert")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    count = 0
    with args.output.open("w", encoding="utf-8") as out:
        for event in events(limit=args.limit):
            out.write(json.dumps(event, ensure_ascii=False) + "\n")
            count += 1
    print(f"{count} events -> {args.output}")


if __name__ == "__main__":
    main()
