"""Pinyin keys: one spelling for homophones ("微信", "威信" and "wei xin" all give "weixin").

1. Normalise the text (``normalize``).
2. Each Han character → its toneless pinyin (pypinyin's most common reading, cached per
   character: the same reading for the claim and the post matters more than the right one).
3. Latin words that are pinyin ("wei", "weixin") count as pinyin too, so a word written in
   pinyin in a post meets the characters of the claim.
4. Spaces next to pinyin pieces are dropped (normalised Chinese has none); other text and
   the spaces between other words are kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rumordesk.text.confusables import HAN
from rumordesk.text.normalize import normalize

# Toneless Mandarin syllables (pypinyin's NORMAL style, ü written v), plus "lue"/"nue" as
# people type them. Interjections such as "m", "n", "hm" are left out: they would make
# too many Latin words look like pinyin.
SYLLABLES = frozenset(
    """a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai
    can cang cao ce cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua
    chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de
    dei den deng di dian diao die ding diu dong dou du duan dui dun duo e ei en eng er fa fan
    fang fei fen feng fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan
    guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui
    hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao
    ke ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei leng li
    lia lian liang liao lie lin ling liu lo long lou lu luan lue lun luo lv lve ma mai man mang
    mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao ne nei nen
    neng ni nian niang niao nie nin ning niu nong nou nu nuan nue nun nuo nv nve o ou pa pai
    pan pang pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie
    qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run
    ruo sa sai san sang sao se sen seng sha shai shan shang shao she shei shen sheng shi shou
    shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang
    tao te teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng
    wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi
    yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan
    zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi
    zong zou zu zuan zui zun zuo""".split()
)
_LONGEST = max(map(len, SYLLABLES))
_PIECE = re.compile(f"([{HAN}])|([a-z]+)|( )|([^{HAN}a-z ]+)")


@lru_cache(maxsize=1 << 16)
def pinyin_of(char: str) -> str:
    """Toneless pinyin of one Han character (the character itself when pypinyin has none)."""
    from pypinyin import Style, lazy_pinyin

    readings = lazy_pinyin(char, style=Style.NORMAL, errors="default")
    return readings[0] if readings else char


@lru_cache(maxsize=1 << 14)
def is_pinyin(word: str) -> bool:
    """Whether a Latin word splits entirely into pinyin syllables ("weixin" → wei + xin)."""
    reachable = [True] + [False] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - _LONGEST), end):
            if reachable[start] and word[start:end] in SYLLABLES:
                reachable[end] = True
                break
    return reachable[-1]


def pinyin_key(text: str) -> str:
    """Han characters → toneless pinyin; spaces next to pinyin dropped, the rest kept."""
    pieces: list[tuple[bool, str]] = []  # (is pinyin, text)
    for han, latin, space, other in _PIECE.findall(normalize(text)):
        if han:
            pieces.append((True, pinyin_of(han)))
        elif latin:
            pieces.append((is_pinyin(latin), latin))
        elif space:
            pieces.append((False, " "))
        else:
            pieces.append((False, other))
    out: list[str] = []
    for i, (_, piece) in enumerate(pieces):
        if piece == " " and 0 < i < len(pieces) - 1 and (pieces[i - 1][0] or pieces[i + 1][0]):
            continue  # "wei xin", "10 wan yuan rmb": the space only separates syllables
        out.append(piece)
    return "".join(out)
