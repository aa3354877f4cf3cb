"""Grouping articles into stories: real clippings, derived copies, hard negatives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
import random

import numpy as np
import pytest

from generator.analysis import versions
from generator.analysis.versions import group_stories
from generator.config import VersionSettings
from generator.model import Body
from tests.analysis.clippings import clipping_paths, read_clipping
from tests.factories import make_article

SETTINGS = VersionSettings()

PARAGRAPHS = (
    "The city council voted on Tuesday to close the old harbour bridge to cars from next spring, "
    "after engineers warned that its steel frame had corroded faster than expected.",
    "Mayor Anna Berg said the decision was painful but unavoidable, and promised a ferry service "
    "for the three thousand commuters who cross the river every morning.",
    "Engineers from the national roads agency found cracks in 14 of the 22 main girders during an "
    "inspection in January, according to a report seen by the council.",
    "Shop owners on the north bank fear the closure will cut trade by a third, and asked the "
    "council for help with rents while the bridge is rebuilt over the next four years.",
    "A new bridge is expected to cost about 180 million euros, to be shared between the city and "
    "the regional government, which has not yet agreed to pay its part.",
    "Cyclists and pedestrians will still be able to use the bridge until the rebuilding begins, "
    "the council said, though the speed of traffic on the approach roads will be limited.",
)


def _clippings():
    paths = clipping_paths()
    if len(paths) < 2:
        pytest.skip("../shared/samples/clippings not found")
    return read_clipping(paths[0]), read_clipping(paths[1], date=dt.date(2025, 3, 19))


def test_the_two_clippings_are_one_story_with_two_versions():
    original, copy = _clippings()
    stories = group_stories([copy, original], SETTINGS)
    assert len(stories) == 1
    assert set(stories[0].article_ids) == {original.id, copy.id}


def test_syndicated_copy_with_new_headline_and_kiev_spelling_is_a_version():
    original = make_article(
        "wapo/bridge",
        "Kyiv closes harbour bridge",
        [p.replace("city", "Kyiv city") for p in PARAGRAPHS],
        publication="The Washington Post",
    )
    copy = make_article(
        "jwr/bridge",
        "Kiev to shut its crumbling bridge, leaving commuters to the ferry",
        [
            "SIGN UP FOR THE DAILY UPDATE. IT'S FREE.",
            *[p.replace("city", "Kiev city").replace("’", "'") for p in PARAGRAPHS[:4]],
        ],
        date=dt.date(2025, 3, 20),
        publication="Jewish World Review",
    )
    [story] = group_stories([original, copy], SETTINGS)
    assert story.main_id == "wapo/bridge"
    assert [(v.article_id, v.kind, v.based_on) for v in story.versions] == [
        ("wapo/bridge", "original", None),
        ("jwr/bridge", "syndicated", "wapo/bridge"),
    ]


def test_later_edit_from_the_same_publication_is_an_update_of_the_previous_one():
    first = make_article("a1", "Bridge to close", PARAGRAPHS[:4], publication="Daily")
    second = make_article(
        "a2",
        "Bridge to close in spring",
        PARAGRAPHS[:5],
        date=dt.date(2025, 3, 20),
        publication="Daily",
    )
    third = make_article(
        "a3", "Council closes bridge", PARAGRAPHS, date=dt.date(2025, 3, 21), publication="Daily"
    )
    [story] = group_stories([third, first, second], SETTINGS)
    assert [(v.kind, v.based_on) for v in story.versions] == [
        ("original", None),
        ("update", "a1"),
        ("update", "a2"),
    ]


def test_clearly_different_articles_on_one_subject_stay_apart():
    other = (
        "Commuters queued for more than an hour at the ferry pier on Monday, the first morning "
        "without the harbour bridge, as the city's temporary boats ran late.",
        "Mayor Anna Berg apologised for the delays and said two more ferries would be hired from "
        "a company in the south by the end of the week.",
        "Shop owners on the north bank said trade had already fallen, and some closed early.",
        "The regional government has still not agreed to pay its part of the new bridge.",
    )
    a = make_article("a", "Council closes bridge", PARAGRAPHS)
    b = make_article("b", "Ferry chaos on first day without bridge", other)
    assert group_stories([a, b], SETTINGS) == []


def test_versions_further_apart_than_max_days_are_separate_stories():
    a = make_article("a", "Bridge", PARAGRAPHS, date=dt.date(2025, 1, 1))
    b = make_article("b", "Bridge", PARAGRAPHS, date=dt.date(2025, 6, 1))
    assert group_stories([a, b], SETTINGS) == []


def test_forced_story_key_groups_articles_and_standalone_stays_out():
    a = make_article("a", "One", PARAGRAPHS[:2], story="bridge")
    b = make_article(
        "b", "Two", ("Something else entirely, about a different matter.",), story="bridge"
    )
    c = make_article("c", "Three", PARAGRAPHS[:2], standalone=True)
    [story] = group_stories([a, b, c], SETTINGS)
    assert story.article_ids == ("a", "b")


def test_short_templates_with_different_numbers_are_different_stories():
    a = make_article(
        "a",
        "Magma lowers price",
        [
            "Magma Copper said it is lowering its cathode price by 0.25 cent "
            "to 65.50 cents a lb, effective immediately, the company said in a statement today."
        ],
    )
    b = dataclasses.replace(
        a, id="b", body=Body(a.body_html, (a.paragraphs[0].replace("0.25", "0.50"),))
    )
    assert group_stories([a, b], SETTINGS) == []


def test_grouping_is_the_same_for_shuffled_input():
    articles = [
        make_article(
            f"s{i}", f"Story {i}", PARAGRAPHS[i % 3 : i % 3 + 4], date=dt.date(2025, 3, 1 + i)
        )
        for i in range(6)
    ]
    expected = group_stories(articles, SETTINGS)
    for seed in range(5):
        shuffled = articles[:]
        random.Random(seed).shuffle(shuffled)
        assert group_stories(shuffled, SETTINGS) == expected


def test_grouping_on_two_processes_finds_the_same_stories(monkeypatch: pytest.MonkeyPatch):
    """Large archives compare candidate pairs on forked workers: the stories must not change."""
    rng = random.Random(7)
    vocabulary = " ".join(PARAGRAPHS).split()
    articles = []
    for family in range(12):
        paragraphs = [" ".join(rng.choices(vocabulary, k=40)) + "." for _ in range(6)]
        for version in range(3):
            kept = tuple(paragraphs[: 4 + version])
            articles.append(
                make_article(f"f{family}-{version}", f"Family {family}", kept, date=None)
            )
    alone = group_stories(articles, SETTINGS)
    monkeypatch.setattr(versions, "_PARALLEL_PAIRS", 1)
    assert group_stories(articles, SETTINGS, jobs=2) == alone
    assert len(alone) == 12


@pytest.mark.parametrize("seed", range(4))
def test_grouping_from_the_last_memo_finds_what_grouping_from_nothing_finds(
    seed: int, monkeypatch: pytest.MonkeyPatch
):
    """An edit samples and compares only its own texts, taking the rest from the last build's
    memo: the stories must be the ones found from nothing, whatever the edits join or split."""
    rng = random.Random(seed)
    vocabulary = " ".join(PARAGRAPHS).split()
    families = [[" ".join(rng.choices(vocabulary, k=40)) + "." for _ in range(6)] for _ in range(8)]
    articles = [
        make_article(f"f{f}-{v}", f"Family {f}", tuple(families[f][: 3 + v]), date=None)
        for f in range(8)
        for v in range(3)
    ]

    def keys() -> dict[str, str]:
        return {a.id: repr((a.title, a.paragraphs)) for a in articles}

    compare, compared = versions.compare, []
    monkeypatch.setattr(versions, "compare", lambda *a: compared.append(1) or compare(*a))
    stories, memo = versions.find_stories(articles, SETTINGS, keys=keys())
    from_nothing = len(compared)
    assert memo is not None and len(stories) == 8
    for _ in range(6):
        for position in rng.sample(range(len(articles)), rng.choice([1, 2])):
            article = articles[position]
            if rng.random() < 0.5:  # becomes a copy of another family
                paragraphs = tuple(rng.choice(families)[: rng.randint(3, 6)])
            else:
                paragraphs = article.paragraphs[:-1] or article.paragraphs
            articles[position] = dataclasses.replace(
                article, body=Body(article.body_html, paragraphs)
            )
        compared.clear()
        kept = pickle.loads(pickle.dumps(memo))  # as the build keeps it between builds
        stories, memo = versions.find_stories(articles, SETTINGS, keys=keys(), previous=kept)
        assert len(compared) < from_nothing  # the memo's verdicts stood for unchanged pairs
        assert stories == group_stories(articles, SETTINGS)


def test_shared_shingles_counted_pair_by_pair_agree_with_the_sparse_product(
    monkeypatch: pytest.MonkeyPatch,
):
    """An edit's few pairs are counted one by one (no scipy): the same pairs pass."""
    rng = random.Random(3)
    vocabulary = " ".join(PARAGRAPHS).split()
    families = [[" ".join(rng.choices(vocabulary, k=40)) + "." for _ in range(6)] for _ in range(5)]
    articles = [
        make_article(f"f{f}-{v}", f"Family {f}", tuple(families[f][v : v + 3]), date=None)
        for f in range(5)
        for v in range(4)
    ]
    prints = versions.fingerprints(articles, SETTINGS.shingle_size)
    pairs = np.array([(i, j) for i in range(len(articles)) for j in range(i + 1, len(articles))])
    one_by_one = versions._enough_shared(prints, pairs, SETTINGS)
    monkeypatch.setattr(versions, "_FEW_PAIRS", 0)
    by_product = versions._enough_shared(prints, pairs, SETTINGS)
    assert one_by_one.tolist() == by_product.tolist()
    assert 0 < int(one_by_one.sum()) < len(pairs)
