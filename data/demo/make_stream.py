"""Regenerate the demo stream (``stream.jsonl``) and its answer key (``stream_expected.json``).

The post texts below are written by hand; only the mechanical parts (repost cascades, exposures,
timestamps, follower counts) are drawn from a seeded random generator, so every run writes the
same files. Run from the repository root:

    .venv/bin/python data/demo/make_stream.py

1. Accounts: hand-named accounts on two demo platforms, plus a handful of accounts created on the
   morning of the demo day (the kind that amplify a new rumour).
2. Originals: ordinary posts, posts that repeat library claims in evasive spellings (each tied to
   the library claim it repeats, found by a distinctive phrase of its canonical text), and two
   debunk posts that mention a rumour without spreading it.
3. Cascades: reposts, comments, replies and quotes under several originals, some 3-4 levels deep.
4. The new rumour: one unsourced claim that is not in ``claims.jsonl`` and spreads fast
   (about 150 reposts and 200 exposures within 20 minutes of the original).
5. Exposures and searches; then the events are sorted by time, two replies are given a timestamp
   a few seconds before their parent's (clock skew, so the child arrives first) and one event is
   delivered twice (at-least-once redelivery).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
TZ = timezone(timedelta(hours=8))
DAY = datetime(2026, 11, 20, 8, 0, tzinfo=TZ)
WEIBO, FORUM = "demo-weibo", "demo-forum"
SEED = 20261120

# (platform, display name, followers, verified, created_at) — invented accounts.
ACCOUNTS: list[tuple[str, str, int, bool, str]] = [
    (WEIBO, "成都吃货小王", 2310, False, "2019-03-14T21:05:00+08:00"),
    (WEIBO, "城市早报", 1_250_000, True, "2012-06-01T09:00:00+08:00"),
    (WEIBO, "天气小助手", 86_400, True, "2015-04-22T08:30:00+08:00"),
    (WEIBO, "江城老张", 540, False, "2017-09-09T19:45:00+08:00"),
    (WEIBO, "阿杰爱跑步", 3120, False, "2018-11-02T07:10:00+08:00"),
    (WEIBO, "演示辟谣平台", 412_000, True, "2016-01-10T10:00:00+08:00"),
    (WEIBO, "宝妈日记_糖糖", 15_800, False, "2020-05-20T13:14:00+08:00"),
    (WEIBO, "老李说健康", 98_000, False, "2019-08-08T08:08:00+08:00"),
    (WEIBO, "理财达人Kevin", 45_600, False, "2021-02-03T22:00:00+08:00"),
    (WEIBO, "小区业主群搬运工", 7800, False, "2022-07-01T18:30:00+08:00"),
    (WEIBO, "夜猫子不睡觉", 260, False, "2023-01-15T02:11:00+08:00"),
    (WEIBO, "东湖边的猫", 1900, False, "2016-10-30T16:20:00+08:00"),
    (WEIBO, "地铁通勤日记", 620, False, "2021-09-01T07:40:00+08:00"),
    (WEIBO, "热点速递君", 203_000, False, "2018-04-04T12:00:00+08:00"),
    (WEIBO, "家有二宝", 4400, False, "2019-12-24T20:00:00+08:00"),
    (WEIBO, "摄影师老周", 33_000, True, "2014-05-05T09:30:00+08:00"),
    (WEIBO, "宁波本地通", 158_000, False, "2017-03-03T11:11:00+08:00"),
    (WEIBO, "镇海生活圈", 22_500, False, "2019-06-18T17:00:00+08:00"),
    (WEIBO, "海边的阿敏", 870, False, "2020-08-12T21:30:00+08:00"),
    (WEIBO, "退休教师王阿姨", 310, False, "2021-04-01T06:45:00+08:00"),
    (WEIBO, "程序员小林", 1150, False, "2018-02-14T23:50:00+08:00"),
    (WEIBO, "吃瓜群众007", 95, False, "2024-03-08T10:10:00+08:00"),
    (WEIBO, "奶茶续命中", 2040, False, "2022-01-01T00:01:00+08:00"),
    (WEIBO, "财经观察员", 310_000, True, "2013-07-07T08:00:00+08:00"),
    (WEIBO, "大学生活碎碎念", 1680, False, "2023-09-01T09:00:00+08:00"),
    (WEIBO, "健身教练Ada", 12_900, False, "2019-05-17T18:00:00+08:00"),
    (WEIBO, "市应急管理局（演示）", 520_000, True, "2015-12-01T09:00:00+08:00"),
    (WEIBO, "旅行的意义", 5600, False, "2018-06-06T15:00:00+08:00"),
    (WEIBO, "爱转发的刘姐", 730, False, "2020-02-29T20:20:00+08:00"),
    (WEIBO, "深夜食堂老板", 6100, False, "2017-11-11T23:00:00+08:00"),
    (WEIBO, "ChenYu_Daily", 2800, False, "2019-01-20T12:00:00+08:00"),
    (WEIBO, "MapleLeaf_Mo", 990, False, "2021-06-30T08:00:00+08:00"),
    (WEIBO, "sunny_hz", 1430, False, "2018-08-18T18:18:00+08:00"),
    (WEIBO, "小城故事多", 480, False, "2022-10-10T10:10:00+08:00"),
    (WEIBO, "数码控阿飞", 27_300, False, "2016-03-15T14:00:00+08:00"),
    (WEIBO, "养猫的程序媛", 3650, False, "2020-11-11T11:11:00+08:00"),
    (WEIBO, "西湖边散步", 210, False, "2023-05-05T05:05:00+08:00"),
    (WEIBO, "老王头条", 64_000, False, "2019-09-19T19:19:00+08:00"),
    (WEIBO, "GlobalNewsDemo", 880_000, True, "2011-11-11T09:00:00+08:00"),
    (WEIBO, "Ella_in_Sydney", 4100, False, "2017-02-02T10:00:00+08:00"),
    (WEIBO, "truthseeker_88", 2200, False, "2022-12-12T12:12:00+08:00"),
    (WEIBO, "MamaBear_Lu", 760, False, "2021-03-03T09:30:00+08:00"),
    (WEIBO, "crypto_moon_kid", 15_100, False, "2023-04-01T04:01:00+08:00"),
    (WEIBO, "Dr_Heidi_Talks", 41_000, True, "2016-09-09T09:09:00+08:00"),
    (WEIBO, "commuter_joe", 330, False, "2020-01-07T07:07:00+08:00"),
    (WEIBO, "Demo Fact Check Desk", 265_000, True, "2015-06-15T09:00:00+08:00"),
    (WEIBO, "weekend_hiker", 1280, False, "2019-10-01T08:00:00+08:00"),
    (WEIBO, "lazy_sunday_cat", 540, False, "2024-06-01T12:00:00+08:00"),
    (FORUM, "forum_老司机", 12_000, False, "2014-04-01T20:00:00+08:00"),
    (FORUM, "本地论坛版主", 45_000, True, "2012-02-02T10:00:00+08:00"),
    (FORUM, "潜水员阿强", 90, False, "2021-07-21T21:21:00+08:00"),
    (FORUM, "楼盘观察家", 3300, False, "2018-10-10T10:00:00+08:00"),
    (FORUM, "育儿交流_小雨", 1500, False, "2020-04-04T16:00:00+08:00"),
    (FORUM, "HomeBrewHank", 620, False, "2017-07-17T17:00:00+08:00"),
    (FORUM, "quiet_lurker", 35, False, "2022-08-08T08:08:00+08:00"),
    (FORUM, "gardening_grandma", 410, False, "2019-05-01T09:00:00+08:00"),
    (FORUM, "TechTalk_Ben", 8800, False, "2016-12-12T12:00:00+08:00"),
    (FORUM, "镇海老街坊", 260, False, "2020-09-09T19:00:00+08:00"),
]
FRESH_ACCOUNTS = 12  # created on the demo day, before 14:00; generic auto-generated names


@dataclass
class Stream:
    """Events under construction, with the seeded generator and id counters they share."""

    rng: random.Random
    events: list[dict[str, Any]] = field(default_factory=list)
    accounts: dict[str, tuple[str, int]] = field(
        default_factory=dict
    )  # id -> (platform, followers)
    next_post: int = 1

    def at(self, minutes: float) -> str:
        return (DAY + timedelta(minutes=minutes)).isoformat(timespec="seconds")

    def post(
        self,
        *,
        account: str,
        kind: str,
        minutes: float,
        text: str | None = None,
        parent: dict[str, Any] | None = None,
        group: str | None = None,
        images: list[str] | None = None,
        metrics: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        platform = self.accounts[account][0]
        event: dict[str, Any] = {
            "type": "post",
            "id": f"p-{self.next_post}",
            "platform": platform,
            "account": account,
            "kind": kind,
        }
        self.next_post += 1
        if parent is not None:
            event["parent_id"] = parent["id"]
            event["root_id"] = parent.get("root_id", parent["id"])
        if text:
            event["text"] = text
        if images:
            event["images"] = images
        event["created_at"] = self.at(minutes)
        if group:
            event["group_id"] = group
        if metrics:
            event["metrics"] = metrics
        self.events.append(event)
        return event

    def expose(self, post: dict[str, Any], account: str, action: str, minutes: float) -> None:
        self.events.append(
            {
                "type": "exposure",
                "platform": post["platform"],
                "account": account,
                "post_id": post["id"],
                "action": action,
                "at": self.at(minutes),
            }
        )

    def search(self, query: str, minutes: float, account: str | None = None) -> None:
        event: dict[str, Any] = {"type": "search", "platform": WEIBO}
        if account:
            event["account"] = account
        event.update(query=query, at=self.at(minutes))
        self.events.append(event)


def add_accounts(s: Stream) -> list[str]:
    """Write account events; return the ids of the accounts created on the demo day."""
    for n, (platform, name, followers, verified, created) in enumerate(ACCOUNTS, start=1):
        s.accounts[f"acc-{n}"] = (platform, followers)
        s.events.append(
            {
                "type": "account",
                "id": f"acc-{n}",
                "platform": platform,
                "name": name,
                "followers": followers,
                "verified": verified,
                "created_at": created,
            }
        )
    fresh = []
    for k in range(FRESH_ACCOUNTS):
        n = len(ACCOUNTS) + k + 1
        acc, followers = f"acc-{n}", s.rng.randrange(0, 12)
        s.accounts[acc] = (WEIBO, followers)
        s.events.append(
            {
                "type": "account",
                "id": acc,
                "platform": WEIBO,
                "name": f"用户{s.rng.getrandbits(28):07x}",
                "followers": followers,
                "verified": False,
                "created_at": s.at(-60 + 20 * k + s.rng.random()),
            }
        )
        fresh.append(acc)
    return fresh


class Original(NamedTuple):
    """A hand-written original post; ``claim`` is a distinctive phrase of the library claim it
    repeats (None for a post that repeats no claim)."""

    key: str
    account: int
    minute: float  # minutes after 08:00 on the demo day
    group: str | None
    claim: str | None
    text: str


ORIGINALS: list[Original] = [
    Original(
        "weather",
        3,
        5,
        None,
        None,
        "早上好！今天白天多云转晴，最高气温14℃，早晚温差大，出门记得加件外套。",
    ),
    Original(
        "commute", 13, 12, None, None, "地铁2号线今天早高峰人好多，挤了三趟才上去，打工人加油吧。"
    ),
    Original(
        "quake_trad",
        1,
        18,
        "g-1",
        "今晚凌晨2点至4点成都",
        "網傳今晚凌晨兩點到四點成都要發生七級以上地震！！地震局內部消息，大家今晚"
        "別睡覺，把車開到空曠的地方，轉給家人！",
    ),
    Original("breakfast", 30, 25, None, None, "今天的早餐：豆浆油条配小笼包，人间烟火气。"),
    Original(
        "bridge_symbols",
        4,
        31,
        "g-2",
        "武汉长江二桥",
        "武★汉★长★江★二★桥出现大裂缝！！已经封桥了，随时会塌，今天过江的一定绕行！！",
    ),
    Original(
        "wechat_zw",
        29,
        40,
        "g-3",
        "微信即将开始收费",
        "微\u200b信\u200b即\u200b将\u200b开\u200b始\u200b收\u200b费，每\u200b月3"
        "元，不\u200b转\u200b发\u200b这\u200b条\u200b的下周停止服务",
    ),
    Original(
        "marathon", 5, 44, None, None, "周末城市马拉松报名成功！配速目标5分30，有一起训练的吗？"
    ),
    Original(
        "la_leet",
        41,
        52,
        None,
        "magnitude 9 earthquake will hit Los Angeles",
        "URG3NT!!! m4gnitude 9 qu4ke will h1t Los Angeles this Friday at 3am, s3i"
        "smologists w4rn. Leave the city T0NIGHT",
    ),
    Original("cat", 36, 58, None, None, "我家猫今天学会了开抽屉，家里的零食已经不安全了。"),
    Original(
        "wechat_pinyin",
        22,
        66,
        "g-3",
        "微信即将开始收费",
        "wei xin要收费了，每个月3块钱，tx官方说的，不转发到十个群的下周就停用，大家赶紧转",
    ),
    Original(
        "debunk_quake",
        6,
        70,
        None,
        None,
        '【辟谣】网传"今晚成都将发生7级以上地震"系谣言。地震部门从未发布此类预'
        "测，目前科学水平无法精确预报地震的时间和地点，请勿转发。",
    ),
    Original(
        "birdflu_emoji",
        10,
        78,
        "g-4",
        "禽流感人传人",
        "🐔禽🐔流🐔感🐔人传人了😱死亡率60%！市场上的鸡肉鸡蛋千万别买，医院已经隔离了上百人",
    ),
    Original("lunch", 23, 85, None, None, "公司楼下新开的麻辣烫还不错，就是排队太久了。"),
    Original(
        "5g_fullwidth",
        38,
        92,
        "g-4",
        "5G基站的辐射会破坏人体免疫系统",
        "５Ｇ基站的辐射会破坏人体免疫系统！！住在基站旁边的人更容易得病，我们小区"
        "已经联名要求拆除了",
    ),
    Original(
        "flu_vax_en",
        42,
        101,
        None,
        "flu vaccine contains microchips",
        "The new ｆｌｕ ｖａｃｃｉｎｅ contains micro\u200bchips so the govern"
        "\u200bment can track where you go. Do your own research!!",
    ),
    Original(
        "traffic_notice",
        27,
        108,
        None,
        None,
        "【提示】今日10时至16时，滨江路部分路段因管线施工实行半幅通行，请过往车辆减速慢行。",
    ),
    Original(
        "kidnap_comment",
        15,
        115,
        "g-1",
        "拍一下肩膀孩子就会",
        "转发扩散！！！最近有一伙人开面包车在小区门口用迷药拐卖儿童，拍一下肩膀孩"
        "子就会跟着走，已经有好几个孩子被拐了！家长一定看好孩子，转发就是功德！",
    ),
    Original(
        "gas_spaced",
        45,
        122,
        None,
        "HIV-infected blood on gas pump",
        "P O L I C E   W A R N I N G: a gang is putting H I V needles on g a s p "
        "u m p handles in Chicago. Check before you pump!",
    ),
    Original("photo", 16, 130, None, None, "今天在江边拍到的晚霞，随手一拍都是壁纸。"),
    Original(
        "rabies_homophone",
        14,
        138,
        "g-2",
        "本市狂犬病疫苗全部是假疫苗",
        "内部消息：本市狂犬病意苗全部是假意苗，最近被狗咬了的打了也白打，要去外地重新打！",
    ),
    Original(
        "pork_pinyin",
        9,
        146,
        None,
        "猪肉价格下周将暴涨",
        "zhu rou价格下周要暴涨到每斤80元，养殖户都在压栏，赶紧去超市囤肉，冰箱装满！",
    ),
    Original(
        "forum_housing",
        52,
        150,
        None,
        None,
        "新区那几个楼盘最近降价了吗？想趁年底看看房，有了解的朋友说说。",
    ),
    Original(
        "liquor_paraphrase",
        20,
        158,
        "g-1",
        "喝高度白酒可以杀死",
        "听老同事说每天喝二两高度白酒就能把身体里的病毒杀死，一冬天都不会得流感，比打疫苗还好使。",
    ),
    Original(
        "cape_town_share",
        43,
        166,
        None,
        "Cape Town say the city's water will run out",
        "SHARE BEFORE THEY DELETE THIS ⚠️⚠️ Cape Town's water will run out comple"
        "tely next week and taps get switched off for everyone. Fill every bottle"
        " you have!",
    ),
    Original(
        "forum_parenting",
        53,
        172,
        None,
        None,
        "孩子最近总是咳嗽，去医院查了是支原体，有没有家长分享一下怎么护理的？",
    ),
    Original(
        "metro_split",
        34,
        181,
        None,
        "地鐵3號線今早發生毒氣洩漏",
        "广 州 地 铁 3 号 线今早毒气泄漏，好多乘客当场晕倒，已经全线停运了，赶紧换别的交通！",
    ),
    Original(
        "debunk_en",
        46,
        188,
        None,
        None,
        "FACT CHECK: No, seismologists have not predicted a magnitude 9 earthquak"
        "e in Los Angeles this Friday. Earthquakes cannot be predicted to the day"
        ".",
    ),
    Original(
        "shark_emoji",
        40,
        196,
        None,
        "shark attack killed three swimmers",
        "🦈🦈 Three swimmers killed by a shark at Bondi this morning 🦈 beach is "
        "closed for the whole summer 😢 stay out of the water",
    ),
    Original(
        "hiking",
        47,
        203,
        None,
        None,
        "Great hike up the ridge this morning, the leaves are finally turning.",
    ),
    Original("forum_tech", 49, 208, None, None, "有人在用新出的那款路由器吗？信号穿墙怎么样？"),
    Original("coffee", 31, 214, None, None, "Monday mood: third coffee and it's only 11:30."),
    Original(
        "forum_garden",
        56,
        220,
        None,
        None,
        "Tomatoes still ripening in November, anyone else's garden confused by this weather?",
    ),
    Original("concert", 25, 228, None, None, "周末的音乐节阵容出来了，有人一起去吗？"),
    Original(
        "forum_brew",
        54,
        236,
        None,
        None,
        "First batch of cider this autumn, pressed from the neighbour's apples.",
    ),
    Original(
        "puppy", 32, 244, None, None, "Adopted a puppy from the shelter today! Meet Biscuit 🐶"
    ),
    Original(
        "finance_talk",
        24,
        250,
        None,
        None,
        "年底了，大家的理财收益怎么样？我今年就是跑赢了通胀而已。",
    ),
    Original("rainy", 33, 258, None, None, "下午好像要下雨，没带伞的朋友注意了。"),
    Original(
        "forum_lurker",
        55,
        262,
        None,
        None,
        "Long-time reader, first post. Does anyone know when the library reopens "
        "after the renovation?",
    ),
]


def link_claims(claims_path: Path) -> dict[str, str]:
    """Map each distinctive claim phrase used above to the external id of the claim it names."""
    claims = [json.loads(line) for line in claims_path.open(encoding="utf-8") if line.strip()]
    found: dict[str, str] = {}
    for original in ORIGINALS:
        phrase = original.claim
        if phrase is None or phrase in found:
            continue
        hits = [c["external_id"] for c in claims if phrase in c["canonical_text"]]
        if len(hits) != 1:
            raise SystemExit(f"claim phrase {phrase!r} names {len(hits)} claims, expected one")
        found[phrase] = hits[0]
    return found


def cascade(
    s: Stream,
    root: dict[str, Any],
    start: float,
    size: int,
    depth: int,
    comments: list[str],
    pool: list[str],
) -> list[dict[str, Any]]:
    """Grow a repost/comment tree under ``root`` over the next hours, ``depth`` levels at most."""
    nodes: list[tuple[dict[str, Any], int, float]] = [(root, 0, start)]
    made = []
    for _ in range(size):
        parent, level, t = s.rng.choice([n for n in nodes if n[1] < depth])
        when = t + s.rng.uniform(1, 40)
        author = s.rng.choice([a for a in pool if a != parent["account"]])
        roll = s.rng.random()
        if parent["kind"] in ("comment", "reply"):
            node = s.post(
                account=author,
                kind="reply",
                minutes=when,
                parent=parent,
                text=s.rng.choice(comments),
            )
        elif roll < 0.55:
            node = s.post(account=author, kind="repost", minutes=when, parent=parent)
        elif roll < 0.85:
            node = s.post(
                account=author,
                kind="comment",
                minutes=when,
                parent=parent,
                text=s.rng.choice(comments),
            )
        else:
            node = s.post(
                account=author,
                kind="quote",
                minutes=when,
                parent=parent,
                text=s.rng.choice(comments),
            )
        nodes.append((node, level + 1, when))
        made.append(node)
    return made


ZH_COMMENTS = [
    "真的假的？",
    "已转给家里人",
    "有官方消息吗",
    "吓死了",
    "求证一下",
    "别乱传，等通报",
    "我朋友也这么说",
    "看到好几个群在转",
    "转发扩散",
    "不信谣不传谣",
    "楼主有来源吗",
    "太可怕了",
    "坐标本地，没听说啊",
    "收到",
]
EN_COMMENTS = [
    "Is this real??",
    "Source?",
    "Sharing with my family",
    "This sounds like a hoax",
    "omg",
    "Stay safe everyone",
    "Already debunked I think",
    "Wow",
    "Passing this on",
    "Anyone confirm?",
]

RUMOUR_TEXT = (
    "紧急扩散！宁波镇海区蛟川街道一家化工厂凌晨发生氯气泄漏，已经有人中毒昏迷送医，"
    "附近几个小区的人都跑了，镇海的朋友赶紧关窗别出门！！"
)
RUMOUR_ECHOES = {
    # independent copies of the new rumour (not reposts) on both platforms
    "forum": (
        "镇海那边是不是氯气泄漏了？朋友圈都在传蛟川街道化工厂出事，有人中毒，有本地的吗？",
        58,
    ),
    "weibo": ("镇海蛟川街道化工厂氯气泄漏！！我同事住附近，说空气里一股刺鼻味，已经有人送医了", 17),
}
RUMOUR_REPOSTS = [
    "转发扩散",
    "镇海的朋友注意安全！",
    "天哪",
    "真的吗？有没有官方消息",
    "//转",
    "我家就在附近，好怕",
    "赶紧关窗",
    "求辟谣或者证实",
    "已经闻到味道了？？",
    "",
]


def add_new_rumour(s: Stream, fresh: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The fast-spreading, unsourced rumour: ~150 reposts and ~200 exposures in ~20 minutes."""
    t0 = 6 * 60 + 2  # 14:02
    weibo_pool = [a for a, (p, _) in s.accounts.items() if p == WEIBO and a != "acc-18"]
    root = s.post(
        account="acc-18",
        kind="original",
        minutes=t0,
        text=RUMOUR_TEXT,
        group="g-5",
        images=["https://img.example.com/demo/zh-smoke-0421.jpg"],
        metrics={"followers": 22_500, "reposts": 150, "likes": 318, "views": 40_200},
    )
    # Early amplification by the accounts created this morning, then the crowd joins in.
    nodes = [root]
    reposts = []
    for k in range(150):
        minutes = t0 + 0.4 + 19.5 * (k / 150) ** 0.8 + s.rng.uniform(0, 0.2)
        author = fresh[k % len(fresh)] if k < 24 else s.rng.choice(weibo_pool)
        parent = root if s.rng.random() < 0.55 else s.rng.choice(nodes)
        text = s.rng.choice(RUMOUR_REPOSTS) if s.rng.random() < 0.45 else ""
        node = s.post(
            account=author, kind="repost", minutes=minutes, parent=parent, text=text or None
        )
        nodes.append(node)
        reposts.append(node)
    for text_key, (text, acc) in RUMOUR_ECHOES.items():
        s.post(
            account=f"acc-{acc}",
            kind="original",
            minutes=t0 + (7 if text_key == "forum" else 11),
            text=text,
        )
    for _ in range(12):
        minutes = t0 + 1 + s.rng.uniform(0, 22)
        s.post(
            account=s.rng.choice(weibo_pool),
            kind="comment",
            minutes=minutes,
            parent=root,
            text=s.rng.choice(
                [
                    "有没有人核实一下？",
                    "官方怎么还不出来说话",
                    "是真的吗，我在镇海没闻到",
                    "这种消息等通报吧",
                    "转给家人了",
                    "哪个小区？",
                ]
            ),
        )
    viewers = [a for a, (p, _) in s.accounts.items() if p == WEIBO]
    for k in range(200):
        minutes = t0 + 0.5 + 20 * (k / 200) ** 0.9 + s.rng.uniform(0, 0.3)
        action = s.rng.choices(["view", "like", "share", "comment"], weights=[70, 15, 10, 5])[0]
        target = root if s.rng.random() < 0.7 else s.rng.choice(reposts)
        s.expose(target, s.rng.choice(viewers), action, minutes)
    return root, reposts


def build(claims_path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """All events, sorted by time, and the answer key for tests and the demo walkthrough."""
    s = Stream(rng=random.Random(SEED))
    fresh = add_accounts(s)
    phrases = link_claims(claims_path)
    originals: dict[str, dict[str, Any]] = {}
    expected_matches: dict[str, str] = {}
    for key, acc, minutes, group, phrase, text in ORIGINALS:
        account = f"acc-{acc}"
        followers = s.accounts[account][1]
        metrics = {
            "followers": followers,
            "reposts": 0,
            "likes": s.rng.randrange(0, 60),
            "views": s.rng.randrange(50, 4000),
        }
        images = (
            [f"https://img.example.com/demo/{key}.jpg"]
            if key in {"cat", "photo", "puppy", "bridge_symbols"}
            else None
        )
        post = s.post(
            account=account,
            kind="original",
            minutes=minutes,
            text=text,
            group=group,
            images=images,
            metrics=metrics,
        )
        originals[key] = post
        if phrase is not None:
            expected_matches[post["id"]] = phrases[phrase]
    zh_pool = [a for a, (p, _) in s.accounts.items() if p == WEIBO][:30]
    en_pool = [a for a, (p, _) in s.accounts.items() if p == WEIBO][29:48]
    forum_pool = [a for a, (p, _) in s.accounts.items() if p == FORUM]
    plan = [
        ("quake_trad", 22, 4, ZH_COMMENTS, zh_pool),
        ("kidnap_comment", 18, 3, ZH_COMMENTS, zh_pool),
        ("birdflu_emoji", 12, 3, ZH_COMMENTS, zh_pool),
        ("la_leet", 12, 4, EN_COMMENTS, en_pool),
        ("wechat_zw", 8, 2, ZH_COMMENTS, zh_pool),
        ("marathon", 5, 2, ZH_COMMENTS, zh_pool),
        ("forum_housing", 6, 3, ZH_COMMENTS, forum_pool),
        ("shark_emoji", 7, 3, EN_COMMENTS, en_pool),
        ("debunk_quake", 6, 2, ZH_COMMENTS, zh_pool),
    ]
    cascades: dict[str, list[dict[str, Any]]] = {}
    for key, size, depth, comments, pool in plan:
        root = originals[key]
        start = (datetime.fromisoformat(root["created_at"]) - DAY).total_seconds() / 60
        cascades[key] = cascade(s, root, start, size, depth, comments, pool)
        root["metrics"]["reposts"] = sum(1 for n in cascades[key] if n["kind"] == "repost")
    rumour_root, _ = add_new_rumour(s, fresh)
    exposed = [
        "quake_trad",
        "kidnap_comment",
        "birdflu_emoji",
        "wechat_zw",
        "la_leet",
        "weather",
        "liquor_paraphrase",
        "pork_pinyin",
    ]
    for key in exposed:
        post = originals[key]
        start = (datetime.fromisoformat(post["created_at"]) - DAY).total_seconds() / 60
        same = [a for a, (p, _) in s.accounts.items() if p == post["platform"]]
        for _ in range(10):
            s.expose(
                post,
                s.rng.choice(same),
                s.rng.choices(["view", "like", "share"], [8, 2, 1])[0],
                start + s.rng.uniform(1, 180),
            )
    searches = [
        ("成都 今晚 地震", 60, "acc-7"),
        ("成都地震是真的吗", 75, None),
        ("wei xin shou fei", 90, "acc-11"),
        ("微信收费 每月3元", 95, "acc-20"),
        ("LA earthquake friday", 110, "acc-42"),
        ("flu vaccine microchip", 125, None),
        ("拍肩 迷药 拐卖", 140, "acc-15"),
        ("今天天气", 150, "acc-13"),
        ("马拉松 报名", 160, None),
        ("火锅 推荐", 200, "acc-23"),
        ("镇海 氯气泄漏", 6 * 60 + 9, "acc-19"),
        ("宁波镇海化工厂", 6 * 60 + 12, None),
        ("镇海 泄漏 是真的吗", 6 * 60 + 16, "acc-37"),
        ("puppy training tips", 250, "acc-32"),
        ("猪肉价格", 170, "acc-20"),
    ]
    for query, minute, searcher in searches:
        s.search(query, minute, searcher)
    events = sorted(s.events, key=lambda e: e.get("created_at") or e["at"])
    events = skew_two_replies(events, cascades)
    events = redeliver_once(events, originals["wechat_pinyin"])
    answers = {
        "new_rumour_root": rumour_root["id"],
        "expected_matches": expected_matches,
        "debunk_posts": [originals["debunk_quake"]["id"], originals["debunk_en"]["id"]],
        "out_of_order_posts": [e["id"] for e in events if e.get("_skewed")],
        "duplicate_post": originals["wechat_pinyin"]["id"],
    }
    for e in events:
        e.pop("_skewed", None)
    return events, answers


def skew_two_replies(
    events: list[dict[str, Any]],
    cascades: dict[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Give two children a timestamp just before their parent's, so they arrive first."""
    by_id = {e["id"]: e for e in events if e["type"] == "post"}
    picked = 0
    for key in ("quake_trad", "la_leet"):
        for node in cascades[key]:
            parent = by_id[node["parent_id"]]
            if parent["kind"] != "original" and picked < 2:
                moved = datetime.fromisoformat(parent["created_at"]) - timedelta(seconds=7)
                node["created_at"] = moved.isoformat(timespec="seconds")
                node["_skewed"] = True
                picked += 1
                break
    return sorted(events, key=lambda e: e.get("created_at") or e["at"])


def redeliver_once(events: list[dict[str, Any]], post: dict[str, Any]) -> list[dict[str, Any]]:
    """Insert an identical copy of ``post`` a few events later (same timestamp order kept)."""
    index = events.index(post)
    copy = dict(post)
    copy["metrics"] = dict(post["metrics"])
    later = index + 1
    while (
        later < len(events)
        and (events[later].get("created_at") or events[later]["at"]) == (post["created_at"])
    ):
        later += 1
    events.insert(later, copy)
    return events


def main() -> None:
    events, answers = build(HERE / "claims.jsonl")
    with (HERE / "stream.jsonl").open("w", encoding="utf-8") as fh:
        for event in events:
            fh.write(json.dumps(event, ensure_ascii=False) + "\n")
    (HERE / "stream_expected.json").write_text(
        json.dumps(answers, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(
        f"{len(events)} events; new rumour root {answers['new_rumour_root']}; "
        f"{len(answers['expected_matches'])} posts repeat library claims"
    )


if __name__ == "__main__":
    main()
