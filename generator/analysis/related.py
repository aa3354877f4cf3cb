"""Article* -> related stories: TF-IDF cosine similarity, computed in chunks of sparse products.

Every article is compared with one representative per story (a story's earliest version, which is
also its main one; an article in no story represents itself), never with its own story. Terms are
normalised words of the headline (counted twice: it names the subject) and the body, without stop
words and without terms so common they say nothing. Weights are sublinear tf times smooth idf;
rows are L2-normalised so that a product of rows is the cosine.

Two steps keep 100,000 articles to seconds: a shortlist scored on each article's heaviest terms
against, per term, only the stories weighing it most (an impact-ordered, pruned inverted index),
then the exact cosine on every term for the shortlisted pairs.

An edit of a few articles need not score the whole archive again: `related_index` keeps what it
worked out (a `RelatedIndex`), and given the last one it finds exactly the rows whose answer can
change and scores only those (see `_update`), with the same arithmetic in the same order, so the
answer is the one a computation from nothing gives, to the bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from ..config import RelatedSettings
from ..model import Article
from .arrays import distinct
from .features import STOP_WORDS, ArticleFeatures, compute_features
from .parallel import map_inherited

__all__ = ["STOP_WORDS", "RelatedIndex", "find_related", "related_index", "tfidf_matrix"]

_CHUNK = 2048
#: Fewer articles than this are scored in-process: forking would cost more than it saves.
_PARALLEL_ARTICLES = 8_000
#: Terms per article used to shortlist candidates (then scored exactly on every term).
_QUERY_TERMS = 24
#: Stories per term that the shortlist looks at: those weighing it most. A common term's
#: full list is tens of thousands of stories long at 100k articles and made the shortlist cost
#: 80 s; cut to 200, it costs 10 s and keeps 93% of the links (BBC quality is unchanged).
_POSTINGS = 200
#: In a small archive every word is "common"; max_df starts to drop terms above this many articles.
_MIN_COMMON = 20
#: idf is read from document frequencies in bands a quarter of an octave wide, each starting at
#: a whole number (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 23, ...): one article more or less
#: using a term then seldom changes its weight in every other article (see `_update`), and BBC
#: links stay as good (94% within their own category either way).
_BAND_STARTS = np.unique(np.ceil(2.0 ** (np.arange(4 * 48) / 4)).astype(np.int64))
#: An update that must score more than this share of the rows computes everything again.
_UPDATE_SHARE = 0.25


@dataclass(frozen=True, slots=True)
class _Rows:
    """A list of integer lists, one per row, as two arrays (CSR without values)."""

    indptr: np.ndarray
    values: np.ndarray

    def row(self, i: int) -> np.ndarray:
        return self.values[self.indptr[i] : self.indptr[i + 1]]

    def rows_holding(self, wanted: np.ndarray) -> np.ndarray:
        """The rows that hold any of `wanted`."""
        hit = np.isin(self.values, wanted)
        owners = np.repeat(np.arange(len(self.indptr) - 1), np.diff(self.indptr))
        return distinct(owners[hit])

    def with_rows(self, rows: np.ndarray, replacement: _Rows) -> _Rows:
        """A copy with `rows` (sorted, distinct) replaced by the rows of `replacement`, in
        order."""
        values = _spliced(self.values, self.indptr, rows, replacement.values, replacement.indptr)
        return _Rows(_spliced_indptr(self.indptr, rows, replacement.indptr), values)


def _spliced_indptr(indptr: np.ndarray, rows: np.ndarray, replacement: np.ndarray) -> np.ndarray:
    """The row starts of `_spliced`'s result."""
    counts = np.diff(indptr)
    counts[rows] = np.diff(replacement)
    return np.r_[0, np.cumsum(counts)]


def _spliced(
    values: np.ndarray,
    indptr: np.ndarray,
    rows: np.ndarray,
    replacement: np.ndarray,
    replacement_indptr: np.ndarray,
) -> np.ndarray:
    """`values` (rows laid out by `indptr`) with `rows` (sorted, distinct) replaced, in order,
    by the rows of `replacement`: copied a stretch at a time, the old rows between two
    replaced ones whole. An edit replaces a few rows of millions of values, where a gather
    of every value (an index array as long as they are) took 0.17 s of it at 11,000
    articles."""
    pieces = []
    start = 0
    for i, row in enumerate(rows.tolist()):
        pieces.append(values[start : indptr[row]])
        pieces.append(replacement[replacement_indptr[i] : replacement_indptr[i + 1]])
        start = indptr[row + 1]
    pieces.append(values[start:])
    return np.concatenate(pieces, dtype=np.result_type(values, replacement))


@dataclass(frozen=True, slots=True, eq=False)
class RelatedIndex:
    """Everything `related_index` worked out on the way to its answer: the next build's edit
    updates it instead of starting again. Rows are the articles in id order."""

    ids: tuple[str, ...]
    groups: tuple[str, ...]
    """The story of each row (its own id when it stands alone)."""
    settings: RelatedSettings
    terms: _Rows
    """Each row's term hashes, as its features give them; `counts` beside them."""
    counts: np.ndarray
    vocabulary: np.ndarray
    """Every term hash seen, sorted: a term's column is its place here."""
    df: np.ndarray
    """Articles using each term of the vocabulary."""
    matrix: sparse.csr_matrix
    reps: np.ndarray
    own: np.ndarray
    targets: sparse.csr_matrix
    queries: sparse.csr_matrix
    chosen: _Rows
    """Each row's related articles (rows), best first: the answer."""
    cuts: np.ndarray
    """Each row's shortlist cut: the least rough score its shortlist admits (0 where the
    shortlist holds every story the row's query reaches). An edit that moves a story's rough
    score below the cut, before and after, cannot change the row's answer."""
    keys: tuple[str, ...] | None = None
    """Each row's content key (its features' cache key), where the caller gave them: an
    update then reads the features of the rows whose key changed only."""

    def related(self) -> dict[str, tuple[str, ...]]:
        """Article id -> related article ids, best first."""
        ids, indptr, values = self.ids, self.chosen.indptr.tolist(), self.chosen.values.tolist()
        return {
            article_id: tuple(ids[c] for c in values[indptr[i] : indptr[i + 1]])
            for i, article_id in enumerate(ids)
        }


def find_related(
    articles: Sequence[Article],
    story_of: Mapping[str, str],
    settings: RelatedSettings,
    features: Mapping[str, ArticleFeatures] | None = None,
    jobs: int = 1,
) -> dict[str, tuple[str, ...]]:
    """Article id -> up to `settings.count` related article ids (other stories), best first.

    Every article gets an entry; it is empty when nothing scores `settings.min_score` or more.
    `features` (by article id) saves computing the term counts; missing ones are computed here.
    Chunks of articles are scored on `jobs` forked processes in a large archive.
    """
    found = related_index(articles, story_of, settings, features, jobs)
    return found.related() if found else {}


def related_index(
    articles: Sequence[Article],
    story_of: Mapping[str, str],
    settings: RelatedSettings,
    features: Mapping[str, ArticleFeatures] | None = None,
    jobs: int = 1,
    previous: RelatedIndex | None = None,
    keys: Mapping[str, str] | None = None,
) -> RelatedIndex | None:
    """`find_related`'s answer with what it was found from (None for no articles). Given the
    `previous` index, only the rows an edit can change are scored again where that is exact.
    Given each article's content key (`keys`, by id), only the features of articles whose key
    changed are read (from a lazily loading mapping)."""
    ordered = sorted({a.id: a for a in articles}.values(), key=lambda a: a.id)
    if not ordered:
        return None
    ids = tuple(a.id for a in ordered)
    groups = tuple(story_of.get(i, i) for i in ids)
    given = features or {}
    row_keys = tuple(keys[i] for i in ids) if keys is not None else None
    same_rows = previous is not None and (previous.ids, previous.groups, previous.settings) == (
        ids,
        groups,
        settings,
    )
    if previous is not None and same_rows and row_keys and previous.keys:
        changed = [
            r for r, (a, b) in enumerate(zip(previous.keys, row_keys, strict=True)) if a != b
        ]
        if not changed:
            return previous
        if len(changed) <= _UPDATE_SHARE * len(ids):
            documents = _documents([ordered[r] for r in changed], given)
            rows, fresh = np.array(changed, dtype=np.int64), _term_rows(documents)
            fresh_counts = _Rows(
                fresh.indptr, _concat([d.term_counts for d in documents], np.int32)
            )
            terms = previous.terms.with_rows(rows, fresh)
            patched = _Rows(previous.terms.indptr, previous.counts).with_rows(rows, fresh_counts)
            updated = _update(previous, ids, groups, terms, patched.values, settings)
            if updated is not None:
                return replace(updated, keys=row_keys)
    documents = _documents(ordered, given)
    terms = _term_rows(documents)
    counts = _concat([d.term_counts for d in documents], np.int32)
    if previous is not None:
        updated = _update(previous, ids, groups, terms, counts, settings)
        if updated is not None:
            return replace(updated, keys=row_keys)
    return replace(_compute(ids, groups, terms, counts, settings, jobs), keys=row_keys)


def _documents(
    articles: Sequence[Article], given: Mapping[str, ArticleFeatures]
) -> list[ArticleFeatures]:
    """The articles' features: given (read at once where the mapping loads lazily), or made."""
    load = getattr(given, "load", None)
    if load is not None:
        load([a.id for a in articles if a.id in given])
    missing = [a for a in articles if a.id not in given]
    made = dict(zip((a.id for a in missing), compute_features(missing), strict=True))
    return [made[a.id] if a.id in made else given[a.id] for a in articles]


def _compute(
    ids: tuple[str, ...],
    groups: tuple[str, ...],
    terms: _Rows,
    counts: np.ndarray,
    settings: RelatedSettings,
    jobs: int,
) -> RelatedIndex:
    n = len(ids)
    vocabulary, df = np.unique(terms.values, return_counts=True)
    matrix = _weigh(terms, counts, vocabulary, df, n, settings.max_df)
    rep_of_group: dict[str, int] = {}
    for i, (article_id, group) in enumerate(zip(ids, groups, strict=True)):
        if group == article_id or group not in rep_of_group:
            rep_of_group[group] = i
    reps = np.array(sorted(rep_of_group.values()), dtype=np.int64)
    own = np.searchsorted(reps, [rep_of_group[g] for g in groups])
    targets = _largest_per_row(matrix[reps].T.tocsr(), _POSTINGS)
    queries = _largest_per_row(matrix, _QUERY_TERMS)
    state = _Scoring(matrix, targets, queries, reps, own, settings)
    starts = range(0, n, _CHUNK)
    chunks = map_inherited(
        _score_rows,
        state,
        [np.arange(s, min(s + _CHUNK, n)) for s in starts],
        jobs if n >= _PARALLEL_ARTICLES else 1,
    )
    return RelatedIndex(
        ids, groups, settings, terms, counts, vocabulary, df, matrix, reps, own, targets,
        queries, _join([c for c, _ in chunks]), np.concatenate([cut for _, cut in chunks]),
    )  # fmt: skip


def _update(
    previous: RelatedIndex,
    ids: tuple[str, ...],
    groups: tuple[str, ...],
    terms: _Rows,
    counts: np.ndarray,
    settings: RelatedSettings,
) -> RelatedIndex | None:
    """The previous index brought up to date with the rows whose terms changed, or None where
    other articles, other stories or other settings make it a new index, or where the edit
    reaches too many rows to be worth it. A changed term's idf moves only when its document
    frequency leaves its band (or the bounds of use): then every row using it is weighed again
    too. Rows whose weights changed are scored again, with every row whose shortlist a story
    whose postings or weights changed was in, or is now in (`_rows_reached`)."""
    if (previous.ids, previous.groups, previous.settings) != (ids, groups, settings):
        return None
    if not len(previous.vocabulary):
        return None
    changed = _changed_rows(previous, terms, counts)
    if not len(changed):
        return previous
    n = len(ids)
    if len(changed) > _UPDATE_SHARE * n:
        return None
    old_terms = np.concatenate([previous.terms.row(i) for i in changed.tolist()])
    new_terms = np.concatenate([terms.row(i) for i in changed.tolist()])
    moved, net = np.unique(np.concatenate([old_terms, new_terms]), return_inverse=True)
    net = np.bincount(net.ravel(), weights=np.r_[-np.ones(len(old_terms)), np.ones(len(new_terms))])
    moved, net = moved[net != 0], net[net != 0].astype(np.int64)
    place = np.searchsorted(previous.vocabulary, moved)
    known = place < len(previous.vocabulary)
    known[known] = previous.vocabulary[place[known]] == moved[known]
    df_before = np.where(known, previous.df[np.minimum(place, len(previous.df) - 1)], 0)
    df_after = df_before + net
    common = max(_MIN_COMMON, settings.max_df * n)
    used_before = (df_before >= 2) & (df_before <= common)
    used_after = (df_after >= 2) & (df_after <= common)
    reweighed = moved[(_banded(df_before) != _banded(df_after)) | (used_before != used_after)]
    # Every row using a term whose weight changed is weighed again, with the edited rows.
    rows_using = _Rows(terms.indptr, terms.values).rows_holding(reweighed)
    weighed = np.union1d(changed, rows_using)
    if len(weighed) > _UPDATE_SHARE * n:
        return None
    vocabulary = np.union1d(previous.vocabulary, moved)
    column_of_old = np.searchsorted(vocabulary, previous.vocabulary)
    df = np.zeros(len(vocabulary), dtype=previous.df.dtype)
    df[column_of_old] = previous.df
    df[np.searchsorted(vocabulary, moved)] = df_after
    matrix = _renumbered(previous.matrix, column_of_old, len(vocabulary))
    queries = _renumbered(previous.queries, column_of_old, len(vocabulary))
    targets = _renumbered_rows(previous.targets, column_of_old, len(vocabulary))

    lengths = [terms.indptr[i + 1] - terms.indptr[i] for i in weighed.tolist()]
    picked = np.concatenate([np.arange(terms.indptr[i], terms.indptr[i + 1]) for i in weighed])
    fresh_terms = _Rows(np.r_[0, np.cumsum(lengths)], terms.values[picked])
    fresh = _weigh(fresh_terms, counts[picked], vocabulary, df, n, settings.max_df)
    matrix = _with_rows(matrix, weighed, fresh)
    queries = _with_rows(queries, weighed, _largest_per_row(fresh, _QUERY_TERMS))
    rescore = [weighed]
    reweighed_reps = np.flatnonzero(np.isin(previous.reps, weighed))
    if len(reweighed_reps):
        new_targets = _largest_per_row(matrix[previous.reps].T.tocsr(), _POSTINGS)
        rescore.append(
            _rows_reached(
                queries, targets, new_targets, reweighed_reps, previous.own, previous.cuts
            )
        )
        targets = new_targets
    rows = distinct(np.concatenate(rescore))
    if len(rows) > _UPDATE_SHARE * n:
        return None
    state = _Scoring(matrix, targets, queries, previous.reps, previous.own, settings)
    chosen, fresh_cuts = _score_rows(state, rows)
    cuts = previous.cuts.copy()
    cuts[rows] = fresh_cuts
    return replace(
        previous,
        terms=terms,
        counts=counts,
        vocabulary=vocabulary,
        df=df,
        matrix=matrix,
        targets=targets,
        queries=queries,
        chosen=previous.chosen.with_rows(rows, chosen),
        cuts=cuts,
    )


def _rows_reached(
    queries: sparse.csr_matrix,
    old_targets: sparse.csr_matrix,
    new_targets: sparse.csr_matrix,
    reweighed: np.ndarray,
    own: np.ndarray,
    cuts: np.ndarray,
) -> np.ndarray:
    """The rows whose answer a change of postings can change: those for which a story whose
    rough score moved (its postings changed) or whose weights changed (`reweighed`, by place
    among the stories) was in the shortlist before or is in it now, its rough score at or
    above the row's cut. Any other row keeps its shortlist, every exact score in it, and so
    its answer. Each rough score is summed over the row's query in the order the full product
    sums it, so it compares with the cut to the bit."""
    moved = distinct(np.concatenate([(new_targets != old_targets).nonzero()[1], reweighed]))
    before = (queries @ old_targets[:, moved]).tocoo()
    after = (queries @ new_targets[:, moved]).tocoo()
    width = len(moved)
    keys_before = before.row.astype(np.int64) * width + before.col
    keys_after = after.row.astype(np.int64) * width + after.col
    keys = distinct(np.concatenate([keys_before, keys_after]))
    score_before, score_after = np.zeros(len(keys)), np.zeros(len(keys))
    score_before[np.searchsorted(keys, keys_before)] = before.data
    score_after[np.searchsorted(keys, keys_after)] = after.data
    rows, story = keys // width, moved[keys % width]
    touched = (score_before != score_after) | np.isin(story, reweighed)
    highest = np.maximum(score_before, score_after)
    reached = touched & (highest > 0) & (highest >= cuts[rows]) & (story != own[rows])
    return distinct(rows[reached])


def _changed_rows(previous: RelatedIndex, terms: _Rows, counts: np.ndarray) -> np.ndarray:
    """Rows whose terms or counts differ from the previous index's."""
    old_lengths, new_lengths = np.diff(previous.terms.indptr), np.diff(terms.indptr)
    changed = old_lengths != new_lengths
    same = ~changed
    in_old, in_new = np.repeat(same, old_lengths), np.repeat(same, new_lengths)
    differs = (previous.terms.values[in_old] != terms.values[in_new]) | (
        previous.counts[in_old] != counts[in_new]
    )
    owners = np.repeat(np.flatnonzero(same), new_lengths[same])
    changed[owners[differs]] = True
    return np.flatnonzero(changed)


@dataclass(frozen=True, slots=True)
class _Scoring:
    """What each chunk of rows reads: forked workers inherit it."""

    matrix: sparse.csr_matrix
    targets: sparse.csr_matrix
    queries: sparse.csr_matrix
    reps: np.ndarray
    own: np.ndarray
    settings: RelatedSettings


def _score_rows(state: _Scoring, rows: np.ndarray) -> tuple[_Rows, np.ndarray]:
    """For each of `rows` (sorted): its related rows, best first, and its shortlist's cut. A
    row's answer reads only its own query, the postings, and its own and the shortlisted
    stories' weights."""
    matrix, reps, settings = state.matrix, state.reps, state.settings
    rough = (state.queries[rows] @ state.targets).tocsr()
    left, right, cuts = _shortlist(rough, state.own[rows], settings.count * 4)
    exact = np.asarray(matrix[rows[left]].multiply(matrix[reps[right]]).sum(axis=1)).ravel()
    good = exact >= settings.min_score
    left, right, exact = left[good], reps[right[good]], exact[good]
    # Best first; equal scores (to 9 places, so that float noise cannot reorder) by id.
    order = np.lexsort((right, -np.round(exact, 9), left))
    left, right = left[order], right[order]
    rank = np.arange(len(left)) - np.searchsorted(left, left)
    left, right = left[rank < settings.count], right[rank < settings.count]
    return _Rows(np.searchsorted(left, np.arange(len(rows) + 1)), right), cuts


def _join(parts: Sequence[_Rows]) -> _Rows:
    """Consecutive blocks of rows as one."""
    ends = np.cumsum([0] + [len(p.values) for p in parts[:-1]])
    indptr = np.concatenate(
        [[0]] + [p.indptr[1:] + end for p, end in zip(parts, ends, strict=True)]
    )
    return _Rows(indptr, np.concatenate([p.values for p in parts]))


def _shortlist(
    rough: sparse.csr_matrix, own: np.ndarray, keep: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, story) pairs: each row's `keep` best-scoring stories, its own story left out; and
    each row's cut, the least score kept (0 where every story is)."""
    counts = np.diff(rough.indptr)
    rows = np.repeat(np.arange(rough.shape[0]), counts)
    data = rough.data.copy()
    data[rough.indices == own[rows]] = 0.0
    cuts = _zero_all_but_largest(rough.indptr, data, keep)
    picked = data > 0
    return rows[picked], rough.indices[picked].astype(np.int64), cuts


def _largest_per_row(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """A copy of `matrix` with each row cut to its `keep` largest values (ties at the cut stay):
    a term's postings cut to the stories weighing it most, an article's terms to its heaviest."""
    pruned = matrix.copy()  # eliminate_zeros rewrites indices and indptr in place
    _zero_all_but_largest(pruned.indptr, pruned.data, keep)
    pruned.eliminate_zeros()
    return pruned


def _zero_all_but_largest(indptr: np.ndarray, data: np.ndarray, keep: int) -> np.ndarray:
    """In place: in each CSR row of `data` longer than `keep`, zero what is below its keep-th
    largest value. Gives each row's keep-th largest value (0 for a row not cut)."""
    cuts = np.zeros(len(indptr) - 1)
    for row in np.flatnonzero(np.diff(indptr) > keep).tolist():
        lo, hi = indptr[row], indptr[row + 1]
        values = data[lo:hi]
        cuts[row] = cut = np.partition(values, hi - lo - keep)[hi - lo - keep]
        values[values < cut] = 0.0
    return cuts


def tfidf_matrix(documents: Sequence[ArticleFeatures], max_df: float) -> sparse.csr_matrix:
    """Rows of L2-normalised sublinear TF-IDF weights; terms in one document or in more than
    `max_df` of them count towards the norm but are dropped from the matrix (they link nothing).
    Columns are the terms in hash order."""
    terms = _term_rows(documents)
    counts = _concat([d.term_counts for d in documents], np.int32)
    vocabulary, df = np.unique(terms.values, return_counts=True)
    return _weigh(terms, counts, vocabulary, df, len(documents), max_df)


def _weigh(
    terms: _Rows,
    counts: np.ndarray,
    vocabulary: np.ndarray,
    df: np.ndarray,
    n: int,
    max_df: float,
) -> sparse.csr_matrix:
    """The TF-IDF rows of `terms` in an archive of `n` articles whose term frequencies are `df`.
    Each row's entries go by column (hash order): its norm is summed in one fixed order, whether
    it is weighed with the whole archive or alone, so scores are the same to the bit."""
    rows_count = len(terms.indptr) - 1
    lengths = np.diff(terms.indptr)
    if not lengths.sum():
        return sparse.csr_matrix((rows_count, max(1, len(vocabulary))))
    columns = np.searchsorted(vocabulary, terms.values)
    rows = np.repeat(np.arange(rows_count), lengths)
    order = np.lexsort((columns, rows))
    columns, tf = columns[order], counts[order].astype(np.float64)
    idf = np.log((1 + n) / (1 + _banded(df))) + 1.0
    weights = (1.0 + np.log(tf)) * idf[columns]
    norms = np.sqrt(np.bincount(rows, weights=weights * weights, minlength=rows_count))
    weights = weights / np.where(norms > 0, norms, 1.0)[rows]
    useful = (df[columns] >= 2) & (df[columns] <= max(_MIN_COMMON, max_df * n))
    return sparse.csr_matrix(
        (weights[useful], (rows[useful], columns[useful])),
        shape=(rows_count, max(1, len(vocabulary))),
    )


def _banded(df: np.ndarray) -> np.ndarray:
    """Each document frequency rounded down to the start of its band (0 stays 0)."""
    return np.where(df > 0, _BAND_STARTS[np.searchsorted(_BAND_STARTS, df, side="right") - 1], 0)


def _term_rows(documents: Sequence[ArticleFeatures]) -> _Rows:
    lengths = np.fromiter((len(d.terms) for d in documents), dtype=np.int64, count=len(documents))
    return _Rows(np.r_[0, np.cumsum(lengths)], _concat([d.terms for d in documents], np.uint64))


def _concat(arrays: Sequence[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.empty(0, dtype)


def _renumbered(
    matrix: sparse.csr_matrix, column_of_old: np.ndarray, width: int
) -> sparse.csr_matrix:
    """The same rows with columns renumbered (in the same order) for a larger vocabulary."""
    if width == matrix.shape[1]:
        return matrix
    return sparse.csr_matrix(
        (matrix.data, column_of_old[matrix.indices], matrix.indptr), shape=(matrix.shape[0], width)
    )


def _renumbered_rows(
    matrix: sparse.csr_matrix, row_of_old: np.ndarray, height: int
) -> sparse.csr_matrix:
    """The same rows at new places (in the same order), empty rows between them."""
    if height == matrix.shape[0]:
        return matrix
    counts = np.zeros(height, dtype=np.int64)
    counts[row_of_old] = np.diff(matrix.indptr)
    return sparse.csr_matrix(
        (matrix.data, matrix.indices, np.r_[0, np.cumsum(counts)]), shape=(height, matrix.shape[1])
    )


def _with_rows(
    matrix: sparse.csr_matrix, rows: np.ndarray, replacement: sparse.csr_matrix
) -> sparse.csr_matrix:
    """A copy of `matrix` with `rows` (sorted) replaced by the rows of `replacement`."""
    old, new = matrix.indptr, replacement.indptr
    data = _spliced(matrix.data, old, rows, replacement.data, new)
    indices = _spliced(matrix.indices, old, rows, replacement.indices, new)
    return sparse.csr_matrix((data, indices, _spliced_indptr(old, rows, new)), shape=matrix.shape)
