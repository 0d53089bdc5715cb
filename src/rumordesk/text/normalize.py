"""Normalise text so evasive spellings of a rumour look like the original.

The pipeline (``STEPS``, applied in order by ``normalize``):

1. ``fold_unicode``: NFKC (full-width → half-width, Kangxi radicals and compatibility
   ideographs → unified ones ⼈→人, circled/enclosed forms ①→1 ㊥→中, ligatures, math letters),
   zero-width and invisible characters removed (ZWSP/ZWNJ/ZWJ, BOM, soft hyphen, variation
   selectors, bidi controls, tag characters), casefold, then look-alike letters mapped to Latin
   (Cyrillic а, Greek ο, small capitals) and radical forms to characters (⺠→民); accents and
   tone marks on Latin letters dropped ("é"→e, pinyin "ǎ"→a).
2. ``strip_noise``: the attribution line of an embedded tweet ("— Name (@handle) date"), URLs
   and @mentions removed; #hashtag# markers dropped, their words kept;
   Weibo emoticon codes ("[蜡烛]", "[doge]": pictures when rendered) removed.
   Boilerplate such as "转发" or "扩散" stays: commentary is the matcher's business.
3. ``remove_padding``: symbols, emoji, punctuation and combining marks between characters
   vanish inside CJK ("地★震", "新.冠") and inside runs of single Latin characters ("f.a.k.e");
   elsewhere they become a space so words do not run together. Number separators ("9.0",
   "1,000", "8:30") stay; "@"/"$" inside a Latin word stay for step 5.
4. ``join_spaced``: whitespace collapsed; spaced-out runs of three or more single letters
   joined ("v a c c i n e"); spaces next to CJK characters removed ("地 震", "发生 7 级").
5. ``undo_leet``: digits and @/$ inside mostly-letter words read as letters ("v4cc1ne",
   "ch@t"); numbers such as "2024", "5g", "covid19" or "mp3" are left alone. In Chinese text,
   pinyin tone numbers go first ("hai3qu1" → "haiqu": ``syllables.without_tone_numbers``).
6. ``to_simplified``: traditional → simplified Chinese (OpenCC t2s, one lazy converter).
7. ``fold_cjk_lookalikes``: katakana look-alikes next to Chinese (ロ→口, エ→工) and characters
   written as components ("氵去"→法, "疒殳艹田"→疫苗).
8. ``collapse``: runs of 3+ identical characters → one ("太太太", "sooooo"), digits and Chinese
   zeros excepted ("1000", "二〇〇〇"); spaced letters that this exposes are joined again.

The steps are ordered so that one pass is enough: running the pipeline on its own output
changes nothing (``normalize`` is idempotent; property-tested on random and evasive text).
Results are cached: reposts repeat the same text, and the matcher calls ``normalize`` again
on text it has already normalised.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from typing import Protocol

from rumordesk.text.confusables import (
    HAN,
    INVISIBLE,
    JOINED,
    KATAKANA_LOOKALIKES,
    LATIN_LOOKALIKES,
    RADICALS,
    SPLITS,
)
from rumordesk.text.syllables import without_tone_numbers


def _accent_folds() -> dict[str, str]:
    """Latin letters with accents or tone marks → the bare letter ("é" → "e", pinyin "ǎ" → "a"):
    a poster drops or adds them at will, and pypinyin writes tones as marks by default."""
    folds = {}
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        parts = unicodedata.normalize("NFD", chr(cp))
        base, marks = parts[0], parts[1:]
        if marks and base.isascii() and base.isalpha() and all(map(unicodedata.combining, marks)):
            folds[chr(cp)] = base.lower()
    return folds


_FOLD = str.maketrans({**_accent_folds(), **LATIN_LOOKALIKES, **RADICALS})


def _ranges_class(codes: list[int]) -> str:
    """A regex character class of these code points, as ranges (``re`` scans a few ranges far
    faster than a class of hundreds of single characters)."""
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "[" + "".join(re.escape(chr(a)) + "-" + re.escape(chr(b)) for a, b in ranges) + "]"


# a text holding none of ``_FOLD``'s characters (most: curly quotes and dashes are not among
# them) is returned by ``translate`` as it is, and the search costs a seventh of the translation
_FOLDED_CHAR = re.compile(_ranges_class(list(_FOLD)))
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
_URL_CHARS = r"[a-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_URL = re.compile(
    rf"(?:https?://|www\.){_URL_CHARS}+"
    rf"|(?<![\w@.])(?:[a-z0-9-]+\.)+(?:com|cn|org|net|io|cc|me|info|co|gov|edu|tv|ly)"
    rf"(?![a-z0-9])(?:/{_URL_CHARS}*)?",
    re.IGNORECASE,
)
# every URL ``_URL`` matches contains one of these (a scheme, "www." or a known top-level domain)
_URL_HINT = re.compile(
    r"://|www\.|\.(?:com|cn|org|net|io|cc|me|info|co|gov|edu|tv|ly)(?![a-z0-9])", re.IGNORECASE
)
_MENTION = re.compile(r"(?<![a-z0-9])@[\w\-.]{1,30}")  # after 是 too; not in "ch@t"
_HASHTAG = re.compile(r"#([^#\n]{1,40})#")
# Weibo-style emoticon codes: [蜡烛] [哈哈] [doge] render as pictures, not words
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_ATTRIBUTION = re.compile(
    rf"\s*(?:[\u2014\u2013]|\s-{{1,2}})\s*[^\u2014\u2013\n]{{0,80}}?\(@\w{{1,30}}\)"
    rf"\s*(?:{_MONTH}\s+\d{{1,2}},\s*\d{{2,4}})?[\"'\u201d]*\s*$",
    re.IGNORECASE,
)
_EMOTICON = re.compile(r"\[(?:[\u4e00-\u9fff]{2,4}|[a-z]{2,8})\]")
_PADDING = re.compile(r"(?:[^\w\s]|_)+")
# the runs kept between the texts, split on a copy whose "_" are "\0" (a symbol): one character
# class repeated scans in a tight loop, where ``_PADDING``'s alternation took twice as long
_PADDING_SPLIT = re.compile(r"([^\w\s]+)")
_NUMBER_SEPARATOR = re.compile(r"[.,:]")
_JOINED_CHAR = re.compile(f"[{JOINED}]")
_HAN_CHAR = re.compile(f"[{HAN}]")
_JOINED_SPACE = re.compile(f"(?<=[{JOINED}]) | (?=[{JOINED}])")
_LETTER = "a-z\u00df-\u024f\u0370-\u03ff\u0400-\u04ff"
_SPACED_LETTERS = re.compile(f"(?<!\\S)[{_LETTER}](?: [{_LETTER}]){{2,}}(?!\\S)")
# in every run _SPACED_LETTERS finds ("x y z"): a cheap test before the full pattern
_SPACED_HINT = re.compile(f" [{_LETTER}] [{_LETTER}]")
_LEET_CHARS = "013457@$"
_LEET_WORD = re.compile(
    rf"(?<![a-z0-9@$])[a-z{_LEET_CHARS}]*[a-z][{_LEET_CHARS}]+[a-z][a-z{_LEET_CHARS}]*"
    r"(?![a-z0-9@$])"
)
_AT_DOLLAR_TOKEN = re.compile(r"[a-z0-9@$]*[@$][a-z0-9@$]*")
# a Latin word with a tone digit 1-5 in it or after it: pinyin written with tone numbers
_TONE_NUMBERED = re.compile(r"(?<![a-z0-9@$])[a-z][a-z1-5]*[1-5][a-z1-5]*(?![a-z0-9@$])")
_TONED_HINT = re.compile("[a-z][1-5]")
_LEET = {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_VOWELS = frozenset("aeiou")
_KATAKANA = "".join(KATAKANA_LOOKALIKES)
_KATAKANA_RUN = re.compile(f"(?<=[{HAN}])[{_KATAKANA}]+|[{_KATAKANA}]+(?=[{HAN}])")
_KATAKANA_TABLE = str.maketrans(KATAKANA_LOOKALIKES)
_SPLIT = re.compile("|".join(sorted(SPLITS, key=len, reverse=True)))
_REPEAT = re.compile(r"([^\d〇零])\1{2,}")  # zeros repeat in numbers: 二〇〇〇, 1000
_ANY_REPEAT = re.compile(r"(.)\1\1")  # a cheap test first: most texts repeat nothing
_SURROGATE = re.compile("[\ud800-\udfff]")
_ASCII_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_DIGITS = frozenset("0123456789")
_LEET_TOKEN_CHARS = _ASCII_ALNUM | {"@", "$"}  # what undo_leet may read as one word


class _Opencc(Protocol):
    def convert(self, text: str) -> str: ...


class _Converter:
    """OpenCC t2s, created once on first use; the lock keeps two threads from both building it."""

    _lock = threading.Lock()
    _cc: _Opencc | None = None

    @classmethod
    def get(cls) -> _Opencc:
        if cls._cc is None:
            with cls._lock:
                if cls._cc is None:
                    import opencc

                    cls._cc = opencc.OpenCC("t2s")
        return cls._cc


def fold_unicode(text: str) -> str:
    """Step 1: NFKC, invisible characters removed, casefold, look-alikes mapped."""
    if text.isascii():
        return text.lower()  # NFKC leaves ASCII alone, and casefold is lower on it
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    if text.isascii():
        return text
    # casefold can undo NFKC ("ǰ" → j + combining caron), hence the second pass
    text = unicodedata.normalize("NFKC", text)
    return text.translate(_FOLD) if _FOLDED_CHAR.search(text) else text


def strip_attribution(text: str) -> str:
    """Drop the "— Name (@handle) Month D, YYYY" line that ends a tweet copied from its embed:
    it names who posted, not what is claimed (and a handle such as @AtheistBigfoot would
    otherwise match claims about Bigfoot)."""
    if "(@" not in text:
        return text
    # The line ends the text, so its "(@handle)" is the last "(@"; its dash stands at most 80
    # characters (and a run of whitespace) before that. The pattern runs from there, not
    # from every position of the text; a match found is widened over the whitespace before it,
    # which the pattern's leading ``\s*`` would have taken: the result is ``_ATTRIBUTION.sub``'s.
    at = text.rfind("(@")
    low = max(0, at - 80)
    while low > 0 and text[low - 1].isspace():
        low -= 1
    found = _ATTRIBUTION.search(text, max(0, low - 3))  # the dash itself: "—" up to " --"
    if found is None:
        return text
    start = found.start()
    while start > 0 and text[start - 1].isspace():
        start -= 1
    return text[:start] + text[found.end() :]


def strip_urls(text: str) -> str:
    """Each URL replaced by a space: the same result as ``_URL.sub(" ", text)``, but the
    pattern only runs over the space-separated pieces that hold a hint of a URL. A URL never
    spans a space, and the pattern's look-arounds treat a space and the edge of a piece alike,
    so substituting piece by piece changes nothing but the cost (one cheap scan for hints
    instead of the full pattern tried at every position: ~2 against ~9 µs for a tweet)."""
    pieces: list[str] = []
    done = 0
    for hint in _URL_HINT.finditer(text):
        at = hint.start()
        if at < done:
            continue  # inside the piece just rewritten
        start = text.rfind(" ", 0, at) + 1
        end = text.find(" ", at)
        if end < 0:
            end = len(text)
        pieces.append(text[done:start])
        pieces.append(_URL.sub(" ", text[start:end]))
        done = end
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def strip_noise(text: str) -> str:
    """Step 2: remove URLs and @mentions; keep hashtag words (safe on raw text too)."""
    text = strip_attribution(text)
    # the membership tests skip a regex scan for the many posts without links or tags
    if "." in text or "/" in text:
        text = strip_urls(text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    if "#" in text:
        text = _HASHTAG.sub(r" \1 ", text)
    if "[" in text:
        text = _EMOTICON.sub(" ", text)
    return text


def padding_replacement(text: str, start: int, end: int) -> str:
    """What the padding run ``text[start:end]`` becomes (``_PADDING`` finds the runs)."""
    run = text[start:end]
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    if len(run) == 1:
        if run in ".,:" and before in _DIGITS and after in _DIGITS:
            return run  # 9.0, 1,000 and 8:30 are numbers, not padding
        if run in "@$" and before in _ASCII_ALNUM and after in _ASCII_ALNUM:
            return run  # "ch@t": undo_leet reads it
        if run in "'\u2019" and before.isalpha() and after.isalpha():
            return ""  # "don't" → "dont", one word
    if not (before.isalnum() and after.isalnum()):
        return " "
    if _JOINED_CHAR.match(before) or _JOINED_CHAR.match(after):
        return ""
    if not (before.isalpha() and after.isalpha()):
        return " "  # "3、7" is a list, not a padded number
    # Latin: join only single letters ("f.a.k.e"), keep "fake.news" two words
    left_single = start < 2 or not text[start - 2].isalnum()
    right_single = end + 1 >= len(text) or not text[end + 1].isalnum()
    return "" if left_single and right_single else " "


def _number_separator(match: re.Match[str]) -> str:
    text, start = match.string, match.start()
    # kept only between all-digit tokens ("9.0级" stays; "v1.3" and "b1a1.3" split), so that
    # undo_leet never rewrites a token next to a kept separator
    i = start - 1
    while i >= 0 and text[i] in _LEET_TOKEN_CHARS:
        if text[i] not in _DIGITS:
            return " "
        i -= 1
    j = start + 1
    while j < len(text) and text[j] in _LEET_TOKEN_CHARS:
        if text[j] not in _DIGITS:
            return " "
        j += 1
    return match.group()


def padding_split(text: str) -> list[str]:
    """``text`` cut into its ``_PADDING`` runs and the texts between them (text, run, text, ...,
    text, as ``re.split`` with a group gives): the texts are the same characters; a run is as
    long as ``_PADDING``'s, with any "_" in it read as "\0" (callers replace every run)."""
    return _PADDING_SPLIT.split(text.replace("_", "\0") if "_" in text else text)


def remove_padding(text: str) -> str:
    """Step 3: drop symbol/emoji/punctuation padding without gluing Latin words together.

    Every run ``_PADDING`` finds becomes ``padding_replacement(text, start, end)``. A run next
    to whitespace or an end of the text always becomes a space, and most runs are such ("word,
    word"), so only runs between two word characters get the full decision: the same result
    as a substitution calling it for every run, in two thirds of the time."""
    parts = padding_split(text)  # text, run, text, run, ..., text
    if len(parts) > 1:
        at = len(parts[0])
        for i in range(1, len(parts), 2):
            end = at + len(parts[i])
            before, after = parts[i - 1], parts[i + 1]
            if before and after and not before[-1].isspace() and not after[0].isspace():
                parts[i] = padding_replacement(text, at, end)
            else:
                parts[i] = " "
            at = end + len(after)
        text = "".join(parts)
    # decided after joining, so that a second pass sees the same tokens and agrees
    if "." in text or "," in text or ":" in text:
        text = _NUMBER_SEPARATOR.sub(_number_separator, text)
    return text


def _join_letters(match: re.Match[str]) -> str:
    return match.group().replace(" ", "")


def collapse_whitespace(text: str) -> str:
    """Every run of whitespace → one space, as ``re.sub(r"\\s+", " ", text)`` does, in a third of
    the time (``str.split`` and ``re``'s ``\\s`` share one definition of whitespace)."""
    inner = " ".join(text.split())
    if not inner:
        return " " if text else ""
    lead = " " if text[0].isspace() else ""
    return lead + inner + " " if text[-1].isspace() else lead + inner


def join_spaced(text: str) -> str:
    """Step 4: one space between words; none next to CJK characters or inside spaced-out
    letters."""
    if "  " in text or not text.isprintable():  # else the only whitespace is single spaces
        text = collapse_whitespace(text)
    if _SPACED_HINT.search(text):
        text = _SPACED_LETTERS.sub(_join_letters, text)
    if text.isascii():
        return text  # no CJK character to take spaces away from
    # Chinese puts no spaces between words, and those next to Latin or digits are typography
    return _JOINED_SPACE.sub("", text)


def _one(word: str, i: int, done: list[str]) -> str:
    """ "1" reads as "l" after a vowel ("fa1se", "he11o"), as "i" after a consonant ("vacc1ne")."""
    if done:
        prev = done[-1]
        return "l" if prev in _VOWELS or (prev == "l" and word[i - 1] == "1") else "i"
    following = _LEET.get(word[1], word[1]) if len(word) > 1 else ""
    return "l" if following in _VOWELS else "i"


def _unleet(match: re.Match[str]) -> str:
    word = match.group()
    letters = sum(ch.isalpha() for ch in word)
    if letters * 2 < len(word):
        return word  # mostly digits: a code or a number, not a word
    out: list[str] = []
    for i, ch in enumerate(word):
        if ch == "1":
            out.append(_one(word, i, out))
        else:
            out.append(_LEET.get(ch, ch))
    return "".join(out)


def _at_dollar(match: re.Match[str]) -> str:
    token = match.group()
    if _LEET_WORD.fullmatch(token):
        word = _unleet(match)
        if "@" not in word and "$" not in word:
            return word
    # not a l33t word ("a1@3c", "x@y.z"): the symbol separates, and each piece is read alone
    return token.replace("@", " ").replace("$", " ")


def _untone(match: re.Match[str]) -> str:
    word = match.group()
    # read as step 8 will leave it ("l2iii" → "l2i" → "li"), so that a second pass agrees
    return without_tone_numbers(_REPEAT.sub(r"\1", word)) or word


def undo_leet(text: str) -> str:
    """Step 5: pinyin tone numbers dropped in Chinese text ("hai3qu1" → "haiqu"); l33t digits
    inside mostly-letter words → letters; numbers stay intact."""
    if "@" in text or "$" in text:
        text = _AT_DOLLAR_TOKEN.sub(_at_dollar, text)
    # after "@"/"$" have split their tokens: "o1@0" gives the word "o1" only then
    if not text.isascii() and _TONED_HINT.search(text) and _HAN_CHAR.search(text):
        text = _TONE_NUMBERED.sub(_untone, text)
    if any(digit in text for digit in "013457"):
        text = _LEET_WORD.sub(_unleet, text)
    return text


def to_simplified(text: str) -> str:
    """Step 6: traditional → simplified Chinese; text without Han characters is returned as is."""
    if text.isascii() or not _HAN_CHAR.search(text):
        return text
    converter = _Converter.get()
    try:
        out = str(converter.convert(text))
    except UnicodeEncodeError:  # lone surrogates in raw input
        out = str(converter.convert(_SURROGATE.sub("", text)))
    # a few OpenCC mappings chain (薴 → 苧 → 苎): convert until stable so the step is idempotent
    for _ in range(3):
        again = str(converter.convert(out))
        if again == out:
            break
        out = again
    return out


def _split(match: re.Match[str]) -> str:
    return SPLITS[match.group()]


def _katakana(match: re.Match[str]) -> str:
    return match.group().translate(_KATAKANA_TABLE)


def fold_cjk_lookalikes(text: str) -> str:
    """Step 7: katakana look-alikes next to Chinese and component splits → the real character."""
    if text.isascii() or not _HAN_CHAR.search(text):
        return text
    return _SPLIT.sub(_split, _KATAKANA_RUN.sub(_katakana, text))


def collapse(text: str) -> str:
    """Step 8: runs of 3+ identical characters → one (not digits); trim."""
    if _ANY_REPEAT.search(text) is not None and _REPEAT.search(text) is not None:
        text = _REPEAT.sub(r"\1", text)
    # collapsing ("a b ccc" → "a b c") and undo_leet ("x y a@1") can leave single letters;
    # joining them can make a new run of repeats ("s o o o" → "sooo")
    joined = _SPACED_LETTERS.sub(_join_letters, text) if _SPACED_HINT.search(text) else text
    if joined != text:
        text = _REPEAT.sub(r"\1", joined)
    return text.strip()


STEPS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("fold_unicode", fold_unicode),
    ("strip_noise", strip_noise),
    ("remove_padding", remove_padding),
    ("join_spaced", join_spaced),
    ("undo_leet", undo_leet),
    ("to_simplified", to_simplified),
    ("fold_cjk_lookalikes", fold_cjk_lookalikes),
    ("collapse", collapse),
)

_CACHE: dict[str, str] = {}
_CACHE_SIZE = 1 << 16


def normalize_uncached(text: str) -> str:
    """Run every step of ``STEPS`` (what ``normalize`` does on a cache miss)."""
    for _, step in STEPS:
        text = step(text)
    return text


def normalize(text: str) -> str:
    """The full pipeline (see the module docstring); never raises on a str, idempotent."""
    out = _CACHE.get(text)
    if out is None:
        out = normalize_uncached(text)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()  # cheaper than LRU bookkeeping; a full cache refills in milliseconds
        _CACHE[text] = out
        _CACHE[out] = out  # normalised text normalises to itself
    return out


def clear_cache() -> None:
    """Forget cached results (benchmarks use it to measure the pipeline itself)."""
    _CACHE.clear()
