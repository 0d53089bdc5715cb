"""Throughput of the text layer on real short posts: normalise, tokenise, shingle, pinyin.

Posts: the texts of Weibo reposts/comments and originals (weibo-ced) and English tweets
(clef2022-2a-en), de-duplicated so that every call misses the cache. One process, one core.
Run: `.venv/bin/python -m bench.bench_normalize [--posts 50000]`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from itertools import islice

from bench.common import DATA, read_jsonl
from rumordesk.text.normalize import STEPS, clear_cache, normalize, normalize_uncached
from rumordesk.text.tokens import char_shingles, pinyin_key, tokenize


def weibo_posts() -> Iterator[str]:
    """Original posts and the non-empty texts of their reposts and comments."""
    for event in read_jsonl(DATA / "weibo-ced" / "dev.jsonl.gz"):
        yield event["text"]
        for repost in event["reposts"]:
            if repost["text"]:
                yield repost["text"]


def tweets() -> Iterator[str]:
    """English tweets of the CLEF CheckThat! 2022 2A splits."""
    for split in ("train", "dev", "devtest"):
        for row in read_jsonl(DATA / "clef2022-2a-en" / f"{split}.jsonl.gz"):
            yield row["text"]


def rate(fn: Callable[[str], object], texts: list[str], *, cold: bool) -> float:
    """Calls per second over ``texts``; ``cold`` clears the normalise cache first."""
    if cold:
        clear_cache()
    start = time.perf_counter()
    for text in texts:
        fn(text)
    return len(texts) / (time.perf_counter() - start)


def step_rates(texts: list[str]) -> list[tuple[str, float]]:
    """Each step alone, fed the output of the steps before it (as in the pipeline)."""
    out = []
    current = texts
    for name, step in STEPS:
        start = time.perf_counter()
        current = [step(t) for t in current]
        out.append((name, len(texts) / (time.perf_counter() - start)))
    return out


def main() -> None:
    """Print posts per second for each function and each normalisation step."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=50_000, help="Chinese posts to time")
    args = parser.parse_args()
    chinese = list(dict.fromkeys(islice(weibo_posts(), args.posts * 2)))[: args.posts]
    english = list(dict.fromkeys(tweets()))
    normalize_uncached("預熱 warm-up")  # build the OpenCC converter outside the timing
    pinyin_key("预热")
    for label, texts in (("weibo (zh)", chinese), ("clef tweets (en)", english)):
        mean = sum(map(len, texts)) / len(texts)
        print(f"\n{label}: {len(texts):,} distinct posts, mean {mean:.0f} characters")
        print(f"  normalize, cache cold     {rate(normalize, texts, cold=True):>10,.0f} posts/s")
        print(f"  normalize, cache warm     {rate(normalize, texts, cold=False):>10,.0f} posts/s")
        print(f"  tokenize (cold)           {rate(tokenize, texts, cold=True):>10,.0f} posts/s")
        print(
            f"  char_shingles (cold)      {rate(char_shingles, texts, cold=True):>10,.0f} posts/s"
        )
        print(f"  pinyin_key (cold)         {rate(pinyin_key, texts, cold=True):>10,.0f} posts/s")
        for name, per_second in step_rates(texts):
            print(f"    step {name:<22}{per_second:>10,.0f} posts/s")


if __name__ == "__main__":
    main()
