"""Article* -> Story*: which articles are versions of one piece of journalism.

Three steps, so that 100,000 articles take seconds and not hours:

1. Candidates: every article keeps a fixed sample of its shingles (those whose hash is 0 modulo
   `sample_every`, the same shingles in every article: a containment-preserving sketch). An
   inverted index of samples yields the pairs that share enough of them; no all-pairs loop.
2. Verification: the precise test on each candidate pair is paragraph coverage: the share of the
   shorter text's words that sit in paragraphs found almost whole in the other. It survives what
   versions do (new headline, added or cut paragraphs, promo lines, Kiev for Kyiv) and rejects
   what different stories share (names, a quote, a sentence of background).
3. Grouping: union-find over verified pairs, strongest first; a weak link joins two groups only if
   each side also matches the other group's anchor (its earliest version), so that a long round-up
   cannot chain unrelated short pieces into one story.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import overload

import numpy as np

from ..config import VersionSettings
from ..model import (
    UNDATED,
    Article,
    Story,
    Version,
    VersionKind,
    When,
    pickled_by_fields,
    when_order,
)
from . import candidates
from .arrays import distinct
from .features import ArticleFeatures, compute_features
from .fingerprint import Fingerprint
from .parallel import map_inherited

#: Candidate pairs whose shared shingles are counted in one sparse product (bounds memory).
_PAIR_CHUNK = 65536
#: Columns of the shingle matrix of `_enough_shared`: hashes are taken modulo this prime.
_COLUMNS = np.uint64(2**31 - 1)
#: Articles whose shared samples with all others are counted in one sparse product.
_CANDIDATE_ROWS = 4096
#: Pairs up to this many have their shared shingles counted one by one (no sparse product).
_FEW_PAIRS = 256


@pickled_by_fields  # the memo holds one per compared pair: 50,000 at 100,000 articles
@dataclass(frozen=True, slots=True)
class Match:
    """How much of each of two texts is found in the other."""

    shorter: float
    """Paragraph coverage of the shorter text (by words): the test for being one story."""
    longer: float
    """Paragraph coverage of the longer text: high when neither text adds much."""
    shared: int
    """Distinct shingles the two texts share."""
    containment: float
    """Shared shingles over the distinct shingles of the text with fewer: catches versions edited
    in every paragraph, where no single paragraph survives whole."""
    numbers_agree: bool
    """Every number of the shorter text is also in the longer (for short texts the numbers are
    the news: a price cut of 0.25 and one of 0.50 are two stories told in one template)."""


@dataclass(frozen=True, slots=True, eq=False)
class VersionMemo:
    """What grouping worked out that depends on single texts or pairs of texts only, by each
    text's content key (its features' cache key): each article's sampled shingles, and the
    verdict on each candidate pair (None: too little shared to compare; else the match). An
    edit then samples and compares only its own article: grouping 11,000 articles again took
    0.4-0.6 s of an edit, and needed every article's features read from the cache."""

    settings: VersionSettings
    samples: dict[str, np.ndarray]
    verdicts: dict[tuple[str, str], Match | None]
    candidates: candidates.Candidates | None = None
    """The candidate pairs, kept to be updated rather than found again (candidates.py)."""

    def __getstate__(self) -> tuple[object, ...]:
        """The samples as one array (pickling 11,000 small arrays took 0.05 s each way)."""
        keys = list(self.samples)
        lengths = np.fromiter((len(self.samples[k]) for k in keys), np.int64, len(keys))
        joined = np.concatenate([self.samples[k] for k in keys]) if keys else _NONE
        return self.settings, keys, lengths, joined, self.verdicts, self.candidates

    def __setstate__(self, state: tuple[object, ...]) -> None:
        settings, keys, lengths, joined, verdicts, found = state
        assert isinstance(keys, list) and isinstance(lengths, np.ndarray)
        assert isinstance(joined, np.ndarray)
        ends = np.cumsum(lengths).tolist()
        starts = [0, *ends][:-1]
        arrays = [joined[a:b] for a, b in zip(starts, ends, strict=True)]  # np.split: 3x slower
        object.__setattr__(self, "settings", settings)
        object.__setattr__(self, "samples", dict(zip(keys, arrays, strict=True)))
        object.__setattr__(self, "verdicts", verdicts)
        object.__setattr__(self, "candidates", found)


def group_stories(
    articles: Sequence[Article],
    settings: VersionSettings,
    features: Mapping[str, ArticleFeatures] | None = None,
    jobs: int = 1,
) -> list[Story]:
    """Stories with two or more versions (plus any forced by front matter `story`), ordered by id.

    Articles sharing a front-matter `story` key are one story whatever their text; articles with
    different keys are never joined; `standalone` articles are never grouped. A forced key held by
    a single article, with no other version found, makes no story. `features` (by article id,
    made with this shingle size) saves computing them; missing ones are computed here. The
    precise test runs on `jobs` processes when there are many candidate pairs.
    """
    return find_stories(articles, settings, features, jobs)[0]


def find_stories(
    articles: Sequence[Article],
    settings: VersionSettings,
    features: Mapping[str, ArticleFeatures] | None = None,
    jobs: int = 1,
    keys: Mapping[str, str] | None = None,
    previous: VersionMemo | None = None,
) -> tuple[list[Story], VersionMemo | None]:
    """`group_stories`, with its memo. Given each article's content key (`keys`, by id), the
    `previous` memo's samples and verdicts stand for unchanged texts; features are read (from
    a lazily loading mapping) only for the rest. The stories are those found from nothing."""
    ordered = sorted({a.id: a for a in articles if not a.standalone}.values(), key=lambda a: a.id)
    if not ordered:
        return [], None
    prints = fingerprints(ordered, settings.shingle_size, features)
    content = [keys[a.id] for a in ordered] if keys is not None else None
    memo = previous if previous is not None and previous.settings == settings else None
    samples = _samples(prints, settings.sample_every, content, memo)
    found = _candidates([a.id for a in ordered], content, samples, memo, settings)
    pairs = found.pairs if found is not None else _pairs_from_nothing(samples, settings)[0]
    pairs = pairs[_dates_close_all(ordered, pairs, settings.max_days_apart)]
    verdicts = _verdicts(prints, pairs, settings, jobs, content, memo)
    finder = _Groups(ordered, prints, settings)
    for (i, j), match in zip(pairs.tolist(), verdicts, strict=True):
        if match is None:
            continue
        finder.compared[i, j] = match
        if is_version(match, settings):
            finder.add_link(i, j, match)
    members = finder.groups()
    stories = sorted((make_story([ordered[i] for i in m]) for m in members), key=lambda s: s.id)
    if content is None:
        return stories, None
    if (
        memo is not None
        and found is memo.candidates
        and len(memo.samples) == len(set(content))
        and all((content[i], content[j]) in memo.verdicts for i, j in pairs.tolist())
        and len(memo.verdicts) == len(pairs)
        and all(key in memo.samples for key in content)
    ):
        return stories, memo  # nothing new: the next build can use it as it is
    made = VersionMemo(
        settings,
        dict(zip(content, samples, strict=True)),
        {
            (content[i], content[j]): match
            for (i, j), match in zip(pairs.tolist(), verdicts, strict=True)
        },
        found,
    )
    return stories, made


def _candidates(
    ids: list[str],
    content: list[str] | None,
    samples: list[np.ndarray],
    memo: VersionMemo | None,
    settings: VersionSettings,
) -> candidates.Candidates | None:
    """The candidate pairs with what decides them, updated from the memo's where it can be
    done exactly, else found from nothing; None without content keys (nothing to keep)."""
    if content is None:
        return None
    if memo is not None and memo.candidates is not None:
        updated = candidates.update(memo.candidates, ids, content, samples, memo.samples, settings)
        if updated is not None:
            return updated
    pairs, (_, column, sampled) = _pairs_from_nothing(samples, settings)
    return candidates.Candidates.of(ids, content, pairs, sampled, column)


def _pairs_from_nothing(
    samples: list[np.ndarray], settings: VersionSettings
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """`candidate_pairs_of` every article's samples, and the columns it was given."""
    columns = _sample_columns(samples)
    return candidate_pairs_of(*columns, len(samples), settings), columns


def _samples(
    prints: Fingerprints, every: int, content: list[str] | None, memo: VersionMemo | None
) -> list[np.ndarray]:
    """Each article's distinct sampled shingles, sorted: from the memo where its text is
    unchanged, else from its features."""
    if memo is None or content is None:
        return prints.samples(every)
    found = [memo.samples.get(key) for key in content]
    missing = [i for i, sample in enumerate(found) if sample is None]
    prints.prefetch(missing)
    step = np.uint64(every)
    for i in missing:
        shingles = prints.features_of(i).shingles
        found[i] = distinct(shingles[shingles % step == 0])  # np.unique would import np.ma
    return found  # type: ignore[return-value]


def _sample_columns(samples: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(article, sample) pairs sorted by article then sample, with the sorted distinct sample
    hashes that `sample` indexes."""
    lengths = np.fromiter((len(s) for s in samples), np.int64, len(samples))
    hashes = np.concatenate(samples) if len(samples) else _NONE
    owner = np.repeat(np.arange(len(samples), dtype=np.int64), lengths)
    sampled, column = np.unique(hashes, return_inverse=True)
    return owner, column.ravel().astype(np.int64), sampled


def _verdicts(
    prints: Fingerprints,
    pairs: np.ndarray,
    settings: VersionSettings,
    jobs: int,
    content: list[str] | None,
    memo: VersionMemo | None,
) -> list[Match | None]:
    """For each pair: None when it shares too little to be compared, else its match. Pairs
    of unchanged texts take the memo's verdict."""
    verdicts: list[Match | None] = [None] * len(pairs)
    todo = np.arange(len(pairs))
    if memo is not None and content is not None:
        unknown = []
        for n, (i, j) in enumerate(pairs.tolist()):
            key = (content[i], content[j])
            if key in memo.verdicts:
                verdicts[n] = memo.verdicts[key]
            else:
                unknown.append(n)
        todo = np.array(unknown, dtype=np.int64)
    prints.prefetch(distinct(pairs[todo]).tolist() if len(todo) else [])
    enough = todo[_enough_shared(prints, pairs[todo], settings)]
    matches = compare_pairs(prints, pairs[enough], settings.paragraph_similarity, jobs)
    for n, match in zip(enough.tolist(), matches, strict=True):
        verdicts[n] = match
    return verdicts


def fingerprints(
    articles: Sequence[Article],
    shingle_size: int,
    features: Mapping[str, ArticleFeatures] | None = None,
) -> Fingerprints:
    """The fingerprint of each article, from `features` where given, else computed (features
    given are read only when needed: a lazily loading mapping is not read whole)."""
    given = features or {}
    missing = [a for a in articles if a.id not in given]
    made = dict(zip((a.id for a in missing), compute_features(missing, shingle_size), strict=True))
    return Fingerprints([a.id for a in articles], given, made)


class Fingerprints(Sequence[Fingerprint]):
    """Each article's fingerprint, made when first asked for: only articles in a candidate pair
    need one (at 11,000 articles, making all of them took 0.5 s of an edit's rebuild)."""

    def __init__(
        self,
        ids: list[str],
        given: Mapping[str, ArticleFeatures],
        made: Mapping[str, ArticleFeatures] | None = None,
    ) -> None:
        self.ids = ids
        self.given = given
        self.made = made or {}
        self._made: dict[int, Fingerprint] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def features_of(self, index: int) -> ArticleFeatures:
        article_id = self.ids[index]
        made = self.made.get(article_id)
        return made if made is not None else self.given[article_id]

    def prefetch(self, indexes: list[int]) -> None:
        """Read these articles' features at once from a lazily loading mapping (one `load`)."""
        load = getattr(self.given, "load", None)
        if load is not None and indexes:
            load([self.ids[i] for i in indexes if self.ids[i] not in self.made])

    @overload
    def __getitem__(self, index: int) -> Fingerprint: ...
    @overload
    def __getitem__(self, index: slice) -> list[Fingerprint]: ...
    def __getitem__(self, index: int | slice) -> Fingerprint | list[Fingerprint]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        made = self._made.get(index)
        if made is None:
            f = self.features_of(index)
            made = Fingerprint.of(f.shingles, f.paragraph_of, f.paragraph_words, f.numbers)
            self._made[index] = made
        return made

    def samples(self, every: int) -> list[np.ndarray]:
        """Each article's distinct shingles whose hash is 0 modulo `every`, sorted: one pass
        over every article at once (one per article took 0.3 s at 11,000 articles)."""
        self.prefetch(list(range(len(self))))
        features = [self.features_of(i) for i in range(len(self))]
        step = np.uint64(every)
        lengths = np.fromiter((len(f.shingles) for f in features), np.int64, len(self))
        hashes = np.concatenate([f.shingles for f in features]) if len(self) else _NONE
        owner = np.repeat(np.arange(len(self), dtype=np.int64), lengths)
        picked = hashes % step == 0
        sampled, column = np.unique(hashes[picked], return_inverse=True)
        width = max(1, len(sampled))
        pairs = distinct(owner[picked] * width + column.ravel())
        owners, values = pairs // width, sampled[pairs % width]
        return np.split(values, np.searchsorted(owners, np.arange(1, len(self))))


_NONE = np.empty(0, dtype=np.uint64)


def _dates_close_all(articles: Sequence[Article], pairs: np.ndarray, max_days: int) -> np.ndarray:
    """`_dates_close` for every pair at once (undated articles are close to everything)."""
    days = np.array(
        [_day(a.date).toordinal() if a.date is not None else -1 for a in articles], dtype=np.int64
    )
    left, right = days[pairs[:, 0]], days[pairs[:, 1]]
    return (left < 0) | (right < 0) | (np.abs(left - right) <= max_days)


def _enough_shared(
    prints: Sequence[Fingerprint], pairs: np.ndarray, settings: VersionSettings
) -> np.ndarray:
    """Which pairs could pass `is_version`: every way through it needs `min_shared_shingles`
    shared shingles and a containment of two thirds of the threshold. Shared shingles are
    counted for all pairs at once, as a row-wise product of a sparse article x shingle matrix
    whose columns are the shingle hashes modulo a 31-bit prime: no table of every shingle is
    built, and a rare collision can only let a pair through to the precise test, never keep
    one out. An edit's few pairs are counted one pair at a time, to the same counts."""
    threshold = settings.containment_threshold
    if not len(pairs) or threshold < 0:
        return np.ones(len(pairs), dtype=bool)
    involved = distinct(pairs)
    sizes = np.zeros(len(prints), dtype=np.int64)
    sizes[involved] = [len(prints[i].unique) for i in involved.tolist()]
    row_of = np.zeros(len(prints), dtype=np.int64)
    row_of[involved] = np.arange(len(involved))
    columns = [distinct((prints[i].unique % _COLUMNS).astype(np.int32)) for i in involved.tolist()]
    pairs = row_of[pairs]
    if len(pairs) <= _FEW_PAIRS:  # an edit's: counted one by one, without loading scipy
        shared = np.fromiter(
            (
                len(np.intersect1d(columns[i], columns[j], assume_unique=True))
                for i, j in pairs.tolist()
            ),
            dtype=np.int64,
            count=len(pairs),
        )
    else:
        lengths = np.fromiter((len(c) for c in columns), dtype=np.int64, count=len(columns))
        joined = np.concatenate(columns)
        del columns  # only the joined copy is held while the products are made
        shared = _shared_columns(joined, lengths, pairs)
    fewer = np.minimum(sizes[involved][pairs[:, 0]], sizes[involved][pairs[:, 1]])
    containment = np.where(fewer > 0, shared / np.maximum(fewer, 1), 0.0)
    return (shared >= settings.min_shared_shingles) & (containment >= threshold * 2 / 3)


def _shared_columns(joined: np.ndarray, lengths: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """For each pair of rows (each row's sorted distinct columns, `lengths` of them in turn
    in `joined`), how many columns the two share: a row-wise product of a sparse matrix."""
    from scipy import sparse  # here: an edit's process never needs it (candidates.py)

    # Rows sorted and without repeats (canonical): scipy's products then never allocate
    # anything as wide as the 2**31 columns.
    matrix = sparse.csr_matrix(
        (
            np.ones(int(lengths.sum()), dtype=np.float32),
            joined,
            np.r_[0, np.cumsum(lengths)],
        ),
        shape=(len(lengths), int(_COLUMNS)),
    )
    shared = np.empty(len(pairs), dtype=np.int64)
    for start in range(0, len(pairs), _PAIR_CHUNK):
        chunk = pairs[start : start + _PAIR_CHUNK]
        product = matrix[chunk[:, 0]].multiply(matrix[chunk[:, 1]])
        shared[start : start + len(chunk)] = np.asarray(product.sum(axis=1)).ravel()
    return shared


def candidate_pairs_of(
    owner: np.ndarray,
    column: np.ndarray,
    sampled: np.ndarray,
    count: int,
    settings: VersionSettings,
) -> np.ndarray:
    """Pairs (i, j), i < j, of `count` articles sharing enough sampled shingles to be worth the
    precise test, in order; (owner, column) are each article's samples (see `_sample_columns`).

    Samples shared by more than `max_shared_sample` articles are boilerplate (a sign-off, a
    recurring table) and are ignored. A pair is a candidate when its shared samples are at least
    `candidate_threshold` of the smaller article's samples: an estimate of containment. Shared
    samples are counted by a sparse product of the article x sample matrix with itself, a block
    of rows at a time: memory grows with the pairs found, not with the copies of a text.
    """
    if not len(owner):
        return np.empty((0, 2), dtype=np.int64)
    from scipy import sparse  # here: an edit's process never needs it (candidates.py)

    sizes = np.bincount(owner, minlength=count)
    df = np.bincount(column, minlength=len(sampled))
    useful = (df[column] >= 2) & (df[column] <= settings.max_shared_sample)
    matrix = sparse.csr_matrix(
        (np.ones(int(useful.sum()), dtype=np.float32), (owner[useful], column[useful])),
        shape=(count, len(df)),
    )
    transposed = matrix.T.tocsr()
    found = []
    for start in range(0, count, _CANDIDATE_ROWS):
        shared = (matrix[start : start + _CANDIDATE_ROWS] @ transposed).tocoo()
        left, right = shared.row.astype(np.int64) + start, shared.col.astype(np.int64)
        upper = right > left
        left, right, count = left[upper], right[upper], shared.data[upper]
        smaller = np.minimum(sizes[left], sizes[right])
        keep = count >= np.maximum(1, settings.candidate_threshold * smaller)
        found.append(np.stack([left[keep], right[keep]], axis=1))
    pairs = np.concatenate(found)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


#: Fewer candidate pairs than this are compared in-process: forking would cost more.
_PARALLEL_PAIRS = 20_000


def compare_pairs(
    prints: Sequence[Fingerprint], pairs: np.ndarray, paragraph_similarity: float, jobs: int = 1
) -> list[Match]:
    """`compare` for every pair (rows of `pairs`), on `jobs` forked processes when there are many:
    it is pure, and the workers inherit the fingerprints instead of receiving them."""
    if len(pairs) < _PARALLEL_PAIRS:
        jobs = 1
    state = (prints, paragraph_similarity)
    done = map_inherited(_compare_chunk, state, np.array_split(pairs, max(1, jobs * 4)), jobs)
    return [Match(*fields) for chunk in done for fields in zip(*chunk, strict=True)]


def _compare_chunk(
    state: tuple[Sequence[Fingerprint], float], pairs: np.ndarray
) -> tuple[list[float], list[float], list[int], list[float], list[bool]]:
    """A worker's share of `compare_pairs`, returned as columns (cheap to send back)."""
    prints, similarity = state
    matches = [compare(prints[i], prints[j], similarity) for i, j in pairs.tolist()]
    return (
        [m.shorter for m in matches],
        [m.longer for m in matches],
        [m.shared for m in matches],
        [m.containment for m in matches],
        [m.numbers_agree for m in matches],
    )


def compare(a: Fingerprint, b: Fingerprint, paragraph_similarity: float) -> Match:
    """Paragraph coverage both ways: pure, symmetric in its result, a few tens of microseconds."""
    if a.words > b.words or (a.words == b.words and len(a.unique) > len(b.unique)):
        a, b = b, a
    numbers_agree = _subset(a.numbers, b.numbers)
    if not len(a.unique) or not len(b.unique):
        return Match(0.0, 0.0, 0, 0.0, numbers_agree)
    a_in_b, b_in_a = _found(a.unique, b.unique), _found(b.unique, a.unique)
    shared = int(np.count_nonzero(a_in_b))
    return Match(
        shorter=_coverage(a, a_in_b, paragraph_similarity),
        longer=_coverage(b, b_in_a, paragraph_similarity),
        shared=shared,
        containment=shared / min(len(a.unique), len(b.unique)),
        numbers_agree=numbers_agree,
    )


def is_version(match: Match, settings: VersionSettings) -> bool:
    """The precise test: most of the shorter text is found in the other, paragraph by paragraph
    (or shingle by shingle when edits are spread thin); short texts must agree on numbers."""
    if match.shared < settings.min_shared_shingles:
        return False
    if match.shared < settings.short_text_shingles and not match.numbers_agree:
        return False
    threshold = settings.containment_threshold
    if match.containment >= threshold:
        return True
    # Paragraph coverage also needs two thirds as much in shingles: one long paragraph of shared
    # background in a short text is not a version.
    return match.shorter >= threshold and match.containment >= threshold * 2 / 3


def _subset(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether every value of sorted `a` is in sorted `b`."""
    if not len(a):
        return True
    if len(a) > len(b):
        return False
    at = np.minimum(np.searchsorted(b, a), len(b) - 1)
    return bool((b[at] == a).all())


def _found(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """Which of `values` are in the (non-empty, sorted) `sorted_values`."""
    at = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return sorted_values[at] == values


def _coverage(a: Fingerprint, found: np.ndarray, similarity: float) -> float:
    """Share of a's words in paragraphs whose shingles are mostly (>= similarity) also in the
    other text; `found` says which of a's distinct shingles are."""
    hits = np.bincount(
        a.paragraph_of, weights=found[a.shingle_at], minlength=len(a.paragraph_words)
    )
    total = a.paragraph_shingles
    matched = (total > 0) & (hits >= similarity * total)
    return float(a.paragraph_words[matched].sum()) / a.counted_words if a.counted_words else 0.0


def _dates_close(a: When | None, b: When | None, max_days: int) -> bool:
    if a is None or b is None:
        return True
    return abs((_day(a) - _day(b)).days) <= max_days


def _day(when: When) -> dt.date:
    return when.astimezone(dt.UTC).date() if isinstance(when, dt.datetime) else when


class _Groups:
    """Union-find over articles, with forced keys and the anchor check against chaining."""

    def __init__(
        self, articles: Sequence[Article], prints: Sequence[Fingerprint], settings: VersionSettings
    ) -> None:
        self._articles = articles
        self._prints = prints
        self._settings = settings
        self._parent = list(range(len(articles)))
        self._key: dict[int, str] = {}
        self._anchor = list(range(len(articles)))
        self._links: list[tuple[float, int, int, Match]] = []
        self.compared: dict[tuple[int, int], Match] = {}
        """Matches already made, by (i, j) with i < j: the anchor checks ask for many again."""
        by_key: dict[str, list[int]] = defaultdict(list)
        for i, article in enumerate(articles):
            if article.story:
                by_key[article.story].append(i)
        for key in sorted(by_key):
            first, *rest = by_key[key]
            self._key[first] = key
            for other in rest:
                self._union(first, other)

    def add_link(self, i: int, j: int, match: Match) -> None:
        self._links.append((match.shorter + match.longer, i, j, match))

    def groups(self) -> list[list[int]]:
        for _, i, j, match in sorted(self._links, key=lambda x: (-x[0], x[1], x[2])):
            self._join(i, j, match)
        members: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self._articles)):
            members[self._find(i)].append(i)
        return [m for _, m in sorted(members.items()) if len(m) > 1]

    def _join(self, i: int, j: int, match: Match) -> None:
        ri, rj = self._find(i), self._find(j)
        if ri == rj:
            return
        ki, kj = self._key.get(ri), self._key.get(rj)
        if ki is not None and kj is not None and ki != kj:
            return
        strong = match.shorter >= self._settings.strong_link and match.longer >= 0.5
        if strong or (self._near(i, self._anchor[rj]) and self._near(j, self._anchor[ri])):
            self._union(ri, rj)

    def _near(self, i: int, j: int) -> bool:
        """Whether i shares enough with anchor j to join its group through a weaker link."""
        if i == j:
            return True
        a, b = self._articles[i], self._articles[j]
        if not _dates_close(a.date, b.date, self._settings.max_days_apart):
            return False
        match = self.compared.get((min(i, j), max(i, j))) or compare(
            self._prints[i], self._prints[j], self._settings.paragraph_similarity
        )
        return max(match.shorter, match.containment) >= self._settings.chain_threshold

    def _find(self, i: int) -> int:
        parent = self._parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def _union(self, i: int, j: int) -> None:
        ri, rj = self._find(i), self._find(j)
        if ri == rj:
            return
        root, child = min(ri, rj), max(ri, rj)
        self._parent[child] = root
        if child in self._key:
            self._key[root] = self._key.pop(child)
        anchors = (self._anchor[ri], self._anchor[rj])
        self._anchor[root] = min(anchors, key=lambda k: _order_key(self._articles[k]))


def _order_key(article: Article) -> tuple[int, int, str]:
    """Story order: dated first, by date, then id."""
    stamp = when_order(article.date)
    return (0 if stamp != UNDATED else 1, stamp, article.id)


def make_story(members: Sequence[Article]) -> Story:
    """Order versions and name their kinds.

    Rules: versions go by date (undated last), then id. The first is the "original" and the main
    version (so the main is the earliest dated one). A later version is an "update" of the latest
    earlier version from the same publication (or, where a publication is missing, with the same
    authors); otherwise a "syndicated" copy, based on the earlier version it shares most
    paragraphs with, when both name different publications; otherwise a "version" of the
    original (the sources do not say enough to tell).
    """
    ordered = sorted(members, key=_order_key)
    original = ordered[0]
    versions = [Version(original.id, "original", None)]
    for index, article in enumerate(ordered[1:], start=1):
        kind: VersionKind = "version"
        based_on = original.id
        earlier = [e for e in ordered[:index] if _same_source(e, article)]
        if earlier:
            kind, based_on = "update", earlier[-1].id
        elif _publication(article) and _publication(original):
            kind = "syndicated"
            based_on = _closest(article, ordered[:index]).id
        versions.append(Version(article.id, kind, based_on))
    return Story(id=original.id, versions=tuple(versions), main_id=original.id)


def _closest(article: Article, earlier: Sequence[Article]) -> Article:
    """The earlier version sharing most paragraphs word for word: a copy syndicated from the
    afternoon update derives from the update, not the morning original. Ties go to the first."""

    def shared(other: Article) -> int:
        return len(_paragraph_keys(article) & _paragraph_keys(other))

    return max(earlier, key=shared)


def _paragraph_keys(article: Article) -> frozenset[str]:
    return _keys_of(article.paragraphs)


@lru_cache(maxsize=4096)
def _keys_of(paragraphs: tuple[str, ...]) -> frozenset[str]:
    """Cached: a big story's `_closest` asks for the same versions' paragraphs again and again."""
    return frozenset(" ".join(p.casefold().split()) for p in paragraphs)


def _same_source(a: Article, b: Article) -> bool:
    """Same publication; or, where either does not say, the same authors. A copy with the same
    byline in another publication is syndication (wire copy keeps its authors), not an update."""
    if _publication(a) and _publication(b):
        return _publication(a) == _publication(b)
    authors_a = {x.casefold().strip() for x in a.authors}
    return bool(authors_a) and authors_a == {x.casefold().strip() for x in b.authors}


def _publication(article: Article) -> str:
    return _publication_key(article.publication)


@lru_cache(maxsize=4096)
def _publication_key(publication: str) -> str:
    return " ".join(publication.casefold().replace("the ", " ").split())
