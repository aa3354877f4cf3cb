"""Time and peak memory of features + group_stories + find_related at 10,000 and 100,000 articles.

    python bench/analysis_scale.py [--sizes 10000 100000] [--processes 2]
    python bench/analysis_scale.py --one 10000 --dump out.jsonl   # results, to diff two versions

Features (fingerprints and term counts) are computed first, on `--processes` forked processes
as a build does for articles missing from its cache, and passed to both steps.

Articles: Reuters, BBC and Wikinews stories, each followed by 1-4 derived versions (updates,
syndicated copies, copy edits), then "remixes" (paragraphs made of sentences from random stories:
new stories that share sentences with many others, a stress test for candidate search) until the
size is reached. Each size runs in its own subprocess, so peak RSS (ru_maxrss) is its own; the
RSS after building the articles is shown too, to separate the analysis from its input.
Figures only: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import corpus
from generator.model import Article
from tests.factories import make_article


def build(size: int) -> list[Article]:
    rng = corpus.seeded(f"scale-{size}")
    bases = corpus.reuters() + [a for a, _ in corpus.bbc()] + corpus.wikinews()
    rng.shuffle(bases)
    articles: list[Article] = []
    for base in bases:
        if len(articles) >= size:
            break
        articles.append(base)
        articles += [a for a, _ in corpus.derive_family(base, bases, rng)]
    n = 0
    while len(articles) < size:
        articles.append(_remix(f"remix/{n:06d}", bases, rng))
        n += 1
    return articles[:size]


def _remix(id: str, pool: Sequence[Article], rng) -> Article:
    paragraphs = []
    for _ in range(rng.randint(3, 10)):
        sentences = []
        for _ in range(2):
            donor = rng.choice(pool)
            sentences.append(rng.choice(donor.paragraphs or (donor.title,)))
        paragraphs.append(" ".join(s.split(". ")[0] for s in sentences) + ".")
    return make_article(id, rng.choice(pool).title, paragraphs, date=None)


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_one(size: int, dump: str | None = None, processes: int = 2) -> dict[str, float]:
    from generator.analysis.features import compute_features_in_parallel
    from generator.analysis.related import find_related
    from generator.analysis.versions import group_stories
    from generator.config import RelatedSettings, VersionSettings

    start = time.perf_counter()
    articles = build(size)
    built = time.perf_counter() - start
    before = _rss_mb()
    start = time.perf_counter()
    shingle_size = VersionSettings().shingle_size
    computed = compute_features_in_parallel(articles, shingle_size, processes)  # as a build
    features = dict(zip((a.id for a in articles), computed, strict=True))
    featured = time.perf_counter() - start
    start = time.perf_counter()
    stories = group_stories(articles, VersionSettings(), features, processes)
    grouped = time.perf_counter() - start
    story_of = {v.article_id: s.id for s in stories for v in s.versions}
    start = time.perf_counter()
    related = find_related(articles, story_of, RelatedSettings(), features, processes)
    relating = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if dump:
        _dump(dump, stories, related)
    return {
        "articles": len(articles),
        "words": sum(a.word_count for a in articles),
        "build_s": built,
        "features_s": featured,
        "processes": processes,
        "feature_mb": sum(f.nbytes for f in computed) / 2**20,
        "group_stories_s": grouped,
        "find_related_s": relating,
        "stories": len(stories),
        "linked": sum(bool(v) for v in related.values()),
        "rss_before_mb": before,
        "peak_rss_mb": peak,
    }


def _dump(path: str, stories, related) -> None:
    """Write the results as JSON lines, to check that a faster version finds the same."""
    with open(path, "w") as out:
        for story in stories:
            versions = [_fields(v) for v in story.versions]
            out.write(json.dumps(["story", story.id, story.main_id, versions]) + "\n")
        for article_id in sorted(related):
            out.write(json.dumps(["related", article_id, related[article_id]]) + "\n")


def _fields(version) -> tuple:
    return (version.article_id, version.kind, version.based_on)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--processes", type=int, default=2, help="for features, grouping and related"
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dump", help="with --one: write stories and related links (JSON lines)")
    args = parser.parse_args()
    corpus.require_shared()
    if args.one:
        print(json.dumps(run_one(args.one, args.dump, args.processes)))
        return
    print(f"cpus: {os.cpu_count()}")
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--processes", str(args.processes)],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        total = r["features_s"] + r["group_stories_s"] + r["find_related_s"]
        print(
            f"{r['articles']:>7} articles ({r['words'] / 1e6:.1f}M words): features "
            f"{r['features_s']:.1f} s on {r['processes']} processes ({r['feature_mb']:.0f} MB), "
            "group_stories "
            f"{r['group_stories_s']:.1f} s ({r['stories']} stories), find_related "
            f"{r['find_related_s']:.1f} s ({r['linked']} with links), total {total:.1f} s; "
            f"RSS {r['rss_before_mb']:.0f} MB before analysis, peak {r['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
