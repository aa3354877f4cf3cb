"""An edited part of a search shard brought up to date without indexing the whole part again.

Pagefind indexes each page on its own: a page's words, positions, meta positions, filters, sort
values and fragment do not depend on the other pages of the run (search_merge.py rests on the
same fact). An edit that changes a few documents of a part, each at the URL it had, therefore
needs Pagefind only on those documents: one run over their new versions (at their URLs) and
their old ones (under `OLD_FOLDER`), whose postings for the old versions are taken out of the
kept part and whose postings for the new ones go in at the same page numbers.

At 11,000 articles a part holds 174 documents: Pagefind took 0.40 s of CPU over the edited
part, and 0.02 s over the two versions of the one edited document.

The spliced part is what Pagefind writes for the part's documents now (the tests compare the
site with one built from nothing). Where that cannot be made sure of, `MergeRefused` says why
and the part is indexed whole: a page whose meta fields change (the part's field numbering may
change with them), a fragment name Pagefind had to lengthen, a sort of numbers, or a kept part
that does not hold what the old version's run gives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from .search_canonical import cbor_decode, cbor_encode, cbor_head, read_data_file
from .search_merge import (
    NO_POSTINGS,
    MergeRefused,
    PartIndex,
    Postings,
    Word,
    is_number,
    with_fields,
)

OLD_FOLDER = "_broadsheet-old"
"""The folder of the old versions in the documents Pagefind indexes for a splice."""

Posting = tuple[int, list[int], list[int]]
"""(page, positions, meta positions)."""


def old_url(url: str) -> str:
    """The URL Pagefind gives the old version of the page at `url` (see `OLD_FOLDER`)."""
    return f"/{OLD_FOLDER}{url}"


def splice_part(
    kept: PartIndex,
    fragments: Mapping[str, bytes],
    mini: PartIndex,
    mini_fragments: Mapping[str, bytes],
    replaced: Sequence[str],
    sort_values: Mapping[str, Mapping[str, str]],
) -> tuple[PartIndex, dict[str, bytes]]:
    """`kept` (with its `fragments`, by file path) with the pages at the URLs `replaced` indexed
    anew: `mini` is Pagefind's index of their new versions and their old ones (`old_url`),
    with its fragments. `sort_values`: URL -> sort -> the value each page of the part now
    gives Pagefind. Returns the part and its fragments."""
    if (mini.language, mini.version) != (kept.language, kept.version):
        raise MergeRefused("the splice's run is of another language or Pagefind version")
    place = {url: number for number, url in enumerate(kept.urls)}
    mini_place = {url: number for number, url in enumerate(mini.urls)}
    swaps: list[tuple[int, int, int]] = []  # (page in kept, its new version, its old one in mini)
    for url in replaced:
        if url not in place or url not in mini_place or old_url(url) not in mini_place:
            raise MergeRefused(f"the splice's run lacks a version of {url}")
        swaps.append((place[url], mini_place[url], mini_place[old_url(url)]))
    if len(mini.urls) != 2 * len(swaps):
        raise MergeRefused("the splice's run holds other pages")
    _check_fields(mini, mini_fragments, swaps)
    try:
        mini = with_fields(mini, kept.meta_fields)
    except ValueError:
        raise MergeRefused("a new version has a meta field the part lacks") from None
    pages = list(kept.pages)
    files = dict(fragments)
    for page, new, _ in swaps:
        del files[_fragment_file(kept.pages[page])]
        pages[page] = mini.pages[new]
        files[_fragment_file(mini.pages[new])] = mini_fragments[_fragment_file(mini.pages[new])]
    _check_names([str(row[0]) for row in pages], kept.language)
    spliced = replace(
        kept,
        pages=pages,
        filters=_spliced_filters(kept, mini, swaps),
        sorts=_spliced_sorts(kept, mini, swaps, sort_values),
        words=_spliced_words(kept, mini, swaps),
    )
    return spliced, files


def _fragment_file(row: Sequence[object]) -> str:
    return f"fragment/{row[0]}.pf_fragment"


def _check_fields(
    mini: PartIndex, fragments: Mapping[str, bytes], swaps: list[tuple[int, int, int]]
) -> None:
    """Each page keeps its meta fields: the part's fields, and their numbers, stay the same."""
    for _, new, old in swaps:
        fields = [_meta_fields(fragments[_fragment_file(mini.pages[n])]) for n in (new, old)]
        if fields[0] != fields[1]:
            raise MergeRefused(f"the meta fields of {mini.urls[new]} changed")


def _meta_fields(fragment: bytes) -> set[str]:
    meta = json.loads(read_data_file(fragment))["meta"]
    return set(meta) if isinstance(meta, dict) else set()


def _check_names(names: list[str], language: str) -> None:
    """Pagefind names a fragment by the shortest prefix of its hash that no fragment named
    before it in the run has: with every name at that shortest length and none alike, the
    order of naming cannot have mattered."""
    shortest = len(language) + 8
    if any(len(name) != shortest for name in names) or len(set(names)) != len(names):
        raise MergeRefused("a fragment name Pagefind had to lengthen")


def _spliced_words(
    kept: PartIndex, mini: PartIndex, swaps: list[tuple[int, int, int]]
) -> dict[str, Word]:
    words = dict(kept.words)
    for word, (_, own, forms) in mini.words.items():
        _, kept_own, kept_forms = words.get(word, (0, NO_POSTINGS, ()))
        postings = _swapped(_decoded(kept_own), _decoded(own), swaps, word)
        by_form = {form: _decoded(listed) for form, listed in kept_forms}
        for form, listed in forms:
            by_form[form] = _swapped(by_form.get(form, []), _decoded(listed), swaps, form)
        variants = tuple(
            (form, _encoded(by_form[form])) for form in sorted(by_form) if by_form[form]
        )
        if postings or variants:
            size = sum(len(locs) + len(meta) + 1 for _, locs, meta in postings)
            words[word] = (size, _encoded(postings), variants)
        else:
            del words[word]
    return words


def _swapped(
    kept: list[Posting], mini: list[Posting], swaps: list[tuple[int, int, int]], word: str
) -> list[Posting]:
    """`kept`'s postings with each swapped page's taken from its new version in `mini`; the
    kept ones must be what its old version in `mini` has."""
    in_mini = {page: (locs, meta) for page, locs, meta in mini}
    in_kept = {page: (locs, meta) for page, locs, meta in kept}
    swapped = {page for page, _, _ in swaps}
    result = [posting for posting in kept if posting[0] not in swapped]
    for page, new, old in swaps:
        if in_kept.get(page) != in_mini.get(old):
            raise MergeRefused(f"the kept part does not hold the old version's {word!r}")
        if new in in_mini:
            result.append((page, *in_mini[new]))
    return sorted(result, key=_page)


def _page(posting: Posting) -> int:
    return posting[0]


def _decoded(listed: Postings) -> list[Posting]:
    count, first, _, rest = listed
    if not count:
        return []
    head = bytearray()
    cbor_head(4, count, head)
    head.append(0x83)
    cbor_head(0, first, head)
    page, postings = 0, []
    for delta, locs, meta in cbor_decode(bytes(head) + rest):  # type: ignore[union-attr, misc]
        page += delta
        postings.append((page, locs, meta))
    return postings


def _encoded(postings: list[Posting]) -> Postings:
    if not postings:
        return NO_POSTINGS
    rows, previous = [], 0
    for page, locs, meta in postings:
        rows.append([page - previous, locs, meta])
        previous = page
    head = bytearray()
    cbor_head(4, len(rows), head)
    head.append(0x83)
    cbor_head(0, postings[0][0], head)
    data = cbor_encode(rows)  # type: ignore[arg-type]
    return len(rows), postings[0][0], postings[-1][0], data[len(head) :]


def _spliced_filters(
    kept: PartIndex, mini: PartIndex, swaps: list[tuple[int, int, int]]
) -> dict[str, list[tuple[str, list[int]]]]:
    filters = {
        name: {value: set(pages) for value, pages in values}
        for name, values in kept.filters.items()
    }
    for name, values in mini.filters.items():
        for value, pages in values:
            held = filters.setdefault(name, {}).setdefault(value, set())
            for page, new, old in swaps:
                if (old in pages) != (page in held):
                    raise MergeRefused(f"the kept part does not hold the old version's {name}")
                held.discard(page)
                if new in pages:
                    held.add(page)
    for name, values in filters.items():  # the swapped pages' old values not in mini: none held
        for value, held in values.items():
            if any(page in held for page, _, _ in swaps) and not _in_mini(mini, name, value):
                raise MergeRefused(f"the kept part does not hold the old version's {name}")
    spliced = {
        name: [(value, sorted(held)) for value, held in sorted(values.items()) if held]
        for name, values in filters.items()
    }
    return {name: values for name, values in spliced.items() if values}


def _in_mini(mini: PartIndex, name: str, value: str) -> bool:
    return any(found == value for found, _ in mini.filters.get(name, ()))


def _spliced_sorts(
    kept: PartIndex,
    mini: PartIndex,
    swaps: list[tuple[int, int, int]],
    sort_values: Mapping[str, Mapping[str, str]],
) -> dict[str, list[int]]:
    """Each sort's pages by value, ties by page, as Pagefind orders text values (see
    search_merge._merged_sort); the other pages must keep the order Pagefind gave them."""
    swapped = {page for page, _, _ in swaps}
    sorts: dict[str, list[int]] = {}
    for name in sorted(set(kept.sorts) | set(mini.sorts)):
        order = kept.sorts.get(name, [])
        in_mini = set(mini.sorts.get(name, []))
        for page, _, old in swaps:
            if (old in in_mini) != (page in order):
                raise MergeRefused(f"the kept part does not hold the old version's sort {name!r}")
        others = [page for page in order if page not in swapped]
        pages = others + [page for page, new, _ in swaps if new in in_mini]
        values = {}
        for page in pages:
            value = sort_values.get(kept.urls[page], {}).get(name)
            if value is None:
                raise MergeRefused(f"no value of sort {name!r} for {kept.urls[page]}")
            values[page] = value
        if values and all(is_number(value) for value in values.values()):
            raise MergeRefused(f"sort {name!r} holds numbers only: Pagefind orders them as numbers")
        ordered = sorted(pages, key=lambda page: (values[page], page))
        if [page for page in ordered if page not in swapped] != others:
            raise MergeRefused(f"sort {name!r}: the values given are not the ones Pagefind read")
        if ordered:
            sorts[name] = ordered
    return sorts


def read_fragments(bundle: Path, index: PartIndex) -> dict[str, bytes]:
    """The fragment files of a bundle Pagefind wrote, by path in it."""
    return {_fragment_file(row): (bundle / _fragment_file(row)).read_bytes() for row in index.pages}
