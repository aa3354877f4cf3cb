"""Per-article features: the vectorised tokeniser gives exactly what the regex reference gives."""

from __future__ import annotations

import pickle
import random

import numpy as np

from generator.analysis import features as features_module
from generator.analysis.features import (
    ArticleFeatures,
    article_features,
    cache_key,
    compute_features,
    compute_features_in_parallel,
    pack,
    reference_features,
    unpack,
)
from tests.factories import make_article

TRICKY = [
    "Prices rose 2½ per cent to 1,000.50 on 1.2.3.4 and 1.2.3 versions; U.S. aid was 3.",
    "The Kiev colour programme, organised by the Labour centre (pct 12), was cancelled.",
    "Short one.",
    "",
    "   ",
    "Numbers ٣ and ３ and ² in other scripts, «quotes», naïve café — dash.",
    "a1b2c3 12abc abc12 .5 5. 1..2 x.y z.",
    "Ends with per",
]


def _equal(a: ArticleFeatures, b: ArticleFeatures) -> bool:
    return all(
        getattr(a, f).dtype == getattr(b, f).dtype and np.array_equal(getattr(a, f), getattr(b, f))
        for f in ArticleFeatures.__slots__
    )


def _random_articles(count: int) -> list:
    rng = random.Random(7)
    words = [*" ".join(TRICKY).split(), "\n", "per", "cent", "Kyiv", "2,500", "the"]
    articles = []
    for n in range(count):
        paragraphs = [
            " ".join(rng.choice(words) for _ in range(rng.randint(0, 14)))
            for _ in range(rng.randint(0, 6))
        ]
        title = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        articles.append(
            make_article(f"a{n}", title or "t", paragraphs, dek=rng.choice(["", "Per"]))
        )
    return articles


def test_batch_features_equal_the_reference_on_tricky_and_random_texts():
    articles = [make_article(f"t{i}", p or "x", [p, *TRICKY[:i]]) for i, p in enumerate(TRICKY)]
    articles += [make_article("pc", "Rates up 2 per", ["cent, the bank said."])]
    articles += _random_articles(300)
    batch = compute_features(articles, 5)
    for article, features in zip(articles, batch, strict=True):
        assert _equal(features, reference_features(article, 5)), article.id


def test_features_do_not_depend_on_the_other_articles_of_the_batch():
    articles = _random_articles(40)
    together = compute_features(articles, 5)
    alone = [article_features(a, 5) for a in articles]
    assert all(_equal(x, y) for x, y in zip(together, alone, strict=True))


def test_features_pickle_and_the_cache_key_follows_the_text_and_settings():
    article = make_article("a", "Bridge closes", ["The bridge closes on Tuesday."])
    features = article_features(article)
    assert _equal(pickle.loads(pickle.dumps(features)), features)
    edited = make_article("a", "Bridge closes", ["The bridge closes on Monday."])
    assert cache_key(article, 5) == cache_key(
        make_article("b", "Bridge closes", article.paragraphs), 5
    )
    assert cache_key(article, 5) != cache_key(edited, 5)
    assert cache_key(article, 5) != cache_key(article, 4)


def test_features_from_forked_workers_equal_those_made_in_process(monkeypatch):
    """Workers send features back packed into flat arrays: nothing may change on the way."""
    monkeypatch.setattr(features_module, "_PARALLEL_ARTICLES", 10)
    monkeypatch.setattr(features_module, "_TASK", 7)
    articles = _random_articles(60)
    articles += [make_article("huge", "Long", [f"para {n} of many words" for n in range(70_000)])]
    stored: dict[int, int] = {}
    parallel = compute_features_in_parallel(
        articles, 5, jobs=2, on_chunk=lambda start, done: stored.update({start: len(done)})
    )
    alone = compute_features(articles, 5)
    assert parallel[-1].paragraph_of.dtype == np.int32  # more paragraphs than uint16 holds
    assert all(_equal(x, y) for x, y in zip(parallel, alone, strict=True))
    assert stored == {}, "on_chunk runs in the workers, not in this process"


def test_packed_features_unpack_to_equal_features():
    features = compute_features(_random_articles(25), 5)
    assert all(_equal(x, y) for x, y in zip(unpack(pack(features)), features, strict=True))
    assert unpack(pack([])) == []
