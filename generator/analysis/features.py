"""Article -> ArticleFeatures: what the whole-archive analysis needs from one article's text.

Features depend on the article's text alone (title, standfirst, paragraphs) and the shingle size,
so a build can cache them by `cache_key` and recompute only the articles that changed; the
whole-archive steps (candidate pairs, verification, TF-IDF) then run from the cached parts.

`compute_features` does many articles at once: the text of all of them is tokenised with numpy
in one pass (the regex tokeniser costs half a microsecond a word, 10 s at 100,000 articles), and
each distinct word is hashed once. It gives exactly what the per-article regex reference
(`reference_features`) gives; the rare texts where the two could differ (digits of other
scripts, "per" and "cent" split between headline and body) take the reference path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..model import Article
from .fingerprint import (
    _HASHES,
    VARIANTS,
    _finalise,
    _word_hash,
    normalise,
    reference_fingerprint,
)
from .fingerprint import _rolling as _rolling
from .parallel import map_inherited

#: Bump when what a feature holds changes, so that cached features are recomputed.
FEATURES_VERSION = 1
#: Articles tokenised together: enough to amortise numpy calls, small enough for little memory.
_BATCH = 1024
#: Token key -> (word hash, term hash): each distinct word is decoded and hashed once per process.
_KEYS: dict[int, tuple[int, int]] = {}
_WORD = re.compile(r"[a-z]{3,}")
_POLY = np.uint64(0x100000001B3)
_LENGTH_MIX = np.uint64(0x9E3779B97F4A7C15)

STOP_WORDS = frozenset(
    [
        "about",
        "above",
        "across",
        "after",
        "again",
        "against",
        "all",
        "almost",
        "along",
        "already",
        "also",
        "although",
        "always",
        "among",
        "and",
        "another",
        "any",
        "anyone",
        "anything",
        "are",
        "around",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "can",
        "cannot",
        "could",
        "did",
        "does",
        "doing",
        "done",
        "down",
        "during",
        "each",
        "either",
        "else",
        "enough",
        "even",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "however",
        "into",
        "its",
        "itself",
        "just",
        "last",
        "least",
        "less",
        "like",
        "made",
        "make",
        "many",
        "may",
        "more",
        "most",
        "much",
        "must",
        "near",
        "need",
        "neither",
        "never",
        "next",
        "nor",
        "not",
        "now",
        "off",
        "often",
        "once",
        "one",
        "only",
        "onto",
        "other",
        "others",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "per",
        "perhaps",
        "put",
        "quite",
        "rather",
        "really",
        "said",
        "same",
        "say",
        "says",
        "see",
        "seen",
        "several",
        "she",
        "should",
        "since",
        "some",
        "still",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "though",
        "through",
        "thus",
        "too",
        "toward",
        "towards",
        "under",
        "until",
        "upon",
        "very",
        "via",
        "was",
        "way",
        "were",
        "what",
        "whatever",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yet",
        "you",
        "your",
        "yours",
        "yourself",
        "also",
        "told",
        "mrs",
        "get",
        "got",
        "going",
        "two",
        "three",
        "four",
        "five",
        "year",
        "years",
        "week",
        "weeks",
        "time",
        "times",
        "new",
        "first",
        "second",
        "back",
        "well",
        "set",
        "take",
        "took",
        "told",
    ]
)


@dataclass(frozen=True, slots=True, eq=False)
class ArticleFeatures:
    """One article's fingerprint (versions) and term counts (related): small, picklable, and a
    pure function of the article's text and the shingle size."""

    shingles: np.ndarray
    """Shingle hashes (uint64), paragraph after paragraph; shingles never straddle paragraphs."""
    paragraph_of: np.ndarray
    """For each shingle, the index of its paragraph (uint16, or int32 for huge texts)."""
    paragraph_words: np.ndarray
    """Words per paragraph (int32), to weigh paragraphs by length."""
    numbers: np.ndarray
    """Sorted distinct hashes (uint64) of the numbers the body mentions ("2½" -> "2.5")."""
    terms: np.ndarray
    """Hashes (uint64) of the related-stories terms of headline (twice), standfirst and body,
    distinct, in order of first use (the order keeps TF-IDF sums identical run to run)."""
    term_counts: np.ndarray
    """How often each term is used (int32)."""

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f).nbytes for f in self.__slots__)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as one buffer: a build loads every article's features from the cache, and
        six arrays apiece cost 0.7 s to unpickle at 11,000 articles, one buffer 0.1 s."""
        arrays = [np.ascontiguousarray(getattr(self, name)) for name in self.__slots__]
        layout = tuple((a.dtype.str, len(a)) for a in arrays)
        return (_unpack, (layout, b"".join(a.tobytes() for a in arrays)))


def _unpack(layout: tuple[tuple[str, int], ...], buffer: bytes) -> ArticleFeatures:
    """The features `ArticleFeatures.__reduce__` packed (read-only views of the buffer)."""
    arrays, offset = [], 0
    for dtype, count in layout:
        array = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
        arrays.append(array)
        offset += array.nbytes
    return ArticleFeatures(*arrays)


def cache_key(article: Article, shingle_size: int) -> str:
    """Content hash of everything `article_features` reads, plus the settings and version."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{FEATURES_VERSION}\x00{shingle_size}\x00".encode())
    for part in (article.title, article.dek, *article.paragraphs):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def article_features(article: Article, shingle_size: int = 5) -> ArticleFeatures:
    """The features of one article (see `compute_features` for many)."""
    return compute_features([article], shingle_size)[0]


def compute_features(articles: Sequence[Article], shingle_size: int = 5) -> list[ArticleFeatures]:
    """Features of each article, in order. Top-level and with picklable arguments, so that a
    build can run it on worker processes: `pool.map(partial(compute_features, shingle_size=5),
    batches)`."""
    result: list[ArticleFeatures] = []
    for start in range(0, len(articles), _BATCH):
        result.extend(_batch(articles[start : start + _BATCH], shingle_size))
    return result


#: Fewer articles than this are done in-process: forking would cost more than it saves.
_PARALLEL_ARTICLES = 4_000
#: Articles per task of `compute_features_in_parallel`.
_TASK = 2_000
_FIELDS = ArticleFeatures.__slots__
_PACKED_TYPES = {
    "shingles": np.uint64,
    "paragraph_of": np.int32,
    "paragraph_words": np.int32,
    "numbers": np.uint64,
    "terms": np.uint64,
    "term_counts": np.int32,
}
Packed = tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]
"""Many articles' features as (lengths per article and field, narrow paragraph numbers?, one
flat array per field): six arrays pickle in milliseconds; 100,000 small objects take seconds."""


def compute_features_in_parallel(
    articles: Sequence[Article],
    shingle_size: int,
    jobs: int,
    on_chunk: Callable[[int, list[ArticleFeatures]], None] | None = None,
) -> list[ArticleFeatures]:
    """`compute_features` on `jobs` forked processes that inherit the articles. Each sends its
    features back packed; `on_chunk(start, features)` runs in the worker first (a build stores
    them in its cache there, so the pickling for the cache is shared out too)."""
    if len(articles) < _PARALLEL_ARTICLES:
        jobs = 1
    state = (articles, shingle_size, on_chunk)
    done = map_inherited(_features_chunk, state, range(0, len(articles), _TASK), jobs)
    return [f for packed in done for f in unpack(packed)]


def _features_chunk(
    state: tuple[Sequence[Article], int, Callable[[int, list[ArticleFeatures]], None] | None],
    start: int,
) -> Packed:
    articles, shingle_size, on_chunk = state
    features = compute_features(articles[start : start + _TASK], shingle_size)
    if on_chunk is not None:
        on_chunk(start, features)
    return pack(features)


def pack(features: Sequence[ArticleFeatures]) -> Packed:
    lengths = np.array([[len(getattr(f, name)) for name in _FIELDS] for f in features], np.int64)
    narrow = np.array([f.paragraph_of.dtype == np.uint16 for f in features], dtype=bool)
    flat = tuple(
        np.concatenate([getattr(f, name) for f in features], dtype=dtype)
        if features
        else np.zeros(0, dtype)
        for name, dtype in _PACKED_TYPES.items()
    )
    return lengths.reshape(-1, len(_FIELDS)), narrow, flat


def unpack(packed: Packed) -> list[ArticleFeatures]:
    """The features `pack` was given, equal field by field (views into the flat arrays)."""
    lengths, narrow, flat = packed
    columns = [
        np.split(values, np.cumsum(lengths[:-1, field])) if len(lengths) else []
        for field, values in enumerate(flat)
    ]
    where = _FIELDS.index("paragraph_of")
    columns[where] = [
        p.astype(np.uint16) if small else p for p, small in zip(columns[where], narrow, strict=True)
    ]
    return [ArticleFeatures(*fields) for fields in zip(*columns, strict=True)]


def reference_features(article: Article, shingle_size: int) -> ArticleFeatures:
    """The same features from the per-article regex code: the definition, and the path for texts
    the vectorised tokeniser does not cover."""
    fp = reference_fingerprint(article, shingle_size)
    order = np.argsort(fp.paragraph_of, kind="stable")
    found = terms_of(article)
    hashes = np.array([_term_hash(t) for t in found], dtype=np.uint64)
    terms, counts = _first_use_counts(hashes)
    return ArticleFeatures(
        shingles=fp.shingles[order],
        paragraph_of=_small(fp.paragraph_of[order]),
        paragraph_words=fp.paragraph_words,
        numbers=fp.numbers,
        terms=terms,
        term_counts=counts,
    )


def terms_of(article: Article) -> list[str]:
    """Headline twice (it names the subject), standfirst and body; one normalise call."""
    text = "\n".join((article.title, article.title, article.dek, *article.paragraphs))
    return [s for w in _WORD.findall(normalise(text)) if (s := stem(w))]


@lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """Stop words out, spelling variants folded, plurals made singular (crudely, consistently)."""
    if word in STOP_WORDS:
        return ""
    word = VARIANTS.get(word, word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=1 << 20)
def _term_hash(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "little")


def _first_use_counts(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unique, first, counts = np.unique(hashes, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    return unique[order], counts[order].astype(np.int32)


def _small(paragraph_of: np.ndarray) -> np.ndarray:
    top = int(paragraph_of.max()) if len(paragraph_of) else 0
    return paragraph_of.astype(np.uint16 if top < 1 << 16 else np.int32)


# The vectorised path ---------------------------------------------------------------------------


def _batch(articles: Sequence[Article], size: int) -> list[ArticleFeatures]:
    bodies: list[str] = []
    heads: list[str] = []
    fast: list[int] = []
    result: list[ArticleFeatures | None] = [None] * len(articles)
    for i, article in enumerate(articles):
        body = normalise("\n".join(" ".join(p.split()) for p in article.paragraphs))
        head = normalise("\n".join((article.title, article.title, article.dek)))
        if _exotic(body) or _exotic(head) or _percent_across(head, body):
            result[i] = reference_features(article, size)
            continue
        fast.append(i)
        bodies.append(body)
        heads.append(head)
    if fast:
        for i, features in zip(fast, _vectorised(bodies, heads, size), strict=True):
            result[i] = features
    return result  # type: ignore[return-value]


def _exotic(text: str) -> bool:
    """Digits of other scripts (Arabic-Indic...): regex \\d matches them, bytes do not."""
    return not text.isascii() and any(c.isdecimal() for c in set(text) if c > "\x7f")


def _percent_across(head: str, body: str) -> bool:
    """ "per" ending the headlines and "cent" starting the body: normalised apart, not joined."""
    return head.rstrip().endswith("per") and body.lstrip().startswith("cent")


def _vectorised(bodies: list[str], heads: list[str], size: int) -> list[ArticleFeatures]:
    body = _Tokens.of(bodies)
    head = _Tokens.of(heads)
    body_word, head_word, word_hash, term_hash = _hash_words(body, head)
    n = len(bodies)

    # Paragraphs: a global key per paragraph, increasing through the batch.
    paragraphs = body.newlines_total + n
    pkey = body.paragraph + body.article
    lengths = np.bincount(pkey, minlength=paragraphs)
    first_paragraph = body.article_newlines_before + np.arange(n)
    h = word_hash[body_word]

    # Shingles: windows inside one paragraph, and whole short paragraphs.
    starts_list = []
    hashes_list = []
    if len(h) >= size:
        windows = _rolling(h, size)
        inside = pkey[: len(windows)] == pkey[size - 1 :]
        starts_list.append(np.flatnonzero(inside))
        hashes_list.append(windows[inside])
    token_start = np.r_[0, np.cumsum(lengths)[:-1]]
    for length in range(min(3, size), size):
        which = np.flatnonzero(lengths == length)
        if not len(which):
            continue
        first = token_start[which]
        acc = np.zeros(len(which), dtype=np.uint64)
        for k in range(length):
            acc = acc * np.uint64(0x9E3779B97F4A7C15) + h[first + k]
        starts_list.append(first)
        hashes_list.append(_finalise(acc + np.uint64(length)))
    starts = np.concatenate(starts_list) if starts_list else np.empty(0, dtype=np.int64)
    hashes = np.concatenate(hashes_list) if hashes_list else np.empty(0, dtype=np.uint64)
    order = np.argsort(starts, kind="stable")
    starts, hashes = starts[order], hashes[order]
    shingle_article = body.article[starts]
    shingle_paragraph = body.paragraph[starts] - body.article_newlines_before[shingle_article]
    shingle_cut = np.searchsorted(shingle_article, np.arange(n + 1))

    # Numbers: tokens that start with a digit.
    is_number = body.first_byte <= ord("9")
    number_article, number_hash = body.article[is_number], h[is_number]
    order = np.lexsort((number_hash, number_article))
    number_article, number_hash = number_article[order], number_hash[order]
    distinct = _group_starts(number_article, number_hash)
    number_article, number_hash = number_article[distinct], number_hash[distinct]
    number_cut = np.searchsorted(number_article, np.arange(n + 1))

    # Terms: headline tokens then body tokens, in order; stop words have hash 0 and drop out.
    th = np.concatenate([term_hash[head_word], term_hash[body_word]])
    t_article = np.concatenate([head.article, body.article])
    t_seq = np.arange(len(th))
    keep = th != 0
    th, t_article, t_seq = th[keep], t_article[keep], t_seq[keep]
    grouped = np.lexsort((t_seq, th, t_article))
    th, t_article, t_seq = th[grouped], t_article[grouped], t_seq[grouped]
    group_start = np.flatnonzero(_group_starts(t_article, th))
    counts = np.diff(np.r_[group_start, len(th)]).astype(np.int32)
    g_hash, g_article, g_first = th[group_start], t_article[group_start], t_seq[group_start]
    by_use = np.lexsort((g_first, g_article))
    g_hash, g_article, counts = g_hash[by_use], g_article[by_use], counts[by_use]
    term_cut = np.searchsorted(g_article, np.arange(n + 1))

    paragraph_cut = [*first_paragraph.tolist(), paragraphs]
    result = []
    for i in range(n):
        lo, hi = shingle_cut[i], shingle_cut[i + 1]
        result.append(
            ArticleFeatures(
                shingles=hashes[lo:hi].copy(),
                paragraph_of=_small(shingle_paragraph[lo:hi]),
                paragraph_words=lengths[paragraph_cut[i] : paragraph_cut[i + 1]].astype(np.int32),
                numbers=number_hash[number_cut[i] : number_cut[i + 1]].copy(),
                terms=g_hash[term_cut[i] : term_cut[i + 1]].copy(),
                term_counts=counts[term_cut[i] : term_cut[i + 1]].copy(),
            )
        )
    return result


@dataclass(frozen=True, slots=True)
class _Tokens:
    """The tokens of many normalised texts, found as the regex `\\d+(?:\\.\\d+)?|[a-z]+` finds
    them, over the texts' UTF-8 bytes joined by NUL (bytes of other characters are >= 0x80)."""

    buf: np.ndarray
    """The joined bytes (uint8)."""
    start: np.ndarray
    """Token start offsets in `buf` (int64), increasing."""
    end: np.ndarray
    """Token end offsets (exclusive)."""
    article: np.ndarray
    """Which text each token is in (int64)."""
    paragraph: np.ndarray
    """Newlines in `buf` before each token: a paragraph number across the batch."""
    first_byte: np.ndarray
    """The first byte of each token (a digit or a letter)."""
    newlines_total: int
    article_newlines_before: np.ndarray
    """Newlines before each text's start."""

    @classmethod
    def of(cls, texts: list[str]) -> _Tokens:
        encoded = [t.encode() for t in texts]
        offsets = np.cumsum([0] + [len(e) + 1 for e in encoded])
        buf = np.frombuffer(b"\x00".join(encoded) + b"\x00", dtype=np.uint8)
        start, end = _token_spans(buf)
        newline = np.cumsum(buf == 10)
        before = np.r_[0, newline][offsets[:-1]]
        return cls(
            buf=buf,
            start=start,
            end=end,
            article=np.searchsorted(offsets, start, side="right") - 1,
            paragraph=newline[start] if len(start) else start,
            first_byte=buf[start],
            newlines_total=int(newline[-1]) if len(newline) else 0,
            article_newlines_before=before,
        )

    def keys(self) -> np.ndarray:
        """A 64-bit polynomial hash of each token's bytes (equal words, equal keys)."""
        n = len(self.buf)
        power = np.cumprod(np.r_[np.uint64(1), np.full(n, _POLY, dtype=np.uint64)])
        prefix = np.r_[np.uint64(0), np.cumsum(self.buf.astype(np.uint64) * power[:n])]
        raw = (prefix[self.end] - prefix[self.start]) * power[n - self.start]
        return raw ^ ((self.end - self.start).astype(np.uint64) * _LENGTH_MIX)


def _token_spans(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Letter runs, and digit runs joined in pairs across a single "." (the regex is greedy from
    the left: "1.2.3.4" is "1.2" and "3.4", "1.2.3" is "1.2" and "3")."""
    a_start, a_end = _runs((buf >= 97) & (buf <= 122))
    d_start, d_end = _runs((buf >= 48) & (buf <= 57))
    if len(d_start) > 1:
        link = (d_start[1:] == d_end[:-1] + 1) & (buf[d_end[:-1]] == 46)
        chain_start = np.r_[True, ~link]
        first_in_chain = np.flatnonzero(chain_start)[np.cumsum(chain_start) - 1]
        even = (np.arange(len(d_start)) - first_in_chain) % 2 == 0
        merged = np.r_[link, False] & even
        d_end = np.where(merged, np.r_[d_end[1:], 0], d_end)[even]
        d_start = d_start[even]
    start = np.concatenate([a_start, d_start])
    end = np.concatenate([a_end, d_end])
    order = np.argsort(start, kind="stable")
    return start[order], end[order]


def _group_starts(*columns: np.ndarray) -> np.ndarray:
    """True where a row of sorted `columns` differs from the row before (and at the first)."""
    new = np.zeros(len(columns[0]), dtype=bool)
    new[:1] = True
    for column in columns:
        new[1:] |= column[1:] != column[:-1]
    return new


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.diff(np.r_[np.int8(0), mask.view(np.int8), np.int8(0)])
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _hash_words(
    body: _Tokens, head: _Tokens
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each distinct word hashed once: (body word ids, head word ids, word hash of each id for
    shingles, term hash of each id for related, 0 for words that are no term)."""
    keys = np.concatenate([body.keys(), head.keys()])
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    nb = len(body.start)
    known = _KEYS.get
    found = [known(k) for k in unique.tolist()]
    body_bytes, head_bytes = body.buf.tobytes(), head.buf.tobytes()
    get = _HASHES.get
    for k, at in enumerate(first.tolist()):
        if found[k] is not None:
            continue
        if at < nb:
            word = body_bytes[body.start[at] : body.end[at]].decode("ascii")
        else:
            word = head_bytes[head.start[at - nb] : head.end[at - nb]].decode("ascii")
        term = stem(word) if len(word) >= 3 and word[0] >= "a" else ""
        found[k] = (get(word) or _word_hash(word), _term_hash(term) if term else 0)
        if len(_KEYS) > 1 << 21:
            _KEYS.clear()
        _KEYS[int(unique[k])] = found[k]
    pairs = np.array(found, dtype=np.uint64).reshape(-1, 2)
    word_hash, term_hash = pairs[:, 0], pairs[:, 1]
    inverse = inverse.ravel()
    return inverse[:nb], inverse[nb:], word_hash, term_hash
