"""Precision and recall of version grouping (pairs of articles put in one story), per test set.

    python bench/versions_quality.py [--examples N]

Test sets (read from ../shared at run time):
- clippings: the two real clippings of one Washington Post story (1 true pair).
- bbc: the 2,225 BBC stories; truth = the corpus' own duplicates (same headline or same body).
  Hard negatives: hundreds of stories on one subject (one election, one company, one match).
- bbc+derived: BBC plus 1-4 derived versions of 400 stories (updates, syndicated copies, copy
  edits; see bench/corpus.py); truth = families plus duplicates.
- wikinews+derived: 295 Wikinews articles, each with derived versions.
- reuters: 19,043 Reuters stories. Truth is a proxy: same headline (CORRECTED marks ignored)
  within 7 days. Re-sends under a new headline count as false positives here and recurring
  reports under one headline (weekly tables) within 7 days as misses, so read the examples.
  "recurring" counts grouped pairs among same-headline stories more than 7 days apart (should
  be 0: the SEC filings list, weekly money supply...).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import corpus
from generator.analysis.versions import group_stories
from generator.config import VersionSettings
from generator.model import Article
from tests.analysis.clippings import clipping_paths, read_clipping

Pair = tuple[str, str]


def pairs_of(groups: Iterable[Sequence[str]]) -> set[Pair]:
    result = set()
    for group in groups:
        ids = sorted(set(group))
        result.update((a, b) for n, a in enumerate(ids) for b in ids[n + 1 :])
    return result


def closure(links: Iterable[Pair]) -> list[list[str]]:
    """Groups joined by any chain of links (the truth is transitive, like the stories)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = defaultdict(list)
    for x in list(parent):
        groups[find(x)].append(x)
    return list(groups.values())


def evaluate(
    name: str,
    articles: Sequence[Article],
    truth: set[Pair],
    settings: VersionSettings,
    examples: int,
    extra: str = "",
) -> set[Pair]:
    start = time.perf_counter()
    stories = group_stories(articles, settings)
    seconds = time.perf_counter() - start
    found = pairs_of(s.article_ids for s in stories)
    hits = len(found & truth)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth) if truth else 1.0
    print(
        f"{name:18} articles {len(articles):6}  true pairs {len(truth):5}  found {len(found):5}  "
        f"precision {precision:6.1%}  recall {recall:6.1%}  ({seconds:.1f} s){extra}"
    )
    by_id = {a.id: a for a in articles}
    for label, pairs in (("false positive", found - truth), ("missed", truth - found)):
        for a, b in sorted(pairs)[:examples]:
            print(f"    {label}: {a} {by_id[a].title[:50]!r} ~ {b} {by_id[b].title[:50]!r}")
    return found


def bbc_duplicates(articles: Sequence[Article]) -> set[Pair]:
    by_title: dict[str, list[str]] = defaultdict(list)
    by_body: dict[str, list[str]] = defaultdict(list)
    for a in articles:
        by_title[a.title.strip().lower()].append(a.id)
        by_body[" ".join(a.text.split()).lower()].append(a.id)
    return pairs_of([*by_title.values(), *by_body.values()])


def family_pairs(rows: Iterable[tuple[Article, str]]) -> set[Pair]:
    families: dict[str, list[str]] = defaultdict(list)
    for article, family in rows:
        families[family].append(article.id)
    return pairs_of(families.values())


_CORRECTED = re.compile(r"^CORRECTED\s*-\s*|\s*\(CORRECTED\)|\s*-\s*CORRECTED$")


def reuters_truth(articles: Sequence[Article], days: int) -> tuple[set[Pair], set[Pair]]:
    """(same headline within `days`, same headline further apart)."""
    by_title: dict[str, list[Article]] = defaultdict(list)
    for a in articles:
        by_title[" ".join(_CORRECTED.sub("", a.title.upper()).split())].append(a)
    near, far = set(), set()
    for group in by_title.values():
        for n, a in enumerate(group):
            for b in group[n + 1 :]:
                pair = (min(a.id, b.id), max(a.id, b.id))
                gap = abs(a.date - b.date) if a.date and b.date else dt.timedelta(0)  # type: ignore[operator]
                (near if gap <= dt.timedelta(days=days) else far).add(pair)
    return near, far


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=3, help="errors to show per test set")
    parser.add_argument("--skip-reuters", action="store_true")
    args = parser.parse_args()
    corpus.require_shared()
    settings = VersionSettings()
    print(f"settings: {settings}")

    paths = clipping_paths()
    clips = [read_clipping(paths[0]), read_clipping(paths[1], date=dt.date(2025, 3, 19))]
    evaluate("clippings", clips, {(clips[0].id, clips[1].id)}, settings, args.examples)

    bbc = [a for a, _ in corpus.bbc()]
    dupes = bbc_duplicates(bbc)
    evaluate("bbc", bbc, dupes, settings, args.examples)

    by_category: dict[str, list[Article]] = defaultdict(list)
    for a, category in corpus.bbc():
        by_category[category].append(a)
    rng = corpus.seeded("bbc-bases")
    rows: list[tuple[Article, str]] = [(a, a.id) for a in bbc]
    kinds: dict[str, str] = {}
    for category in sorted(by_category):
        donors = by_category[category]
        for base in rng.sample(donors, 80):
            for derived, kind in corpus.derive_family(base, donors, rng):
                rows.append((derived, base.id))
                kinds[derived.id] = kind
    truth = {tuple(sorted(p)) for p in pairs_of(closure(family_pairs(rows) | dupes))}
    found = evaluate("bbc+derived", [a for a, _ in rows], truth, settings, args.examples)  # type: ignore[arg-type]
    _recall_by_kind(kinds, found, truth)

    wiki = corpus.wikinews()
    rows = list(corpus.with_families(wiki, wiki, "wikinews"))
    kinds = {a.id: "derived" for a, family in rows if a.id != family}
    evaluate("wikinews+derived", [a for a, _ in rows], family_pairs(rows), settings, args.examples)

    if not args.skip_reuters:
        reuters = corpus.reuters()
        near, far = reuters_truth(reuters, 7)
        found = pairs_of(s.article_ids for s in group_stories(reuters, settings))
        extra = f"  recurring grouped {len(found & far)}/{len(far)}"
        evaluate("reuters (proxy)", reuters, near, settings, args.examples, extra)


def _recall_by_kind(kinds: dict[str, str], found: set[Pair], truth: set[Pair]) -> None:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a, b in truth:
        kind = kinds.get(b) or kinds.get(a)
        if kind is None or (a in kinds and b in kinds):
            continue
        totals[kind][0] += 1
        totals[kind][1] += (a, b) in found
    shown = ", ".join(f"{k} {hit}/{n}" for k, (n, hit) in sorted(totals.items()))
    print(f"    recall, base ~ derived, by kind: {shown}")


if __name__ == "__main__":
    main()
