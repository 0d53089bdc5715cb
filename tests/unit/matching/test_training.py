"""Training the re-ranker on a tiny labelled set, with and without an extra (Chinese) set."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

from rumordesk.matching.engine import Matcher, MatchQuery, Thresholds
from rumordesk.matching.records import records_from_claims_jsonl
from rumordesk.matching.reranker import Reranker
from rumordesk.matching.semantic import UseEncoder
from rumordesk.matching.training import read_pairs, train_reranker

EN_CLAIMS = [
    "5G towers spread the coronavirus to people nearby",
    "Drinking bleach cures COVID-19 infections",
    "The moon landing in 1969 was filmed in a Hollywood studio",
    "Bill Gates wants to put microchips in vaccines",
    "Eating garlic protects you from the flu",
    "The city water supply was poisoned last night",
]
ZH_CLAIMS = [
    "明天本市将发生8级大地震，请大家做好准备",
    "吃碘盐可以预防核辐射，大家赶紧去超市抢购",
    "新版假币又来了，千万不要上当，转给身边的朋友",
    "别用正在充电的手机接听电话，会爆炸",
    "某高校食堂门口发生凶杀案，男友留下遗书",
    "喝板蓝根可以预防禽流感，药店已经卖断货",
]


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return path


def _sets(tmp_path: Path) -> dict[str, Path]:
    en_posts = [f"Wow, look at this: {c.lower()}!! share it" for c in EN_CLAIMS]
    zh_posts = [f"转发：{c}，是真的吗？" for c in ZH_CLAIMS]
    zh_negatives = ["今天天气不错，出去走走", "哈哈哈哈笑死我了", "晚饭吃什么好呢", "支持一下"]
    return {
        "claims": _write(
            tmp_path / "claims.jsonl.gz",
            [{"id": f"en{i}", "text": t} for i, t in enumerate(EN_CLAIMS)],
        ),
        "pairs": _write(
            tmp_path / "pairs.jsonl.gz",
            [{"text": p, "claims": [f"en{i}"]} for i, p in enumerate(en_posts)],
        ),
        "zh_claims": _write(
            tmp_path / "zh-claims.jsonl.gz",
            [{"id": f"zh{i}", "text": t, "language": "zh"} for i, t in enumerate(ZH_CLAIMS)],
        ),
        "zh_pairs": _write(
            tmp_path / "zh-pairs.jsonl.gz",
            [{"text": p, "claims": [f"zh{i}"]} for i, p in enumerate(zh_posts)]
            + [{"text": t, "claims": []} for t in zh_negatives],
        ),
    }


def test_extra_set_is_read_trained_on_and_recorded(tmp_path: Path) -> None:
    sets = _sets(tmp_path)
    encoder = UseEncoder(threads=1)
    assert [gold for _, gold in read_pairs([sets["zh_pairs"]])][-1] == set()
    plain = train_reranker(sets["claims"], sets["pairs"], tmp_path / "a.json", encoder=encoder)
    both = train_reranker(
        sets["claims"],
        sets["pairs"],
        tmp_path / "b.json",
        encoder=encoder,
        zh_claims=sets["zh_claims"],
        zh_pairs=sets["zh_pairs"],
        zh_weight=0.5,
    )
    assert both.posts == plain.posts + 10
    assert both.positives == plain.positives + 6
    assert both.pairs > plain.pairs
    model = Reranker.load(tmp_path / "b.json")
    assert model.meta["trained_on"] == ["pairs.jsonl.gz", "zh-pairs.jsonl.gz"]
    assert model.meta["zh_weight"] == 0.5
    assert not np.allclose(model.hybrid.coef, Reranker.load(tmp_path / "a.json").hybrid.coef)
    # the trained model ranks a rewritten Chinese rumour's own claim first
    matcher = Matcher(thresholds=Thresholds(match=0.8, review=0.5), encoder=encoder, reranker=model)
    matcher.build(records_from_claims_jsonl(sets["zh_claims"]))
    top = matcher.match_many([MatchQuery("大家注意：明天本市将发生8级大地震，做好准备！")], top_k=1)
    assert top[0][0].claim_id == "zh0"
