"""The Mandarin syllable inventory, shared by the normaliser (pinyin with tone numbers) and the
pinyin keys (Latin words that are pinyin)."""

from __future__ import annotations

from functools import lru_cache

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
LONGEST = max(map(len, SYLLABLES))
_TONE_DIGITS = frozenset("12345")


@lru_cache(maxsize=1 << 14)
def without_tone_numbers(word: str) -> str | None:
    """The syllables of a pinyin word written with tone numbers, digits dropped ("hai3qu1",
    "ha3iqu1" → "haiqu"), or None when ``word`` is not one.

    Each syllable may carry one digit 1-5, after it (pypinyin's TONE3 style) or after the vowel
    that takes the tone (TONE2); at least one digit must be present, every digit must sit inside
    or right after a syllable, and at least one syllable must have two letters or more, so l33t
    words ("he11o", "v4ccine") and codes ("A4" paper, "O2O") never read as pinyin.
    """
    if not any(ch in _TONE_DIGITS for ch in word):
        return None
    n = len(word)
    # per position: reachable with only one-letter syllables so far (bit 1), or with a longer
    # one among them (bit 2)
    reach = [1] + [0] * n
    for start in range(n):
        if not reach[start] or not word[start].isalpha():
            continue
        digits = 0
        for end in range(start + 1, min(n, start + LONGEST + 1) + 1):
            ch = word[end - 1]
            if ch in _TONE_DIGITS:
                digits += 1
                if digits > 1:
                    break
            elif not ("a" <= ch <= "z"):
                break
            letters = word[start:end]
            if digits:
                letters = "".join(c for c in letters if c not in _TONE_DIGITS)
            if letters in SYLLABLES:
                reach[end] |= 2 if len(letters) > 1 else reach[start]
    if not reach[n] & 2:
        return None
    return "".join(ch for ch in word if ch not in _TONE_DIGITS)
