"""Which shard an article's search document is indexed in, and when a shard must be indexed
again (no Pagefind here)."""

from __future__ import annotations

from generator.search import sort_orders
from generator.search_shards import SearchPage, page_url, plan_shards, shard_count, shard_of
from generator.search_state import BundleRecord


def page(path: str, key: str = "k", date: str = "") -> SearchPage:
    sorts = (("date", date),) if date else ()
    return SearchPage(path, key, sorts)


def articles(count: int) -> list[SearchPage]:
    return [page(f"2024/{i:05d}/index.html") for i in range(count)]


def test_a_page_keeps_its_shard_when_other_articles_are_added() -> None:
    before = {p.path: shard_of(p.path, 8) for p in articles(500)}
    after = {p.path: shard_of(p.path, 8) for p in articles(900)}
    assert all(after[path] == shard for path, shard in before.items())


def test_shards_are_about_even_and_split_in_two_when_they_double() -> None:
    pages = articles(4000)
    sizes = [sum(1 for p in pages if shard_of(p.path, 8) == s) for s in range(8)]
    assert min(sizes) > 400 and max(sizes) < 600
    assert all(shard_of(p.path, 16) // 2 == shard_of(p.path, 8) for p in pages)


def test_shard_count_keeps_shards_under_the_size_up_to_the_cap() -> None:
    assert shard_count(900, 1500, 64) == 1
    assert shard_count(11_125, 1500, 64) == 8
    assert shard_count(100_000, 1500, 64) == 64
    assert shard_count(14, 4, 64) == 4
    assert shard_count(100_000, 1500, 5) == 4


def test_an_edit_changes_the_key_of_its_own_shard_only() -> None:
    pages = articles(300)
    edited = [page(p.path, "new") if i == 17 else p for i, p in enumerate(pages)]
    before = {s.number: s.key for s in plan_shards(pages, 4, "salt")}
    after = {s.number: s.key for s in plan_shards(edited, 4, "salt")}
    changed = [n for n in before if before[n] != after[n]]
    assert changed == [shard_of(pages[17].path, 4)]


def test_a_new_pagefind_version_or_language_changes_every_key() -> None:
    pages = articles(50)
    keys = {s.key for s in plan_shards(pages, 2, "1.5.2\0en")}
    assert keys.isdisjoint(s.key for s in plan_shards(pages, 2, "1.5.3\0en"))
    assert keys.isdisjoint(s.key for s in plan_shards(pages, 2, "1.5.2\0fr"))


def test_date_order_runs_across_shards_by_value_then_url() -> None:
    pages = [
        page("a/index.html", date="2024-03-01 x"),
        page("b/index.html", date="2024-01-01 y"),
        page("c/index.html", date="2024-02-01 z"),
        page("d/index.html"),  # undated: Pagefind leaves it out of sorted results
    ]
    shards = plan_shards(pages, 8, "salt")  # a and c in one shard, b and d in another
    folders = ["" if i == 0 else f"shard-{s.number}" for i, s in enumerate(shards)]
    records = {
        folder: BundleRecord(s.key, {}, [(page_url(p.path), f"en_{p.path[0]}") for p in s.pages])
        for folder, s in zip(folders, shards, strict=True)
    }
    assert len(shards) == 2
    assert sort_orders(shards, folders, records) == {"date": ["en_b", "en_c", "en_a"]}
