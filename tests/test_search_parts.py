"""A search shard indexed in parts and merged (search_merge.py): readers get what one Pagefind
run over the shard writes, and an edit re-indexes only its part, with the real Pagefind."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest

from generator.search_canonical import cbor_decode, read_data_file
from generator.search_merge import MergeRefused, merge_parts
from generator.search_parts import PARTS_FOLDER
from tests.browser.harness import copy_demo
from tests.helpers import REPO, BuiltSite, build_site, differences, snapshot

EDITED = "content/clippings/courier-2025-03-19-port-selwyn-timber-debris.txt"


def data_file(path: Path) -> bytes:
    return read_data_file(path.read_bytes())


def index_of(bundle: Path) -> dict[str, Any]:
    """Everything a Pagefind bundle tells the browser, with pages named by URL instead of by
    number: each word's and variant's positions per page, the chunks' word ranges, filters,
    sorts, pages (fragment, word count), meta fields and the entry file."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    ((_, info),) = entry["languages"].items()
    meta = cbor_decode(read_data_file((bundle / f"pagefind.{info['hash']}.pf_meta").read_bytes()))
    version, pages, chunks, filters, sorts, fields = meta  # type: ignore[misc]
    fragment_url = {
        fragment: json.loads(
            read_data_file((bundle / "fragment" / f"{fragment}.pf_fragment").read_bytes()).decode()
        )["url"]
        for fragment, _ in pages
    }
    url = [fragment_url[fragment] for fragment, _ in pages]

    def by_url(postings: list[Any]) -> dict[str, Any]:
        page, found = 0, {}
        for delta, locs, meta_locs in postings:
            page += delta
            found[url[page]] = (locs, meta_locs)
        return found

    words, ranges = {}, []
    for start, stop, name in chunks:
        ranges.append((start, stop))
        (rows,) = cbor_decode(read_data_file((bundle / "index" / f"{name}.pf_index").read_bytes()))
        for word, postings, variants in rows:
            words[word] = (by_url(postings), {form: by_url(ps) for form, ps in variants})
    filter_pages = {}
    for name, digest in filters:
        _, values = cbor_decode(
            read_data_file((bundle / "filter" / f"{digest}.pf_filter").read_bytes())
        )
        filter_pages[name] = {value: sorted(url[p] for p in ps) for value, ps in values}
    info.pop("hash")
    return {
        "version": version,
        "pages": {url[i]: tuple(row) for i, row in enumerate(pages)},
        "page order": url,
        "words": words,
        "chunk ranges": ranges,
        "filters": filter_pages,
        "sorts": {name: [url[p] for p in ps] for name, ps in sorts},
        "meta fields": fields,
        "entry": entry,
    }


@pytest.fixture
def in_parts(tmp_path: Path) -> BuiltSite:
    """The demo in one shard (14 articles) indexed in parts of at most 2."""
    return build_site(copy_demo(tmp_path / "parts", part_size=2), search=True)


def kept_record(path: Path) -> tuple[str, Any, dict[str, bytes]]:
    """A kept part's key, index and files (search_parts.keep_made_part)."""
    with path.open("rb") as file:
        key, _ = pickle.load(file)
        index, files = pickle.load(file)
    return key, index, files


def kept_parts(site: BuiltSite) -> dict[str, int]:
    """Each kept part's record -> its modification time."""
    root = site.root / ".broadsheet-cache" / PARTS_FOLDER
    records = root.glob("*/part-*.pickle")
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in records}


def test_a_shard_indexed_in_parts_holds_what_one_pagefind_run_writes(
    in_parts: BuiltSite, tmp_path: Path
) -> None:
    one_run = build_site(copy_demo(tmp_path / "whole"), search=True)
    assert len(kept_parts(in_parts)) > 4 and not kept_parts(one_run)  # 8 parts, some empty
    merged, whole = index_of(in_parts.out / "pagefind"), index_of(one_run.out / "pagefind")
    assert merged["page order"] != whole["page order"] == sorted(whole["page order"])
    del merged["page order"], whole["page order"]  # one run numbers pages in URL order, a
    assert merged == whole  # merge part by part: the rest is the same
    assert len(merged["pages"]) == 14 and merged["sorts"]["date"]
    assert any(variants for _, variants in merged["words"].values())  # "Kyiv", "Kyïv"...
    ui = {p.name for p in (one_run.out / "pagefind").glob("*.*") if p.suffix != ".pf_meta"}
    assert ui <= {p.name for p in (in_parts.out / "pagefind").iterdir()}  # its scripts too


def test_parts_whose_meta_fields_differ_are_merged_with_their_fields_renumbered(
    in_parts: BuiltSite,
) -> None:
    """Some parts hold no article with several versions, so Pagefind numbered their fields
    without `versions` and `story_url`; the merged bundle numbers them as one run does (the
    test above), which only holds if their words' field numbers were rewritten."""
    root = in_parts.root / ".broadsheet-cache" / PARTS_FOLDER
    fields = set()
    for record in root.glob("*/part-*.pickle"):
        _, index, _ = kept_record(record)
        fields.add(tuple(index.meta_fields))
    assert len(fields) > 1


def test_an_edit_reindexes_only_its_part_and_gives_the_site_a_build_from_nothing_gives(
    in_parts: BuiltSite, tmp_path: Path
) -> None:
    before = kept_parts(in_parts)
    edited = in_parts.root / EDITED
    edited.write_text(edited.read_text() + "\nThe harbourmaster found quillwort on the barges.\n")
    again = build_site(in_parts.root, search=True)
    assert again.report.search_reindexed == 1
    after = kept_parts(again)
    assert sorted(after) == sorted(before)
    assert sum(after[name] != before[name] for name in after) == 1
    fresh_root = copy_demo(tmp_path / "fresh", part_size=2)
    shutil.copyfile(edited, fresh_root / EDITED)
    fresh = build_site(fresh_root, search=True)
    assert differences(snapshot(again.out), snapshot(fresh.out)) == []
    url = next(a["url"] for a in again.catalog()["articles"] if "timber debris" in a["title"])
    assert list(index_of(again.out / "pagefind")["words"]["quillwort"][0]) == [url]


def test_a_kept_part_that_cannot_be_read_is_indexed_again(in_parts: BuiltSite) -> None:
    """The kept parts only save time: damaged ones are indexed again, and the site is the one
    they were kept for."""
    good = snapshot(in_parts.out)
    root = in_parts.root / ".broadsheet-cache" / PARTS_FOLDER
    for record in root.glob("*/part-*.pickle"):
        record.write_bytes(record.read_bytes()[:-100])
    edited = in_parts.root / EDITED
    text = edited.read_text()
    edited.write_text(text + "\nA note.\n")
    noted = build_site(in_parts.root, search=True)
    assert noted.report.search_reindexed == 1
    edited.write_text(text)
    again = build_site(in_parts.root, search=True)
    assert differences(snapshot(again.out), good) == []
    for record in root.glob("*/part-*.pickle"):
        key, _, files = kept_record(record)  # every one whole again
        assert key and any(name.startswith("fragment/") for name in files)


def test_a_theme_sorting_by_what_broadsheet_does_not_know_is_indexed_in_one_run(
    tmp_path: Path,
) -> None:
    """A merge orders a sort by the values Broadsheet gave it; a site's own search record may
    sort by something else, which has none, so its shard is indexed in one run, as without
    parts, and that sort still works."""
    root = copy_demo(tmp_path / "own-sort", part_size=2)
    default = REPO / "themes" / "default" / "templates" / "search-record.html"
    own = root / "templates" / "search-record.html"
    own.parent.mkdir()
    sort = '<span data-pagefind-sort="length:{{ article.title|length }}"></span>'
    own.write_text(default.read_text(encoding="utf-8").replace("<h1>", sort + "<h1>", 1))
    site = build_site(root, search=True)
    index = index_of(site.out / "pagefind")
    assert index["page order"] == sorted(index["page order"])  # as one run numbers them
    titles = {a["url"]: a["title"] for a in site.catalog()["articles"]}
    lengths = [len(titles[url]) for url in index["sorts"]["length"]]
    assert len(lengths) == 14 and lengths == sorted(lengths)  # as Pagefind orders numbers


def test_merging_refuses_a_sort_whose_values_it_was_not_given(in_parts: BuiltSite) -> None:
    root = in_parts.root / ".broadsheet-cache" / PARTS_FOLDER
    parts = []
    for record in sorted(root.glob("*/part-*.pickle")):
        _, index, _ = kept_record(record)
        parts.append(index)
    with pytest.raises(MergeRefused, match="no value of sort 'date'"):
        merge_parts(parts, {})


HONEY = "content/wire/2024-08-22-heather-honey-harvest.md"
CHESS = "content/courier/2024-06-10-hartwell-chess-congress.md"
HONEY_SLUG = "beekeepers-report-best-heather-honey-harvest-in-a-decade"  # kept with a new title


def rewrite(root: Path, relative: str, *swaps: tuple[str, str]) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    for old, new in swaps:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def same_as_built_from_nothing(site: BuiltSite, tmp_path: Path, part_size: int) -> None:
    fresh_root = copy_demo(tmp_path / "fresh", part_size=part_size)
    shutil.rmtree(fresh_root / "content")
    shutil.copytree(site.root / "content", fresh_root / "content")
    fresh = build_site(fresh_root, search=True)
    assert differences(snapshot(site.out), snapshot(fresh.out)) == []


def test_edited_documents_are_spliced_into_their_parts_as_one_pagefind_run_would_index_them(
    tmp_path: Path,
) -> None:
    """Pagefind reads only the two versions of each edited document, whose words, variants,
    filters, sort place, title and fragment go into the part as kept; the site is the one a
    build from nothing makes, byte for byte."""
    site = build_site(copy_demo(tmp_path / "parts", part_size=8), search=True)
    assert site.report.search_read == 14
    rewrite(
        site.root,
        HONEY,
        ('title = "Beekeepers report', f'slug = "{HONEY_SLUG}"\ntitle = "Moor beekeepers report'),
        ('section = "Environment"', 'section = "Farming"'),
        ('"wildlife", "farming"', '"farming", "honeybees"'),
        ("date = 2024-08-22", "date = 2024-08-02T06:30:00Z"),  # the same URL: /2024/08/
        ("Heather honey is prized", "Kyïv's beekeepers, and Kyiv's, prize heather honey"),
        ("ordinary honey", "ordinary quillwort syrup"),
    )
    rewrite(site.root, CHESS, ("Ilya Varga-Moss dropped", "Ilya dropped"))
    edited = build_site(site.root, search=True)
    assert edited.report.search_read == 4  # two documents, new and old versions
    same_as_built_from_nothing(edited, tmp_path, part_size=8)
    honey = next(a["url"] for a in edited.catalog()["articles"] if "honey" in a["title"])
    assert list(index_of(edited.out / "pagefind")["words"]["quillwort"][0]) == [honey]


def test_an_edit_that_changes_a_documents_meta_fields_indexes_its_part_whole(
    tmp_path: Path,
) -> None:
    """Without its date the article's search record has no date field, which could renumber
    the part's fields: the part is indexed whole, and the site is still the right one."""
    site = build_site(copy_demo(tmp_path / "parts", part_size=8), search=True)
    rewrite(site.root, HONEY, ("date = 2024-08-22\n", ""))
    edited = build_site(site.root, search=True)
    assert edited.report.search_read > 2
    same_as_built_from_nothing(edited, tmp_path, part_size=8)
