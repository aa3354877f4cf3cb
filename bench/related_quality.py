"""Related links on BBC News 2005 (2,225 articles, 5 human-labelled categories).

    python bench/related_quality.py [--min-score 0.12 --count 5 --max-df 0.3]

Prints the share of related links that stay within the article's own category (target >= 90%)
and the share of articles with at least one related link (target >= 90%). Stories found by
group_stories (the corpus' duplicates and updates) are passed in, as the build does.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import corpus
from generator.analysis.related import find_related
from generator.analysis.versions import group_stories
from generator.config import RelatedSettings, VersionSettings


def main() -> None:
    defaults = RelatedSettings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-score", type=float, default=defaults.min_score)
    parser.add_argument("--count", type=int, default=defaults.count)
    parser.add_argument("--max-df", type=float, default=defaults.max_df)
    args = parser.parse_args()
    corpus.require_shared()
    rows = corpus.bbc()
    articles = [a for a, _ in rows]
    category = {a.id: c for a, c in rows}
    stories = group_stories(articles, VersionSettings())
    story_of = {v.article_id: s.id for s in stories for v in s.versions}
    settings = RelatedSettings(count=args.count, min_score=args.min_score, max_df=args.max_df)
    start = time.perf_counter()
    related = find_related(articles, story_of, settings)
    seconds = time.perf_counter() - start
    links = [(a, b) for a, ids in related.items() for b in ids]
    same = sum(category[a] == category[b] for a, b in links)
    covered = sum(bool(ids) for ids in related.values())
    print(f"settings: {settings}")
    print(
        f"BBC: {len(articles)} articles, {len(links)} related links "
        f"({len(links) / len(articles):.2f} per article), {seconds:.2f} s"
    )
    print(f"  links within the article's own category: {same / len(links):.1%}  (target >= 90%)")
    print(
        f"  articles with at least one related link: {covered / len(articles):.1%}  (target >= 90%)"
    )


if __name__ == "__main__":
    main()
