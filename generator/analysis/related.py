"""Article* -> related stories: TF-IDF cosine similarity, computed in chunks of sparse products.

Every article is compared with one representative per story (a story's earliest version, which is
also its main one; an article in no story represents itself), never with its own story. Terms are
normalised words of the headline (counted twice: it names the subject) and the body, without stop
words and without terms so common they say nothing. Weights are sublinear tf times smooth idf;
rows are L2-normalised so that a product of rows is the cosine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
from scipy import sparse

from ..config import RelatedSettings
from ..model import Article
from .fingerprint import VARIANTS, normalise

_WORD = re.compile(r"[a-z]{3,}")
_CHUNK = 2048
#: Terms per article used to shortlist candidates (then scored exactly on every term).
_QUERY_TERMS = 24
#: In a small archive every word is "common"; max_df starts to drop terms above this many articles.
_MIN_COMMON = 20

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


def find_related(
    articles: Sequence[Article], story_of: Mapping[str, str], settings: RelatedSettings
) -> dict[str, tuple[str, ...]]:
    """Article id -> up to `settings.count` related article ids (other stories), best first.

    Every article gets an entry; it is empty when nothing scores `settings.min_score` or more.
    """
    ordered = sorted({a.id: a for a in articles}.values(), key=lambda a: a.id)
    if not ordered:
        return {}
    index = {a.id: i for i, a in enumerate(ordered)}
    group = [story_of.get(a.id, a.id) for a in ordered]
    rep_of_group = {g: index[g] for g in sorted(set(group)) if g in index}
    for i, g in enumerate(group):
        rep_of_group.setdefault(g, i)
    reps = np.array(sorted(rep_of_group.values()), dtype=np.int64)
    own = np.searchsorted(reps, [rep_of_group[g] for g in group])

    matrix = tfidf_matrix([_terms(a) for a in ordered], settings.max_df)
    targets = matrix[reps].T.tocsr()
    queries = _top_terms(matrix, _QUERY_TERMS)
    shortlist = settings.count * 4
    result: dict[str, tuple[str, ...]] = {}
    for start in range(0, len(ordered), _CHUNK):
        rough = (queries[start : start + _CHUNK] @ targets).tocsr()
        rows, cols = [], []
        for row in range(rough.shape[0]):
            lo, hi = rough.indptr[row], rough.indptr[row + 1]
            found, vals = rough.indices[lo:hi], rough.data[lo:hi]
            keep = found != own[start + row]
            found, vals = found[keep], vals[keep]
            if len(found) > shortlist:
                found = found[np.argpartition(-vals, shortlist - 1)[:shortlist]]
            rows.append(np.full(len(found), start + row))
            cols.append(found)
        left, right = np.concatenate(rows), np.concatenate(cols)
        exact = np.asarray(matrix[left].multiply(matrix[reps[right]]).sum(axis=1)).ravel()
        bounds = np.searchsorted(left, np.arange(start, start + rough.shape[0] + 1))
        for row in range(rough.shape[0]):
            lo, hi = bounds[row], bounds[row + 1]
            best = sorted(
                (-round(float(v), 9), ordered[reps[c]].id)
                for c, v in zip(right[lo:hi], exact[lo:hi], strict=True)
                if v >= settings.min_score
            )
            i = start + row
            result[ordered[i].id] = tuple(article_id for _, article_id in best[: settings.count])
    return result


def _top_terms(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Each row cut to its `keep` heaviest terms: the shortlist query, cheap at 100k articles."""
    pruned = matrix.copy()
    for row in range(pruned.shape[0]):
        lo, hi = pruned.indptr[row], pruned.indptr[row + 1]
        if hi - lo > keep:
            values = pruned.data[lo:hi]
            values[values < np.partition(values, hi - lo - keep)[hi - lo - keep]] = 0.0
    pruned.eliminate_zeros()
    return pruned


def tfidf_matrix(documents: Sequence[Sequence[str]], max_df: float) -> sparse.csr_matrix:
    """Rows of L2-normalised sublinear TF-IDF weights; terms in one document or in more than
    `max_df` of them count towards the norm but are dropped from the matrix (they link nothing)."""
    vocabulary: dict[str, int] = {}
    indptr = [0]
    indices: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    for terms in documents:
        ids = np.fromiter(
            (vocabulary.setdefault(t, len(vocabulary)) for t in terms),
            dtype=np.int64,
            count=len(terms),
        )
        unique, count = np.unique(ids, return_counts=True)
        indices.append(unique)
        counts.append(count)
        indptr.append(indptr[-1] + len(unique))
    columns = np.concatenate(indices) if indices else np.empty(0, dtype=np.int64)
    tf = np.concatenate(counts).astype(np.float64) if counts else np.empty(0)
    n = len(documents)
    df = np.bincount(columns, minlength=len(vocabulary))
    idf = np.log((1 + n) / (1 + df)) + 1.0
    weights = (1.0 + np.log(tf)) * idf[columns]
    rows = np.repeat(np.arange(n), np.diff(indptr))
    norms = np.sqrt(np.bincount(rows, weights=weights * weights, minlength=n))
    weights = weights / np.where(norms > 0, norms, 1.0)[rows]
    useful = (df[columns] >= 2) & (df[columns] <= max(_MIN_COMMON, max_df * n))
    return sparse.csr_matrix(
        (weights[useful], (rows[useful], columns[useful])), shape=(n, max(1, len(vocabulary)))
    )


def _terms(article: Article) -> list[str]:
    """Headline twice (it names the subject), standfirst and body; one normalise call."""
    text = "\n".join((article.title, article.title, article.dek, *article.paragraphs))
    return [s for w in _WORD.findall(normalise(text)) if (s := _stem(w))]


@lru_cache(maxsize=1 << 18)
def _stem(word: str) -> str:
    """Stop words out, spelling variants folded, plurals made singular (crudely, consistently)."""
    if word in STOP_WORDS:
        return ""
    word = VARIANTS.get(word, word)
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
