"""Related stories: similar text, never one's own versions, nothing when nothing is alike."""

from __future__ import annotations

import random

import pytest

from generator.analysis import related as related_module
from generator.analysis.related import find_related
from generator.config import RelatedSettings
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
