"""Text -> comparable fingerprints: normalised words and hashed word shingles.

Versions of one story differ in ways a reader ignores: curly or straight quotes, dashes, "2½" or
"2.5", "per cent" or "%", a house style's Kiev for Kyiv. Normalising these away first lets exact
shingle matching see what a reader sees. Hashes come from blake2b, never from `hash()`, so they
are the same in every process (Python salts `hash()` of strings per run).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..model import Article
from .arrays import distinct

#: Spellings of one name or word that copy desks swap; each maps to one canonical form.
VARIANTS: dict[str, str] = {
    # Transliterations (Ukrainian/Russian, Arabic, older exonyms).
    "kiev": "kyiv",
    "kyyiv": "kyiv",
    "kharkov": "kharkiv",
    "odessa": "odesa",
    "lvov": "lviv",
    "lugansk": "luhansk",
    "nikolaev": "mykolaiv",
    "nikolayev": "mykolaiv",
    "chernigov": "chernihiv",
    "zaporozhye": "zaporizhzhia",
    "zaporizhia": "zaporizhzhia",
    "zaporozhzhia": "zaporizhzhia",
    "dnepr": "dnipro",
    "dnieper": "dnipro",
    "zelenskyy": "zelensky",
    "zelenskiy": "zelensky",
    "zelenski": "zelensky",
    "navalnyy": "navalny",
    "gorbachov": "gorbachev",
    "tchaikovsky": "chaikovsky",
    "byelorussia": "belarus",
    "belorussia": "belarus",
    "moldavia": "moldova",
    "kirghizia": "kyrgyzstan",
    "ashkhabad": "ashgabat",
    "almaty": "alma-ata",
    "peking": "beijing",
    "bombay": "mumbai",
    "calcutta": "kolkata",
    "madras": "chennai",
    "burma": "myanmar",
    "qaddafi": "gaddafi",
    "qadhafi": "gaddafi",
    "kadhafi": "gaddafi",
    "gadhafi": "gaddafi",
    "qaida": "qaeda",
    "usama": "osama",
    "muhammad": "mohammed",
    "mohammad": "mohammed",
    "muhammed": "mohammed",
    "hizbollah": "hezbollah",
    "hizbullah": "hezbollah",
    "chechnia": "chechnya",
    # British and American spellings.
    "colour": "color",
    "favour": "favor",
    "favourite": "favorite",
    "honour": "honor",
    "labour": "labor",
    "neighbour": "neighbor",
    "neighbours": "neighbors",
    "centre": "center",
    "theatre": "theater",
    "defence": "defense",
    "offence": "offense",
    "licence": "license",
    "programme": "program",
    "programmes": "programs",
    "travelled": "traveled",
    "cancelled": "canceled",
    "modelling": "modeling",
    "grey": "gray",
    "pct": "percent",
    # Small numbers written out (AP style) or as figures.
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
}

_VULGAR = {"¼": ".25", "½": ".5", "¾": ".75", "⅓": ".33", "⅔": ".67"}
_FRACTION = re.compile(r"(\d*)([¼½¾⅓⅔])")
# Patterns start with a literal so that re skips ahead instead of trying every position.
_PERCENT = re.compile(r"per\s+cent\b")
_THOUSANDS = re.compile(r",(?<=\d,)(?=\d{3}\b)")
_INITIALS = re.compile(r"\.(?<=\b[a-z]\.)(?=[a-z]\b)")
_APOSTROPHES = str.maketrans("", "", "'’‘`")
_ISATION = re.compile(r"(?<=[a-z]{3})is(ation|ations|e|ed|es|ing)\b")
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_MIX3 = np.uint64(0x94D049BB133111EB)


def normalise(text: str) -> str:
    """Lowercase ASCII text with typography, fractions, thousands and "per cent" made uniform."""
    if not text.isascii():
        text = _FRACTION.sub(lambda m: (m.group(1) or "0") + _VULGAR[m.group(2)], text)
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    text = text.lower().translate(_APOSTROPHES).replace("%", " percent ")
    text = _THOUSANDS.sub("", text)
    text = _PERCENT.sub("percent", text)
    return _INITIALS.sub("", text)


def tokens(text: str) -> list[str]:
    """The normalised words of a text, with spelling variants mapped to one form."""
    found = _TOKEN.findall(normalise(text))
    get = VARIANTS.get
    return [_canonical(get(t, t)) for t in found]


@lru_cache(maxsize=65536)
def _canonical(word: str) -> str:
    """Fold British -ise/-isation verbs and nouns into -ize (organised -> organized)."""
    return _ISATION.sub(r"iz\1", word) if len(word) > 6 else word


#: Raw token -> hash of its canonical form. A cache (the hash is a pure function of the token),
#: kept across calls because fingerprinting 100,000 articles meets the same words again and again.
_HASHES: dict[str, int] = {}


def _word_hash(token: str) -> int:
    word = _canonical(VARIANTS.get(token, token))
    value = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
    if len(_HASHES) > 1 << 21:
        _HASHES.clear()
    _HASHES[token] = value
    return value


def _finalise(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads bits so that `hash % n` samples evenly."""
    x = x ^ (x >> np.uint64(30))
    x = x * _MIX2
    x = x ^ (x >> np.uint64(27))
    x = x * _MIX3
    return x ^ (x >> np.uint64(31))


def _rolling(h: np.ndarray, size: int) -> np.ndarray:
    n = len(h) - size + 1
    acc = np.zeros(n, dtype=np.uint64)
    for i in range(size):
        acc = acc * _MIX + h[i : i + n]
    return _finalise(acc + np.uint64(size))


@dataclass(frozen=True, slots=True, eq=False)
class Fingerprint:
    """What version matching needs from one article, computed once per article."""

    shingles: np.ndarray
    """Shingle hashes of every paragraph, paragraph after paragraph (uint64)."""
    paragraph_of: np.ndarray
    """For each shingle, the index of its paragraph (int32)."""
    paragraph_words: np.ndarray
    """Words per paragraph (int32), to weigh paragraphs by length."""
    numbers: np.ndarray
    """Sorted distinct hashes (uint64) of the numbers the body mentions, normalised ("2½" ->
    "2.5", "1,000" -> "1000")."""
    unique: np.ndarray
    """Sorted distinct shingle hashes of the whole body."""
    shingle_at: np.ndarray
    """For each shingle, its index in `unique`."""
    paragraph_shingles: np.ndarray
    """Shingles per paragraph."""
    words: int
    """Words in the body."""
    counted_words: int
    """Words in the paragraphs that have shingles (the ones coverage can count)."""

    @classmethod
    def of(
        cls,
        shingles: np.ndarray,
        paragraph_of: np.ndarray,
        paragraph_words: np.ndarray,
        numbers: np.ndarray,
    ) -> Fingerprint:
        """With the derived fields every comparison would otherwise compute again."""
        unique, shingle_at = np.unique(shingles, return_inverse=True)
        paragraph_shingles = np.bincount(paragraph_of, minlength=len(paragraph_words))
        return cls(
            shingles=shingles,
            paragraph_of=paragraph_of,
            paragraph_words=paragraph_words,
            numbers=numbers,
            unique=unique,
            shingle_at=shingle_at.ravel().astype(np.int32),  # half of int64's memory
            paragraph_shingles=paragraph_shingles,
            words=int(paragraph_words.sum()),
            counted_words=int(paragraph_words[paragraph_shingles > 0].sum()),
        )


def reference_fingerprint(article: Article, shingle_size: int) -> Fingerprint:
    """Shingles of the body, paragraph by paragraph (shingles never straddle two paragraphs).

    The definition, one article at a time; `features.compute_features` gives the same for many
    articles at once, and is what the analysis uses.

    Paragraphs shorter than `min(3, shingle_size)` words (datelines, "Reuter", promo lines) are
    left out: they say nothing about the story and would only add noise.
    """
    text = normalise("\n".join(" ".join(p.split()) for p in article.paragraphs))
    get = _HASHES.get
    hashes: list[int] = []
    counts: list[int] = []
    numbers: set[str] = set()
    for paragraph in text.split("\n"):
        found = _TOKEN.findall(paragraph)
        counts.append(len(found))
        hashes.extend([get(t) or _word_hash(t) for t in found])
        numbers.update(t for t in found if t[0].isdigit())
    words = np.array(hashes, dtype=np.uint64)
    lengths = np.array(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts), dtype=np.int32), lengths)
    size = shingle_size
    if len(words) >= size:
        all_windows = _rolling(words, size)
        whole = owner[: len(all_windows)] == owner[size - 1 :]
        shingles, paragraph_of = all_windows[whole], owner[: len(all_windows)][whole]
    else:
        shingles, paragraph_of = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int32)
    short = np.flatnonzero((lengths >= min(3, size)) & (lengths < size))
    if len(short):
        starts = np.r_[0, np.cumsum(lengths)[:-1]]
        extra = [
            _rolling(words[starts[i] : starts[i] + lengths[i]], int(lengths[i])) for i in short
        ]
        shingles = np.concatenate([shingles, *extra])
        paragraph_of = np.concatenate([paragraph_of, short.astype(np.int32)])
    return Fingerprint.of(
        shingles=shingles,
        paragraph_of=paragraph_of,
        paragraph_words=lengths.astype(np.int32),
        numbers=distinct(np.array([get(t) or _word_hash(t) for t in numbers], dtype=np.uint64)),
    )
