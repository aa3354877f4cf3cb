"""Several Pagefind bundles of disjoint pages merged into the one bundle Pagefind would write for
all of them, so that a shard can be indexed in parts and an edit re-indexes one part.

Pagefind's time is linear in the words it indexes (1.3 ms a BBC article, with no fixed cost),
and a bundle cannot be updated: an edit of one article re-indexed its whole shard (700 articles,
0.95 s of CPU at 11,000 articles). Readers want few, large bundles (each bundle the search page
merges costs requests, and ranks on its own statistics), so the shard stays the reader's bundle
and is indexed in parts of about a hundred articles, each kept in the cache; an edit re-indexes
its part and merges the shard's parts again, on their bytes.

A merged bundle holds what Pagefind's bundle of all the pages holds, word for word: the same
words with the same positions, weights and variants per page, cut into the same chunks (the
chunk rule depends on each word's postings only), the same filters, sorts, meta fields and
fragments. Only the numbering of pages differs: part by part (each part in URL order), where one
run numbers them in URL order once made canonical. Pagefind keeps nothing else that depends on
the set of pages (word weights and BM25's statistics are computed in the browser from the
pages' word counts), which is why the merge can be exact. The tests check it against one run.

Where the parts cannot be merged exactly (their meta fields differ, so field numbers in word
positions would have to be rewritten; a sort whose values are all numbers, which Pagefind
orders as numbers; two different fragments with one short name), `MergeRefused` says why and
the caller indexes the shard in one run.

Each part is read once, when Pagefind has written it (`read_part`), into a `PartIndex`, which
the cache keeps: a merge reads no part's word index again.
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .errors import SearchIndexError
from .search_canonical import (
    _HEAD_SIZE,
    Cbor,
    _canonical_page_order,
    _cbor_items,
    _expect_list,
    _load_checked,
    _pagefind_json,
    _posting_chains,
    canonical_filter,
    canonical_word_chunk_bytes,
    cbor_decode,
    cbor_encode,
    cbor_head,
    full_hash,
    meta_name,
    read_data_file,
    short_name,
    write_data_file,
)

CHUNK_SIZE = 20_000
"""Pagefind's cut of the word index: a chunk ends after the word that brings the sum, over its
words' pages, of positions + meta positions + 1 to this (Pagefind 1.5's index_chunk_size)."""

Postings = tuple[int, int, int, bytes]
"""One word's (or variant's) postings in one part: (how many, the first page, the last page,
the bytes of the list after the first posting's page delta). Within a part the postings are
delta-encoded by page, so in a merge only each part's first delta changes."""

Word = tuple[int, Postings, tuple[tuple[str, Postings], ...]]
"""(its share of the chunk size, its postings, its variants' postings by form)."""


class MergeRefused(Exception):
    """The parts cannot be merged into exactly the bundle one run would write."""


@dataclass(frozen=True, slots=True)
class PartIndex:
    """One part's canonical bundle, read for merging."""

    language: str
    entry: dict[str, object]
    """pagefind-entry.json, as Pagefind wrote it."""
    version: str
    meta_fields: list[str]
    pages: list[list[Cbor]]
    """[fragment, word count] of each page, in the part's (URL) order."""
    urls: list[str]
    filters: dict[str, list[tuple[str, list[int]]]]
    """Filter -> (value, its pages) in value order."""
    sorts: dict[str, list[int]]
    """Sort -> its pages in order, as Pagefind ordered them."""
    words: dict[str, Word]


def read_part(bundle: Path) -> tuple[PartIndex, list[tuple[str, str]]]:
    """Read the bundle Pagefind wrote for a part, in the canonical page order (URL order, as
    `canonicalise_bundle` would rewrite it) but without writing anything: a part's own index
    files are never served. Also gives (URL, fragment) of each page, in that order."""
    try:
        return _read_part(bundle)
    except (OSError, ValueError, KeyError, TypeError, zlib.error) as exc:
        raise SearchIndexError(
            f"Could not read the search bundle in {bundle}: {exc}. Pagefind's file format may "
            "have changed: pin pagefind[bin] to a 1.5.x release or update "
            "generator/search_merge.py."
        ) from exc


def _read_part(bundle: Path) -> tuple[PartIndex, list[tuple[str, str]]]:
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    languages = entry["languages"]
    if len(languages) != 1:
        raise MergeRefused(f"a part in {len(languages)} languages")
    ((language, info),) = languages.items()
    meta = _expect_list(_load_checked(bundle / f"pagefind.{info['hash']}.pf_meta"), 6, "meta")
    version, page_rows, chunks, filter_rows, sort_rows, meta_fields = meta
    pages = _expect_list(page_rows, None, "pages")
    order, urls = _canonical_page_order(bundle, pages)
    renumber = {old: new for new, old in enumerate(order)}
    renumber_array = np.empty(len(order), dtype=np.int64)
    renumber_array[order] = np.arange(len(order))
    filters: dict[str, list[tuple[str, list[int]]]] = {}
    for name, digest in (_expect_list(row, 2, "filter") for row in filter_rows):  # type: ignore[union-attr]
        decoded = _load_checked(bundle / "filter" / f"{digest}.pf_filter")
        _, values = canonical_filter(decoded, renumber)  # type: ignore[misc]
        filters[str(name)] = [(str(value), list(numbers)) for value, numbers in values]  # type: ignore[misc]
    sorts = {
        str(name): [renumber[int(p)] for p in _expect_list(ps, None, "sort")]  # type: ignore[arg-type]
        for name, ps in (_expect_list(row, 2, "sort") for row in sort_rows)  # type: ignore[union-attr]
    }
    words: dict[str, Word] = {}
    for row in _expect_list(chunks, None, "chunks"):
        path = bundle / "index" / f"{_expect_list(row, 3, 'chunk')[2]}.pf_index"
        payload = canonical_word_chunk_bytes(read_data_file(path.read_bytes()), renumber_array)
        words.update(_chunk_words(payload))
    index = PartIndex(
        language,
        entry,
        str(version),
        [str(field) for field in _expect_list(meta_fields, None, "meta fields")],
        [_expect_list(pages[old], 2, "page") for old in order],
        [url for url, _ in urls],
        filters,
        sorts,
        words,
    )
    return index, urls


def _chunk_words(payload: bytes) -> dict[str, Word]:
    """The words of one word index chunk ([[[word, postings, [[form, postings], ...]], ...]]),
    found with the canonical step's item walk: each list's postings are kept as bytes."""
    items = _cbor_items(payload)
    heads = items.heads
    text = np.flatnonzero(heads >> 5 == 3)
    if text.size == 0:
        return {}
    row, head = text - 1, text + 1
    is_word = heads[row] == 0x83
    postings = _posting_chains(items, head)
    start = items.start
    lengths = postings.lengths
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    firsts = postings.first
    locs = items.number(firsts + 2)
    share = np.concatenate(([0], np.cumsum(locs + items.number(firsts + 3 + locs) + 1)))
    pages = np.concatenate(([0], np.cumsum(items.number(firsts + 1))))  # pages[k]: before k
    held = lengths > 0
    last = np.maximum(offsets[1:] - 1, 0)
    first_page = np.where(held, pages[offsets[:-1] + 1] - pages[offsets[:-1]], 0)
    last_page = np.where(held, pages[last + 1] - pages[offsets[:-1]], 0)
    body = np.where(held, start[firsts[np.minimum(offsets[:-1], max(firsts.size - 1, 0))] + 2], 0)
    text_start = start[text] + np.take(_HEAD_SIZE, heads[text])
    words: dict[str, Word] = {}
    word, size, own, variants = "", 0, NO_POSTINGS, []
    started = False
    for row_start, row_stop, count, first, stop, body_at, end, wordy, weight in zip(
        text_start.tolist(),
        start[head].tolist(),
        lengths.tolist(),
        first_page.tolist(),
        last_page.tolist(),
        body.tolist(),
        start[postings.list_end].tolist(),
        is_word.tolist(),
        (share[offsets[1:]] - share[offsets[:-1]]).tolist(),
        strict=True,
    ):
        name = payload[row_start:row_stop].decode("utf-8")
        listed = (count, first, stop, payload[body_at:end]) if count else NO_POSTINGS
        if wordy:
            if started:
                words[word] = (size, own, tuple(variants))
            word, size, own, variants, started = name, weight, listed, [], True
        else:
            variants.append((name, listed))
    words[word] = (size, own, tuple(variants))
    return words


NO_POSTINGS: Postings = (0, 0, 0, b"")


@dataclass(frozen=True, slots=True)
class MergedBundle:
    """The files of a merged bundle, by path relative to it, and its pages in order."""

    files: dict[str, bytes]
    pages: list[tuple[str, str]]
    """(URL, fragment) of each page, in the bundle's order."""


def merge_parts(
    parts: Sequence[PartIndex], sort_values: Mapping[str, Mapping[str, str]]
) -> MergedBundle:
    """The bundle of all the parts' pages (fragments aside: they are the parts' files, under
    the same names). `sort_values`: URL -> sort -> the value the page gave Pagefind."""
    if not parts:
        raise MergeRefused("no parts")
    first = parts[0]
    language = first.language
    for part in parts:
        if part.language != language or part.version != first.version:
            raise MergeRefused("parts of different languages or Pagefind versions")
    meta_fields = sorted({field for part in parts for field in part.meta_fields})
    parts = [with_fields(part, meta_fields) for part in parts]
    offsets, total = [], 0
    for part in parts:
        offsets.append(total)
        total += len(part.pages)
    pages = [row for part in parts for row in part.pages]
    fragments = [str(row[0]) for row in pages]
    if len(set(fragments)) != len(fragments):
        raise MergeRefused("two pages of different parts have fragments of one name")
    urls = [url for part in parts for url in part.urls]

    chunk_rows, chunk_files = _word_chunks(parts, offsets, language)
    filter_rows: list[Cbor] = []
    files: dict[str, bytes] = {}
    taken: set[str] = set()
    for name in sorted({name for part in parts for name in part.filters}):
        values: dict[str, list[int]] = {}
        for part, offset in zip(parts, offsets, strict=True):
            for value, numbers in part.filters.get(name, []):
                values.setdefault(value, []).extend(offset + n for n in numbers)
        payload = cbor_encode([name, [[value, values[value]] for value in sorted(values)]])
        digest = short_name(language, full_hash(payload), taken)
        taken.add(digest)
        files[f"filter/{digest}.pf_filter"] = write_data_file(payload)
        filter_rows.append([name, digest])
    sort_rows = [
        [name, _merged_sort(name, parts, offsets, urls, sort_values)]
        for name in sorted({name for part in parts for name in part.sorts})
    ]
    meta = [first.version, pages, chunk_rows, filter_rows, sort_rows, list(meta_fields)]
    payload = cbor_encode(meta)  # type: ignore[arg-type]
    meta_hash = meta_name(language, payload)
    files[f"pagefind.{meta_hash}.pf_meta"] = write_data_file(payload)
    files.update(chunk_files)
    entry = json.loads(json.dumps(first.entry))
    entry["languages"][language]["hash"] = meta_hash
    entry["languages"][language]["page_count"] = total
    files["pagefind-entry.json"] = _pagefind_json(entry).encode("utf-8")
    return MergedBundle(files, list(zip(urls, fragments, strict=True)))


def with_fields(part: PartIndex, meta_fields: list[str]) -> PartIndex:
    """The part with its words' meta positions numbering fields as `meta_fields` does.

    Pagefind numbers meta fields in name order over all the pages it indexes, and a word's meta
    positions name their field by number (-1 - number, before the field's positions), so a
    part that lacks a field another has (no article of it with versions, say) numbers the rest
    differently. Both lists are in name order, so renumbering keeps each list's order."""
    if part.meta_fields == meta_fields:
        return part
    number = [meta_fields.index(field) for field in part.meta_fields]
    words = {
        word: (size, _renumbered(own, number), tuple((f, _renumbered(p, number)) for f, p in forms))
        for word, (size, own, forms) in part.words.items()
    }
    return replace(part, meta_fields=meta_fields, words=words)


def _renumbered(listed: Postings, number: list[int]) -> Postings:
    count, first, last, rest = listed
    if not count:
        return listed
    out = bytearray()
    cbor_head(4, count, out)
    out.append(0x83)
    cbor_head(0, first, out)
    postings = _expect_list(cbor_decode(bytes(out) + rest), count, "postings")
    for posting in postings:
        meta = _expect_list(_expect_list(posting, 3, "posting")[2], None, "meta positions")
        meta[:] = [-1 - number[-1 - x] if x < 0 else x for x in meta]  # type: ignore[operator]
    encoded = cbor_encode(postings)
    return count, first, last, encoded[len(out) :]


def _merged_sort(
    name: str,
    parts: Sequence[PartIndex],
    offsets: Sequence[int],
    urls: Sequence[str],
    sort_values: Mapping[str, Mapping[str, str]],
) -> list[int]:
    """The merged pages in the order of sort `name`: by value, ties by page, as Pagefind orders
    text values. Each part's own order must come out again, or the values are not the ones
    Pagefind read."""
    keyed = []
    for part, offset in zip(parts, offsets, strict=True):
        for number in part.sorts.get(name, []):
            value = sort_values.get(urls[offset + number], {}).get(name)
            if value is None:
                raise MergeRefused(f"no value of sort {name!r} for {urls[offset + number]}")
            keyed.append((value, offset + number))
    if keyed and all(is_number(value) for value, _ in keyed):
        raise MergeRefused(f"sort {name!r} holds numbers only, which Pagefind orders as numbers")
    keyed.sort()
    merged = [number for _, number in keyed]
    for part, offset in zip(parts, offsets, strict=True):
        own = [offset + number for number in part.sorts.get(name, [])]
        placed = set(own)
        if [number for number in merged if number in placed] != own:
            raise MergeRefused(f"sort {name!r}: the values given are not the ones Pagefind read")
    return merged


def is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _word_chunks(
    parts: Sequence[PartIndex], offsets: Sequence[int], language: str
) -> tuple[list[Cbor], dict[str, bytes]]:
    """The merged word index, cut into chunks as Pagefind cuts it: their meta rows [from, to,
    name] and their files."""
    chunks: list[tuple[str, str, bytes]] = []
    words = sorted({word for part in parts for word in part.words})
    lookups = [(offset, part.words.get) for part, offset in zip(parts, offsets, strict=True)]
    out = bytearray()
    count = size = 0
    first_word = ""
    for word in words:
        held = [(offset, entry) for offset, get in lookups if (entry := get(word)) is not None]
        if not count:
            first_word = word
        out.append(0x83)
        _text(word, out)
        _postings([(offset, entry[1]) for offset, entry in held], out)
        if any(entry[2] for _, entry in held):
            forms: dict[str, list[tuple[int, Postings]]] = {}
            for offset, entry in held:
                for form, listed in entry[2]:
                    forms.setdefault(form, []).append((offset, listed))
            cbor_head(4, len(forms), out)
            for form in sorted(forms):
                out.append(0x82)
                _text(form, out)
                _postings(forms[form], out)
        else:
            out.append(0x80)  # no variants
        count += 1
        for _, entry in held:
            size += entry[0]
        if size >= CHUNK_SIZE:
            chunks.append((first_word, word, _chunk_payload(count, out)))
            out, count, size = bytearray(), 0, 0
    if count:
        chunks.append((first_word, words[-1], _chunk_payload(count, out)))
    ranges = _chunk_ranges([(start, stop) for start, stop, _ in chunks])
    rows: list[Cbor] = []
    files: dict[str, bytes] = {}
    taken: set[str] = set()
    for (start, stop), (_, _, payload) in zip(ranges, chunks, strict=True):
        digest = short_name(language, full_hash(payload), taken)
        taken.add(digest)
        files[f"index/{digest}.pf_index"] = write_data_file(payload)
        rows.append([start, stop, digest])
    return rows, files


def _chunk_payload(count: int, rows: bytearray) -> bytes:
    out = bytearray([0x81])
    cbor_head(4, count, out)
    return bytes(out + rows)


def _chunk_ranges(bounds: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each chunk's [from, to] as Pagefind names them: neighbours' bounds cut to the shortest
    prefixes that tell them apart (a `to` only where that keeps it at or after its `from`)."""
    ranges = [list(pair) for pair in bounds]
    for left, right in itertools.pairwise(ranges):
        common = 0
        for a, b in zip(right[0], left[1], strict=False):
            if a != b:
                break
            common += 1
        to, start = left[1][: common + 1], right[0][: common + 1]
        if to >= left[0]:
            left[1] = to
        right[0] = start
    return [(start, stop) for start, stop in ranges]


def _text(value: str, out: bytearray) -> None:
    raw = value.encode("utf-8")
    cbor_head(3, len(raw), out)
    out += raw


def _postings(lists: Sequence[tuple[int, Postings]], out: bytearray) -> None:
    """One list of postings from each part's, pages shifted by the part's offset: only each
    part's first page delta is written anew."""
    if len(lists) == 1 and not lists[0][0]:  # the first part's: as it was
        count, first, _, rest = lists[0][1]
        cbor_head(4, count, out)
        if count:
            out.append(0x83)
            cbor_head(0, first, out)
            out += rest
        return
    cbor_head(4, sum(listed[0] for _, listed in lists), out)
    previous = 0
    for offset, (count, first, last, rest) in lists:
        if count:
            out.append(0x83)
            cbor_head(0, offset + first - previous, out)
            out += rest
            previous = offset + last
