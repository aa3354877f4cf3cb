"""Related stories: similar text, never one's own versions, nothing when nothing is alike."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.analysis import related as related_module
from generator.analysis.related import find_related
from generator.config import RelatedSettings
from generator.model import Body
from tests.factories import make_article

SETTINGS = RelatedSettings()

BRIDGE = "harbour bridge closure council engineers girders ferry commuters rebuilding"
FOOTBALL = "striker scored penalty league goalkeeper manager stadium fans season"


def _article(id: str, words: str, seed: int):
    rng = random.Random(seed)
    vocab = words.split()
    paragraphs = [" ".join(rng.choice(vocab) for _ in range(30)) for _ in range(3)]
    return make_article(id, " ".join(vocab[:3]).title(), paragraphs)


def test_articles_on_one_subject_are_related_and_other_subjects_are_not():
    articles = [_article(f"bridge{i}", BRIDGE, i) for i in range(3)]
    articles += [_article(f"football{i}", FOOTBALL, 10 + i) for i in range(3)]
    related = find_related(articles, {}, SETTINGS)
    assert set(related["bridge0"]) == {"bridge1", "bridge2"}
    assert set(related["football2"]) == {"football0", "football1"}


def test_related_never_links_own_versions_and_links_a_story_by_its_main_version():
    articles = [_article(f"bridge{i}", BRIDGE, i) for i in range(4)]
    story_of = {
        "bridge0": "bridge0",
        "bridge1": "bridge0",
        "bridge2": "bridge2",
        "bridge3": "bridge2",
    }
    related = find_related(articles, story_of, SETTINGS)
    assert related["bridge0"] == ("bridge2",)
    assert related["bridge1"] == ("bridge2",)
    assert related["bridge3"] == ("bridge0",)


def test_an_article_with_nothing_related_gets_an_empty_list():
    articles = [_article("bridge", BRIDGE, 1), _article("football", FOOTBALL, 2)]
    assert find_related(articles, {}, SETTINGS) == {"bridge": (), "football": ()}


def test_at_most_count_related_best_first_and_same_for_shuffled_input():
    articles = [_article(f"bridge{i:02}", BRIDGE, i) for i in range(12)]
    related = find_related(articles, {}, RelatedSettings(count=3))
    assert all(len(ids) == 3 for ids in related.values())
    shuffled = articles[:]
    random.Random(4).shuffle(shuffled)
    assert find_related(shuffled, {}, RelatedSettings(count=3)) == related


def test_related_scored_on_two_processes_is_the_same(monkeypatch: pytest.MonkeyPatch):
    """Large archives score chunks of articles on forked workers: no link may change."""
    articles = [_article(f"bridge{i:02}", BRIDGE, i) for i in range(9)]
    articles += [_article(f"football{i:02}", FOOTBALL, 50 + i) for i in range(9)]
    alone = find_related(articles, {"bridge01": "bridge00"}, SETTINGS)
    monkeypatch.setattr(related_module, "_PARALLEL_ARTICLES", 1)
    monkeypatch.setattr(related_module, "_CHUNK", 4)  # five chunks, shared by two workers
    assert find_related(articles, {"bridge01": "bridge00"}, SETTINGS, jobs=2) == alone
    assert set(alone["football03"]) <= {f"football{i:02}" for i in range(9)}
    assert alone["football03"]


def _edited(article, words: list[str], rng: random.Random):
    """The article with a paragraph added (words from `words`) or its last one cut."""
    import dataclasses

    paragraphs = article.paragraphs
    if rng.random() < 0.3 and len(paragraphs) > 1:
        paragraphs = paragraphs[:-1]
    else:
        paragraphs += (" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))),)
    return dataclasses.replace(article, body=Body(article.body_html, paragraphs))


def _content_keys(articles) -> dict[str, str]:
    """Each article's text as its content key (as the build names it by its features' key)."""
    return {a.id: repr((a.title, a.paragraphs)) for a in articles}


@pytest.mark.parametrize("keyed", [False, True], ids=["by-terms", "by-content-key"])
@pytest.mark.parametrize("seed", range(6))
def test_an_updated_index_gives_what_a_computation_from_nothing_gives(
    seed: int, keyed: bool, monkeypatch: pytest.MonkeyPatch
):
    """The edit path scores only the rows an edit can reach; whichever rows those are, the
    answer must be the one computed from nothing, for edits of stand-alone articles, of a
    story's main version, of several articles at once, with words old and new."""
    monkeypatch.setattr(related_module, "_UPDATE_SHARE", 1.0)
    rng = random.Random(seed)
    vocabularies = [BRIDGE, FOOTBALL, BRIDGE + " " + FOOTBALL, "rain flood river levee pumps"]
    articles = [
        _article(f"a{i:02}", vocabularies[i % len(vocabularies)], seed * 100 + i) for i in range(40)
    ]
    story_of = {f"a{i:02}": f"a{i - i % 3:02}" for i in range(0, 12)}
    settings = RelatedSettings(count=3, min_score=0.05)
    keys = _content_keys if keyed else (lambda _: None)
    index = related_module.related_index(articles, story_of, settings, keys=keys(articles))
    words = (BRIDGE + " " + FOOTBALL + " zeppelin quasar " + str(seed)).split()
    computed: list[int] = []
    compute = related_module._compute
    monkeypatch.setattr(
        related_module, "_compute", lambda *a, **k: computed.append(1) or compute(*a, **k)
    )
    updated = 0
    for _ in range(8):
        for position in rng.sample(range(len(articles)), rng.choice([1, 1, 2, 3])):
            articles[position] = _edited(articles[position], words, rng)
        computed.clear()
        new = related_module.related_index(
            articles, story_of, settings, previous=index, keys=keys(articles)
        )
        assert new is not None
        updated += not computed
        fresh = related_module.related_index(articles, story_of, settings)
        assert fresh is not None
        assert new.related() == fresh.related()
        assert _weights(new) == _weights(fresh)  # to the bit
        assert new.cuts.tolist() == fresh.cuts.tolist()  # what the next edit compares with
        index = new
    assert updated >= 4  # most edits took the update path (others moved a term's idf band)


def _weights(index: related_module.RelatedIndex) -> list[dict[int, float]]:
    """Each row's TF-IDF weights by term hash."""
    matrix = index.matrix
    return [
        dict(
            zip(
                index.vocabulary[matrix.indices[lo:hi]].tolist(),
                matrix.data[lo:hi].tolist(),
                strict=True,
            )
        )
        for lo, hi in zip(matrix.indptr[:-1], matrix.indptr[1:], strict=True)
    ]


@pytest.mark.parametrize("seed", range(5))
def test_rows_replaced_in_place_keep_every_other_row(seed: int):
    """An edit replaces a few rows of the index's row lists (first, last, emptied, grown):
    every other row must come through as it was."""
    import numpy as np

    rng = random.Random(seed)

    def as_rows(lists: list[list[int]]):
        lengths = [len(values) for values in lists]
        values = [v for row in lists for v in row]
        return related_module._Rows(np.r_[0, np.cumsum(lengths)], np.array(values, np.int64))

    old = [[rng.randrange(100) for _ in range(rng.randrange(5))] for _ in range(12)]
    rows = sorted(rng.sample(range(12), rng.randint(1, 5)) + [0, 11][: rng.randint(0, 2)])
    rows = sorted(set(rows))
    new = [[rng.randrange(100) for _ in range(rng.randrange(4))] for _ in rows]
    merged = as_rows(old).with_rows(np.array(rows), as_rows(new))
    expected = [new[rows.index(i)] if i in rows else row for i, row in enumerate(old)]
    assert [merged.row(i).tolist() for i in range(12)] == expected


@settings(max_examples=200, deadline=None)
@given(
    old=st.lists(st.lists(st.integers(0, 99), max_size=4), max_size=8),
    data=st.data(),
)
def test_replacing_rows_keeps_every_other_row_and_its_order(old: list[list[int]], data) -> None:
    """`_Rows.with_rows`, which an edit's update uses on every array it keeps."""
    rows = sorted(data.draw(st.sets(st.integers(0, max(len(old) - 1, 0)), max_size=len(old))))
    rows = [r for r in rows if r < len(old)]
    new = data.draw(
        st.lists(
            st.lists(st.integers(100, 199), max_size=4), min_size=len(rows), max_size=len(rows)
        )
    )
    made = _as_rows(old).with_rows(np.array(rows, dtype=np.int64), _as_rows(new))
    expected = list(old)
    for row, replacement in zip(rows, new, strict=True):
        expected[row] = replacement
    assert [made.row(i).tolist() for i in range(len(expected))] == expected
    assert len(made.indptr) == len(expected) + 1


def _as_rows(lists: list[list[int]]) -> related_module._Rows:
    indptr = np.r_[0, np.cumsum([len(x) for x in lists], dtype=np.int64)]
    values = np.array([v for x in lists for v in x], dtype=np.int64)
    return related_module._Rows(indptr, values)
