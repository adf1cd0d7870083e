"""Spelling skeletons: one coarse Latin form for Russian, Uzbek and Tajik in any script.

People write the same word as "регистрация", "registratsiya", "registraciya" or "регистрацыя"; Tajik
"ҳ", "ҷ", "қ" become "х", "ч", "к" on a Russian keyboard; Uzbek is written in Cyrillic or in Latin
with any apostrophe. Matching compares skeletons in which such variants coincide. A skeleton is
deliberately lossy (ч, ҷ, ж and j merge; q and k merge; doubled letters collapse) and is only ever
compared with another skeleton, never shown to anyone.
"""

from __future__ import annotations

import re

from bot.engine.memo import ShortTextMemo
from bot.engine.normalize import normalize

# Latin digraphs first become the Cyrillic letter they stand for, so that one translation table
# then maps both scripts to the same skeleton letter. Order matters: "o'" before any "o".
_DIGRAPHS: tuple[tuple[str, str], ...] = (
    ("o'", "ў"),
    ("g'", "ғ"),
    ("shch", "щ"),
    ("sh", "ш"),
    ("ch", "ч"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ye", "е"),
    # The Russian soft sign before a vowel sounds as "y": "бьёт" is "byot", not "bet".
    ("ье", "йе"),
    ("ьё", "йё"),
    ("ью", "йю"),
    ("ья", "йя"),
)

_SKELETON: dict[str, str] = {
    # Latin letters whose sound other spellings write differently.
    "c": "ts", "q": "k", "x": "h", "y": "i", "w": "v",
    # Cyrillic, shared by Russian, Tajik and Uzbek.
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "io", "ж": "j", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "j", "ш": "w", "щ": "w",
    "ъ": "", "ы": "i", "ь": "", "э": "e", "ю": "iu", "я": "ia", "і": "i",
    # Tajik and Uzbek letters: the same skeleton as their Russian look-alikes.
    "ғ": "g", "ӣ": "i", "қ": "k", "ӯ": "u", "ҳ": "h", "ҷ": "j", "ў": "u",
    # Turkish-style Latin some Uzbek speakers use.
    "ş": "w", "ç": "j", "ğ": "g", "ı": "i", "ö": "u", "ü": "u",
    # The tutuq belgisi and stray apostrophes carry no sound worth matching.
    "'": "",
}  # fmt: skip
_TABLE = str.maketrans(_SKELETON)
_REPEATS = re.compile(r"([a-z])\1+")
_WORDS = re.compile(r"[a-z0-9]+")

VOWELS = frozenset("aeiou")

# Prepositions and conjunctions that a phrase or a message may or may not contain.
_STOPWORDS = (
    "в во на по за до от из об о с со к у а и или но",  # Russian
    "va yoki bilan uchun",  # Uzbek
    "ба аз бо дар ва то барои",  # Tajik
)

# Frequent words that are never a typo of a keyword, however close: "qanaqa" (what kind) is not
# "Kanada", "гирифтан" (to take) is not "гирифтанд" (they took). Question words, pronouns,
# auxiliaries and everyday verbs; they still match a phrase that contains them exactly.
_COMMON_WORDS = (
    # Russian
    "как что где когда сколько почему зачем кто какой какая какие можно нужно надо мне меня мой"
    " моя есть нет да если это был была были будет сделать делать получить узнать хочу могу"
    " помогите пожалуйста здравствуйте привет спасибо сейчас тоже очень после через теперь уже"
    " ещё еще поговорить сказать говорит работать работаю работает долго брат братан братишка",
    # Uzbek
    " qanday qanaqa qancha qayer qayerda qayerga qachon nima nimaga nega kim kerak kerakmi mumkin"
    " mumkinmi bormi yo'q ha men meni menga siz sizga bu shu bo'ladi bo'ladimi qilish qilay"
    " qilsam olish olsam berish iltimos salom rahmat yaxshi endi hozir keyin",
    # Tajik
    " чӣ чи чанд куҷо кай чаро кӣ кадом тавр лозим мумкин ҳаст нест ҳа не ман маро шумо ин он"
    " мешавад кардан кунам гирифтан гирам додан илтимос салом раҳмат ташаккур хуб ҳозир баъд"
    " мехоҳам",
)


def _raw_skeleton(text: str) -> str:
    for latin, cyrillic in _DIGRAPHS:
        text = text.replace(latin, cyrillic)
    return _REPEATS.sub(r"\1", text.translate(_TABLE))


def skeleton(text: str) -> str:
    """Normalise `text` and fold it to its skeleton (words separated by single spaces)."""
    return " ".join(words(text))


def words(text: str) -> list[str]:
    """Skeleton words of `text`, without stopwords and one-letter words. A turn asks for the
    words of the same text up to three times (buttons, topics, labels): short texts' words are
    remembered for a while."""
    return list(_remembered_words(text))


@ShortTextMemo
def _remembered_words(text: str) -> tuple[str, ...]:
    return tuple(_words(text))


def _words(text: str) -> list[str]:
    found = _WORDS.findall(_raw_skeleton(normalize(text)))
    return [w for w in found if is_word(w)]


_CLAUSE_MARKS = re.compile(r"[,;.!?:()\n]+|\s[-–—]+\s")


def clause_tokens(text: str) -> list[list[str]]:
    """The skeleton tokens of each piece of `text` between punctuation marks, stopwords and
    one-letter words included ("а", "но" and "ли" start and mark clauses); `is_word` says which
    of them `words` would keep, in the same order."""
    pieces = _CLAUSE_MARKS.split(normalize(text))
    return [found for piece in pieces if (found := _WORDS.findall(_raw_skeleton(piece)))]


def is_word(token: str) -> bool:
    """Whether `words` keeps a skeleton token: not a stopword, not a lone letter."""
    return token not in _STOP and (len(token) > 1 or token.isdigit())


def fold_word(text: str) -> str:
    """The skeleton of a word or a word's ending, letters and digits only, nothing dropped: an
    ending such as "и" or "da" is a stopword or a single letter that `words` would leave out."""
    return "".join(_WORDS.findall(_raw_skeleton(normalize(text))))


def stem(word: str) -> str:
    """The part of a skeleton word its inflected forms start with: up to two final vowels go.

    "registratsia" gives "registrats", so "регистрации", "registratsiyadan" and "регистрацию" all
    start with it. Two, because я, ю, ё are two skeleton letters ("koreia" keeps "kore"); words of
    three letters or fewer are left whole.
    """
    end = len(word)
    while end > max(3, len(word) - 2) and word[end - 1] in VOWELS:
        end -= 1
    return word[:end]


def is_abbreviation(word: str) -> bool:
    """Whether a skeleton word has no vowels (РВП, ВНЖ, НДФЛ): its stem is safe even when short."""
    return not VOWELS.intersection(word) and not word.isdigit()


_STOP = frozenset(_raw_skeleton(" ".join(_STOPWORDS)).split())
COMMON_WORDS: frozenset[str] = frozenset(_raw_skeleton(normalize("".join(_COMMON_WORDS))).split())
"""Skeletons of frequent words that typo tolerance must leave alone."""
