"""Rewrite a Pagefind bundle into a canonical form, so the same site gives the same bytes.

What varies, for the same site, in Pagefind 1.5:
- each filter's values, and the list of filters in the meta file, are in Rust HashMap order,
  seeded at random in every process (upstream issue #638);
- pages are numbered in the order Pagefind's directory walk meets them, the file system's order,
  which differs between machines; the numbers appear in the word index chunks, the filters and
  the meta file (its page list and sort orders);
- those files are named by a hash of their content, so names change with them, and so do the
  meta file that lists them and pagefind-entry.json that names the meta file.
Fragments (named by their own content) and the JS/WASM files are stable and left alone.

Canonical form: pages numbered in URL order, filter values and filters in name order, diacritic
variants of a word in order of form, files gzipped with fixed settings (zlib level 5, see
`DEFLATE_LEVEL`) and named by Pagefind's own content hash of the canonical bytes. The step is
driven by references, never by guessing from file names:

    pagefind-entry.json  languages.<lang>.hash       -> pagefind.<hash>.pf_meta
    pf_meta              pages[i] = [fragment, words] -> fragment/<fragment>.pf_fragment (URL)
                         index_chunks[i][2]           -> index/<hash>.pf_index
                         filters[i] = [name, hash]    -> filter/<hash>.pf_filter

One thing stays in Pagefind's order: within a sort order (data-pagefind-sort), pages with equal
values follow Pagefind's numbering, which the bundle alone cannot undo (it does not hold the
values). Pages whose sort values differ, as dated articles' usually do, are unaffected.

Each gzipped file holds b"pagefind_dcd" then CBOR. Pagefind (minicbor) uses only unsigned and
negative integers, text strings and definite-length arrays, so a small strict codec here is
enough, and it refuses anything else rather than risk a silently different encoding. Before a
file is rewritten, the step proves that re-encoding its decoded value gives back its exact bytes
(so the encoder matches Pagefind's, and a future format change fails the build with a clear
message instead of producing a bundle the browser cannot read):
- the meta file and the filters are decoded into Python values and re-encoded, and compared;
- the word index chunks, which hold nearly all of the bundle's integers (16 M at 11,000 pages),
  are never decoded into Python values: numpy finds every item's head, checks each head is one
  of the kinds the codec knows in its shortest form (which is what makes re-encoding give back
  the same bytes), checks the items against the word-index layout one by one, and rebuilds the
  chunk from byte ranges of the original with only the page numbers encoded anew. The result is
  `cbor_encode(canonical_word_chunk(cbor_decode(payload), renumber))`, which the tests check.

Cost at 11,000 pages: about 2 s on two cores (Pagefind itself takes about 50 s). Chunks are
read, rebuilt and written one at a time, so memory follows the largest chunk, not the site.
"""

from __future__ import annotations

import concurrent.futures
import gzip
import hashlib
import json
import os
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from .errors import SearchIndexError

SIGNATURE = b"pagefind_dcd"
"""Pagefind's marker at the start of every decompressed data file."""

DEFLATE_LEVEL = 5
"""zlib level of every rewritten file. Part of the output: any fixed level gives the same bytes
for the same content (with the same zlib). Pagefind uses 9, which costs 8 s of CPU at 11,000
pages for files 6 % smaller than level 5's (0.7 s); levels 6 and up cost 2 s or more."""

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
"""gzip header as Pagefind (flate2) writes it but for the level: no name, mtime 0, XFL 0 (not
best compression), OS 255 ("unknown"). Python's gzip module writes OS 3 and the time, so the
header is written by hand."""

Cbor = int | str | list["Cbor"]
"""The values Pagefind's files hold: integers, text and arrays of them."""


# --- CBOR: the subset Pagefind writes -----------------------------------------------------------


def cbor_decode(data: bytes) -> Cbor:
    """Decode one CBOR item that must fill `data` exactly."""
    value, end = _decode_at(data, 0)
    if end != len(data):
        raise ValueError(f"{len(data) - end} stray bytes after the CBOR item")
    return value


def cbor_encode(value: Cbor) -> bytes:
    """Encode the way minicbor does: shortest-form heads, definite lengths."""
    out = bytearray()
    _encode_into(value, out)
    return bytes(out)


def _decode_at(data: bytes, pos: int) -> tuple[Cbor, int]:
    if pos >= len(data):
        raise ValueError("CBOR ends in the middle of an item")
    major, info = data[pos] >> 5, data[pos] & 0x1F
    pos += 1
    if info < 24:
        argument = info
    elif info <= 27:
        width = 1 << (info - 24)
        if pos + width > len(data):
            raise ValueError("CBOR ends in the middle of a head")
        argument = int.from_bytes(data[pos : pos + width], "big")
        pos += width
    else:
        raise ValueError(f"unsupported CBOR head {data[pos - 1]:#04x} (indefinite or reserved)")
    if major == 0:
        return argument, pos
    if major == 1:
        return -1 - argument, pos
    if major == 3:
        end = pos + argument
        if end > len(data):
            raise ValueError("CBOR text runs past the end")
        return data[pos:end].decode("utf-8"), end
    if major == 4:
        items: list[Cbor] = []
        for _ in range(argument):
            item, pos = _decode_at(data, pos)
            items.append(item)
        return items, pos
    raise ValueError(f"unsupported CBOR major type {major}")


def _encode_into(value: Cbor, out: bytearray) -> None:
    if isinstance(value, bool):  # bool is an int subclass; Pagefind never writes one
        raise TypeError("booleans are not part of Pagefind's CBOR")
    if isinstance(value, int):
        if value >= 0:
            cbor_head(0, value, out)
        else:
            cbor_head(1, -1 - value, out)
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        cbor_head(3, len(raw), out)
        out += raw
    elif isinstance(value, list):
        cbor_head(4, len(value), out)
        for item in value:
            _encode_into(item, out)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as Pagefind CBOR")


def cbor_head(major: int, argument: int, out: bytearray) -> None:
    if argument < 24:
        out.append(major << 5 | argument)
        return
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * width):
            out.append(major << 5 | info)
            out += argument.to_bytes(width, "big")
            return
    raise ValueError(f"integer {argument} does not fit in CBOR")


# --- Pagefind's file envelope and names ---------------------------------------------------------


def read_data_file(raw: bytes) -> bytes:
    """The CBOR payload of a gzipped Pagefind data file."""
    data = gzip.decompress(raw)
    if not data.startswith(SIGNATURE):
        raise ValueError("missing the pagefind_dcd signature")
    return data[len(SIGNATURE) :]


def write_data_file(payload: bytes) -> bytes:
    """Gzip signature + payload with fixed settings, so equal payloads give equal bytes."""
    data = SIGNATURE + payload
    compressor = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = compressor.compress(data) + compressor.flush()
    return GZIP_HEADER + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def full_hash(payload: bytes) -> str:
    """Pagefind's content hash: SHA-1 with each byte as unpadded hex (Rust's `{:x?}` per byte),
    reproduced so canonical names look like, and sort like, the names Pagefind gives."""
    return "".join(format(byte, "x") for byte in hashlib.sha1(payload).digest())


def short_name(language: str, digest: str, taken: set[str]) -> str:
    """`<lang>_` + 7 characters of the digest (`full_hash` of the payload), lengthened one at a
    time on a collision as Pagefind does."""
    whole = f"{language}_{digest}"
    length = len(language) + 8
    while whole[:length] in taken and length < len(whole):
        length += 1
    return whole[:length]


def meta_name(language: str, payload: bytes) -> str:
    """`<lang>_` + len(lang)+8 hash characters: the form Pagefind gives the meta file."""
    return f"{language}_{full_hash(payload)[: len(language) + 8]}"


# --- canonical forms ----------------------------------------------------------------------------

Renumber = dict[int, int]
"""Pagefind's page number -> the canonical one."""


def canonical_filter(index: Cbor, renumber: Renumber) -> Cbor:
    """[name, [[value, [page, ...]], ...]]: values in order, page lists renumbered, ascending."""
    name, values = _expect_list(index, 2, "filter index")
    rows = [_expect_list(row, 2, "filter value") for row in _expect_list(values, None, "values")]
    return [
        name,
        sorted(([value, sorted(renumber[p] for p in pages)] for value, pages in rows), key=_first),
    ]


def canonical_word_chunk(chunk: Cbor, renumber: Renumber) -> Cbor:
    """[[word, pages, variants], ...] with pages renumbered and variants in order of form.

    pages = [[page-number delta, locs, meta_locs], ...] ascending by page; variants =
    [[form, pages], ...]."""
    (words,) = _expect_list(chunk, 1, "word index")
    result: list[Cbor] = []
    for row in _expect_list(words, None, "words"):
        word, pages, variants = _expect_list(row, 3, "word")
        forms = [_expect_list(v, 2, "variant") for v in _expect_list(variants, None, "variants")]
        result.append(
            [
                word,
                _renumber_postings(pages, renumber),
                sorted(([f, _renumber_postings(ps, renumber)] for f, ps in forms), key=_first),
            ]
        )
    return [result]


def _renumber_postings(postings: Cbor, renumber: Renumber) -> list[Cbor]:
    """Undo the page-number deltas, renumber, sort by page and delta-encode again."""
    absolute: list[tuple[int, list[Cbor]]] = []
    page = 0
    for posting in _expect_list(postings, None, "postings"):
        delta, *rest = _expect_list(posting, 3, "posting")
        page += _expect_int(delta)
        absolute.append((renumber[page], rest))
    absolute.sort(key=lambda item: item[0])
    result: list[Cbor] = []
    previous = 0
    for number, rest in absolute:
        result.append([number - previous, *rest])
        previous = number
    return result


def canonical_meta(
    meta: Cbor, order: list[int], chunk_hashes: list[str], filter_hashes: dict[str, str]
) -> Cbor:
    """The meta index with pages in canonical order and the new chunk and filter names.

    Fields (Pagefind 1.5): version, pages, index_chunks, filters, sorts, meta_fields. Filters are
    sorted by name; sorts keep their order (by value) with pages renumbered; meta_fields keeps its
    order, since word positions refer to fields by index."""
    fields = _expect_list(meta, None, "meta index")
    if len(fields) != 6:
        raise ValueError(f"meta index has {len(fields)} fields, expected 6 (Pagefind 1.5)")
    version, pages, chunks, filters, sorts, meta_fields = fields
    pages = _expect_list(pages, None, "pages")
    renumber = {old: new for new, old in enumerate(order)}
    chunk_rows = [_expect_list(row, 3, "index chunk") for row in _expect_list(chunks, None, "")]
    filter_rows = [_expect_list(row, 2, "meta filter") for row in _expect_list(filters, None, "")]
    sort_rows = [_expect_list(row, 2, "sort") for row in _expect_list(sorts, None, "sorts")]
    return [
        version,
        [pages[old] for old in order],
        [
            [start, stop, new]
            for (start, stop, _), new in zip(chunk_rows, chunk_hashes, strict=True)
        ],
        sorted(([name, filter_hashes[str(name)]] for name, _ in filter_rows), key=_first),
        [[name, [renumber[p] for p in _expect_list(ps, None, "")]] for name, ps in sort_rows],
        meta_fields,
    ]


def _first(row: list[Cbor]) -> str:
    """Sort rows by their first item, a text: code-point order, which is Rust's byte order."""
    if not isinstance(row[0], str):
        raise ValueError(f"expected text, found {row[0]!r}")
    return row[0]


def _expect_int(value: Cbor) -> int:
    if not isinstance(value, int):
        raise ValueError(f"expected an integer, found {str(value)[:80]}")
    return value


def _expect_list(value: Cbor, length: int | None, what: str) -> list[Cbor]:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise ValueError(f"unexpected shape of {what or 'list'}: {str(value)[:80]}")
    return value


# --- the word index, on its bytes ---------------------------------------------------------------
#
# A word index chunk is [[row, ...]]: word rows [word, postings, variants] and, after each word
# row, its variants' rows [form, postings]; postings are [[page delta, [int, ...], [int, ...]],
# ...]. Canonicalising changes only the page deltas and the order of postings and of variant
# rows, so the chunk is rebuilt from byte ranges of the original.

_HEAD_SIZE = np.array(
    [1 if b & 31 < 24 else {24: 2, 25: 3, 26: 5, 27: 9}.get(b & 31, 1) for b in range(256)],
    dtype=np.int64,
)
"""Bytes of a CBOR head by its first byte (1 for the heads Pagefind never writes: they are
refused if they turn out to start an item)."""

_HEAD_SIZE_BYTES = bytes(_HEAD_SIZE.tolist())
"""The same, as a bytes.translate table."""

_TEXT_HEAD_BYTES = bytes(1 if b >> 5 == 3 else 0 for b in range(256))
"""1 for the first byte of a text's head, as a bytes.translate table."""


def _head_checks() -> np.ndarray:
    """Indexed by head byte * 256 + the byte after it: 0 a head the codec writes, 1 one it
    never writes (another major type, indefinite length, or longer than needed), 2 a 4- or
    8-byte number whose first byte is 0 (shortest form only if the other bytes say so)."""
    table = np.zeros((256, 256), dtype=np.uint8)
    for head in range(256):
        major, info = head >> 5, head & 31
        if major not in (0, 1, 3, 4) or info > 27:
            table[head] = 1
        elif info == 24:
            table[head, :24] = 1
        elif info == 25:
            table[head, 0] = 1
        elif info >= 26:
            table[head, 0] = 2
    return table.ravel()


_HEAD_CHECKS = _head_checks()

_SETTLE_STEPS = 5
"""A chain of items followed from any byte falls in step with the real one within 2**5 items in
Pagefind's files (checked every time; where it does not, the slower walk item by item runs)."""


@dataclass(frozen=True, slots=True)
class _Items:
    """Every CBOR item of a payload, in order: its tree flattened, each array before its items."""

    start: np.ndarray
    """Byte offset of each item's head, then the payload's length (one longer)."""
    heads: np.ndarray
    """First byte of each item's head (uint8)."""
    padded: np.ndarray
    """The payload and 9 zero bytes, to read heads' numbers from."""

    def number(self, item: np.ndarray) -> np.ndarray:
        """The heads' numbers: an integer's value (negative ones less 1), a text's or an
        array's length."""
        info = (self.heads[item] & 31).astype(np.int64)
        value = info.copy()
        at = self.start[item].astype(np.int64)
        for code, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
            wide = np.flatnonzero(info == code)
            if wide.size:
                part = np.zeros(wide.size, dtype=np.uint64)
                for k in range(1, width + 1):
                    part = part << np.uint64(8) | self.padded[at[wide] + k]
                if (part >= 2**62).any():
                    raise ValueError("a number in the search index is too large")
                value[wide] = part.astype(np.int64)
        return value


def _cbor_items(payload: bytes) -> _Items:
    """Find every item of `payload`, proving on the way that each head is one `cbor_encode`
    writes (a known major type, shortest form) and that the items end with the payload. Such a
    payload is one CBOR item if its arrays' lengths match what follows them, which the caller
    checks against the layout it expects; then re-encoding the decoded item gives back exactly
    these bytes."""
    data = np.frombuffer(payload, dtype=np.uint8)
    size = data.size
    if size == 0:
        raise ValueError("an empty CBOR payload")
    padded = np.zeros(size + 9, dtype=np.uint8)
    padded[:size] = data
    # following[i]: where the next item starts if an item starts at byte i
    following = np.empty(size + 1, dtype=np.int64)
    head_size = np.frombuffer(payload.translate(_HEAD_SIZE_BYTES), dtype=np.uint8)
    np.add(np.arange(size), head_size, out=following[:size])
    text = np.flatnonzero(np.frombuffer(payload.translate(_TEXT_HEAD_BYTES), dtype=np.uint8))
    if text.size:
        info = data[text] & 31
        length = info.astype(np.int64)
        one, two = info == 24, info == 25
        length[one] = padded[text[one] + 1]
        length[two] = padded[text[two] + 1].astype(np.int64) << 8 | padded[text[two] + 2]
        length[info >= 26] = size  # a text of 64 KiB or more: Pagefind writes none
        following[text] += length
    np.minimum(following, size, out=following)
    following[size] = size
    start = _settled_chain(following)
    if start is None:
        start = _exact_chain(following)
    heads = data[start]
    pairs = np.ndarray((size,), dtype=">u2", buffer=padded, strides=(1,))  # bytes i and i + 1
    check = _HEAD_CHECKS[pairs[start]]
    if check.any():
        for item in np.flatnonzero(check).tolist():
            head, at = int(heads[item]), int(start[item])
            if check[item] == 1 and (head >> 5 not in (0, 1, 3, 4) or head & 31 > 27):
                raise ValueError(f"unsupported CBOR head {head:#04x} at byte {at}")
            number = int.from_bytes(payload[at + 1 : at + _HEAD_SIZE[head]], "big")
            if check[item] == 1 or number < 1 << (4 * (_HEAD_SIZE[head] - 1)):
                raise ValueError(f"CBOR head at byte {at} is longer than needed (not minicbor's)")
    items = _Items(np.append(start, size), heads, padded)
    last = int(start[-1])
    end = last + int(_HEAD_SIZE[heads[-1]])
    if heads[-1] >> 5 == 3:
        end += int(items.number(np.array([heads.size - 1]))[0])
    if end != size:
        raise ValueError(f"CBOR items end at byte {end} of {size}")
    return items


def _settled_chain(following: np.ndarray) -> np.ndarray | None:
    """The items' starts, found fast: the chain from any byte, followed 2**_SETTLE_STEPS items
    on, lands on a real start once it has fallen in step. Those landings and the first items are
    all the starts if they link up into one chain from byte 0 (checked); else None."""
    size = following.size - 1
    jump = following
    for _ in range(_SETTLE_STEPS):
        jump = np.take(jump, jump)
    found = np.zeros(size + 1, dtype=bool)
    found[jump] = True
    position = 0
    for _ in range(1 << _SETTLE_STEPS):
        found[position] = True
        position = int(following[position])
    found[size] = False
    start = np.flatnonzero(found)
    if start[0] != 0 or not np.array_equal(np.take(following, start[:-1]), start[1:]):
        return None
    return start


def _exact_chain(following: np.ndarray) -> np.ndarray:
    """The items' starts, one after another from byte 0: slower, for payloads whose chains do
    not fall in step quickly (about 5 ms for an average chunk)."""
    size = following.size - 1
    step = following.tolist()
    start = []
    position = 0
    while position < size:
        start.append(position)
        position = step[position]
    return np.array(start, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Postings:
    """Every posting of a chunk, list by list in the chunk's order."""

    first: np.ndarray
    """Each posting's first item (its head)."""
    end: np.ndarray
    """The item after each posting."""
    lengths: np.ndarray
    """How many postings each list holds."""
    list_end: np.ndarray
    """The item after each list."""


def canonical_word_chunk_bytes(payload: bytes, renumber: np.ndarray) -> bytes:
    """cbor_encode(canonical_word_chunk(cbor_decode(payload), renumber)), computed on the bytes.

    `renumber[old]` is page old's new number. Raises ValueError, naming what differs, when the
    payload is not one CBOR item of the word-index layout, or not in minicbor's encoding."""
    items = _cbor_items(payload)
    heads = items.heads
    count = heads.size
    if not (count >= 2 and heads[0] == 0x81 and heads[1] >> 5 == 4):
        raise ValueError("unexpected shape of word index: not [[word, ...]]")
    text = np.flatnonzero(heads >> 5 == 3)  # each row's first item, and its only text
    if text.size == 0:
        if count != 2 or heads[1] != 0x80:
            raise ValueError("unexpected shape of word index: items that are not words")
        return payload
    row, head = text - 1, text + 1  # the rows, and their lists of postings
    if head[-1] >= count:
        raise ValueError("unexpected shape of word index: a row without postings")
    is_word = heads[row] == 0x83
    if not ((is_word | (heads[row] == 0x82)) & (heads[head] >> 5 == 4)).all():
        raise ValueError("unexpected shape of word index: rows are not [word, pages, variants]")
    postings = _posting_chains(items, head)
    variants = postings.list_end[is_word]  # a word row's last item: its variant rows' list
    if variants.max(initial=0) >= count or not (heads[variants] >> 5 == 4).all():
        raise ValueError("unexpected shape of word index: a word row without its variants")
    # The rows follow one another to the end, as many word rows as the outer list says, and
    # each word's variants list holds the variant rows that follow it. With the postings'
    # shapes, every item now has its place; all items in those places but the integers in
    # postings' lists are arrays or texts, and no other item may be.
    row_end = postings.list_end + is_word
    word_rows = np.flatnonzero(is_word)
    placed = 2 + 4 * word_rows.size + 3 * (row.size - word_rows.size) + 3 * postings.first.size
    if not (
        row[0] == 2
        and is_word[0]
        and np.array_equal(row[1:], row_end[:-1])
        and row_end[-1] == count
        and items.number(np.array([1]))[0] == word_rows.size
        and np.array_equal(np.diff(np.append(word_rows, row.size)) - 1, items.number(variants))
        and np.count_nonzero(heads >= 0x40) == placed
    ):
        raise ValueError("unexpected shape of word index: rows and lists do not match")
    text_start = items.start[text] + np.take(_HEAD_SIZE, heads[text])
    for begin, stop in zip(text_start.tolist(), items.start[head].tolist(), strict=True):
        payload[begin:stop].decode("utf-8")  # refuse what decoding would refuse
    return _rebuild_chunk(payload, items, head, postings, row, is_word, renumber)


def _posting_chains(items: _Items, head: np.ndarray) -> _Postings:
    """The postings of the lists whose heads are `head`.

    A posting is [page delta (unsigned), [int, ...], [int, ...]]: it ends 4 + the two lengths
    items on, where the next posting starts. Chains of those links are followed from each
    list's first item by pointer doubling, over the items that have a posting's shape."""
    heads = items.heads
    count = heads.size
    padded_heads = np.append(heads, np.uint8(0xFF))  # item `count`: the end, no item
    candidate = np.flatnonzero(heads == 0x83)
    fits = (padded_heads[np.minimum(candidate + 1, count)] < 0x1C) & (
        padded_heads[np.minimum(candidate + 2, count)] >> 5 == 4
    )
    candidate = candidate[fits]
    meta = candidate + 3 + items.number(candidate + 2)
    fits = (meta < count) & (padded_heads[np.clip(meta, 0, count)] >> 5 == 4)
    candidate, meta = candidate[fits], meta[fits]
    end = meta + 1 + items.number(meta)
    fits = end <= count
    candidate, end = candidate[fits], end[fits]
    none = candidate.size  # "no posting starts here"
    number = np.full(count + 1, none, dtype=np.int64)
    number[candidate] = np.arange(none)
    lengths = items.number(head)
    if (lengths < 0).any():
        raise ValueError("unexpected shape of word index: a list too long")
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    # unfold (posting, postings left in its run, the run's place in the list)
    busy = np.flatnonzero(lengths > 0)
    at, left, place = number[head[busy] + 1], lengths[busy], offsets[busy]
    tables = [np.append(number[end], none)]
    while 1 << len(tables) < int(lengths.max()):
        tables.append(np.take(tables[-1], tables[-1]))
    for k in reversed(range(len(tables))):
        step = 1 << k
        split = np.flatnonzero(left > step)
        at = np.concatenate((at, np.take(tables[k], at[split])))
        place = np.concatenate((place, place[split] + step))
        left = np.concatenate((np.minimum(left, step), left[split] - step))
    order = np.empty(int(offsets[-1]), dtype=np.int64)
    order[place] = at
    if (order == none).any():
        raise ValueError("unexpected shape of word index: a list of pages is not of postings")
    list_end = head + 1
    list_end[busy] = end[order[offsets[busy + 1] - 1]]
    return _Postings(candidate[order], end[order], lengths, list_end)


def _rebuild_chunk(
    payload: bytes,
    items: _Items,
    head: np.ndarray,
    postings: _Postings,
    row: np.ndarray,
    is_word: np.ndarray,
    renumber: np.ndarray,
) -> bytes:
    """The chunk with every list of postings renumbered and sorted by page, and each word's
    variant rows sorted by form: pieces of the original bytes put together in the new order,
    each posting's page delta encoded anew."""
    start = items.start
    size, lists, total = len(payload), head.size, postings.first.size
    lengths = postings.lengths
    list_of = np.repeat(np.arange(lists), lengths)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    running = np.cumsum(items.number(postings.first + 1))  # deltas summed up: pages
    page = running - np.repeat(np.concatenate(([0], running))[offsets[:-1]], lengths)
    if total and not 0 <= page.min() <= page.max() < renumber.size:
        raise ValueError(f"a posting names page {page.max()} of {renumber.size}")
    new = renumber[page]
    by_page = np.argsort(list_of * renumber.size + new)
    first, end, new = postings.first[by_page], postings.end[by_page], new[by_page]
    previous = np.full_like(new, -1)
    previous[1:] = new[:-1]
    list_start = offsets[:-1][lengths > 0]
    previous[list_start] = -1
    if (new == previous).any():  # and so the order of equal keys, unstable above, is moot
        raise ValueError("a page appears twice in one list of postings")
    previous[list_start] = 0
    delta_bytes, delta_width = _unsigned_heads(new - previous)
    # Pieces: before each list, the bytes since the previous one (row and list heads, texts,
    # variants' heads); then for each posting its head, its new delta and the rest of it.
    gap = np.arange(lists + 1) + 3 * offsets
    gap_start = np.concatenate(([0], start[postings.list_end]))
    piece_start = np.empty(lists + 1 + 3 * total, dtype=np.int64)
    piece_length = np.empty_like(piece_start)
    piece_start[gap] = gap_start
    piece_length[gap] = np.append(start[head + 1], size) - gap_start
    at = list_of + 1 + 3 * np.arange(total)
    piece_start[at] = start[first]
    piece_length[at] = 1
    piece_start[at + 1] = size + np.cumsum(delta_width) - delta_width
    piece_length[at + 1] = delta_width
    piece_start[at + 2] = start[first + 2]
    piece_length[at + 2] = start[end] - start[first + 2]
    out_start = np.concatenate(([0], np.cumsum(piece_length)))
    source = np.concatenate((items.padded[:size], delta_bytes))
    gather = np.repeat(piece_start - out_start[:-1], piece_length)
    gather += np.arange(gather.size)
    out = source[gather].tobytes()
    if is_word.all():
        return out
    row_at = np.append(out_start[gap[:-1]] + start[row] - gap_start[:-1], len(out))
    return _sort_variants(out, payload, items, row, is_word, row_at)


_UNSIGNED_LIMITS = np.array([24, 256, 65536, 2**32], dtype=np.int64)
_UNSIGNED_WIDTH = np.array([1, 2, 3, 5, 9], dtype=np.int64)
_UNSIGNED_CODE = np.array([0, 24, 25, 26, 27], dtype=np.int64)


def _unsigned_heads(value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shortest-form CBOR heads of unsigned integers: all their bytes in a row, and each one's
    length."""
    kind = np.searchsorted(_UNSIGNED_LIMITS, value, side="right")
    width = _UNSIGNED_WIDTH[kind]
    at = np.cumsum(width) - width
    out = np.empty(int(width.sum()), dtype=np.uint8)
    out[at] = np.where(kind == 0, value, _UNSIGNED_CODE[kind])
    for code in range(1, 5):
        some = np.flatnonzero(kind == code)
        if some.size:
            bytes_ = int(_UNSIGNED_WIDTH[code]) - 1
            for k in range(bytes_):
                out[at[some] + 1 + k] = value[some] >> (8 * (bytes_ - 1 - k)) & 0xFF
    return out, width


def _sort_variants(
    out: bytes, payload: bytes, items: _Items, row: np.ndarray, is_word: np.ndarray, at: np.ndarray
) -> bytes:
    """Put each word's variant rows ([form, postings], following the word's row) in order of
    form. Row i is out[at[i] : at[i + 1]]."""
    result = bytearray(out)
    forms = np.flatnonzero(~is_word)
    for run in np.split(forms, np.flatnonzero(np.diff(forms) > 1) + 1):
        if run.size < 2:
            continue
        text = items.start[row[run] + 1]
        begin = text + np.take(_HEAD_SIZE, items.heads[row[run] + 1])
        form = [
            payload[b:e].decode("utf-8")
            for b, e in zip(begin.tolist(), items.start[row[run] + 2].tolist(), strict=True)
        ]
        order = sorted(range(run.size), key=form.__getitem__)
        if order != list(range(run.size)):
            pieces = [out[at[i] : at[i + 1]] for i in run.tolist()]
            result[at[run[0]] : at[run[-1] + 1]] = b"".join(pieces[k] for k in order)
    return bytes(result)


# --- the step -----------------------------------------------------------------------------------

_In = TypeVar("_In")
_Out = TypeVar("_Out")


def _in_parallel(function: Callable[[_In], _Out], inputs: Iterable[_In]) -> Iterator[_Out]:
    """map(function, inputs) on a few threads, results in order. The heavy parts (numpy, zlib,
    hashlib, file reads) release the GIL, so the threads share the cores."""
    workers = min(4, os.cpu_count() or 1)
    if workers < 2:
        yield from map(function, inputs)
        return
    pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="canonical")
    try:
        yield from pool.map(function, inputs)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass(slots=True)
class _Writes:
    """The rewritten files, written as they are made; the files they replace go at the end.

    A new file is written under its own name unless a file of that name, not its own old file,
    is still there (an old file not read yet may share a short name): then beside it, and moved
    in place at the end."""

    replaced: list[Path]
    written: dict[Path, Path]

    def write(self, old: Path, new: Path, content: bytes) -> None:
        self.replaced.append(old)
        target = new if new == old or not new.exists() else new.with_name(f".{new.name}.new")
        target.write_bytes(content)
        self.written[new] = target

    def move_in_place(self) -> None:
        for new, target in self.written.items():
            if target != new:
                target.replace(new)

    def remove_replaced(self) -> None:
        for old in self.replaced:
            if old not in self.written:
                old.unlink(missing_ok=True)

    def abandon(self) -> None:
        for new, target in self.written.items():
            if target != new:
                target.unlink(missing_ok=True)


def canonicalise_bundle(bundle_dir: Path) -> list[tuple[str, str]]:
    """Rewrite the filter files, meta files and pagefind-entry.json under bundle_dir into their
    canonical form (see the module docstring); every other file is left as it is. Returns the
    (URL, fragment name) of every page, in canonical order."""
    entry_path = bundle_dir / "pagefind-entry.json"
    writes = _Writes([], {})
    pages: list[tuple[str, str]] = []
    try:
        entry_text = entry_path.read_text(encoding="utf-8")
        entry = json.loads(entry_text)
        if _pagefind_json(entry) != entry_text:
            raise ValueError("re-serialising it does not give back the same text")
        for language, info in sorted(entry["languages"].items()):
            info["hash"] = _canonical_language(bundle_dir, language, info["hash"], writes, pages)
    except (OSError, ValueError, KeyError, TypeError, zlib.error) as exc:
        writes.abandon()
        raise SearchIndexError(
            f"Could not make the search bundle in {bundle_dir} reproducible: {exc}. "
            "Pagefind's file format may have changed: pin pagefind[bin] to a 1.5.x release or "
            "update generator/search_canonical.py."
        ) from exc
    writes.move_in_place()  # every new file is in place before any old one goes
    entry_path.write_text(_pagefind_json(entry), encoding="utf-8")
    writes.remove_replaced()
    return pages


def _canonical_language(
    bundle: Path, language: str, meta_hash: str, writes: _Writes, pages: list[tuple[str, str]]
) -> str:
    """Write one language's canonical files; return the canonical meta hash. Adds (URL,
    fragment) of each of its pages to `pages`."""
    meta_path = bundle / f"pagefind.{meta_hash}.pf_meta"
    meta = _load_checked(meta_path)
    fields = _expect_list(meta, 6, "meta index")
    order, urls = _canonical_page_order(bundle, fields[1])
    pages.extend(urls)
    renumber = {old: new for new, old in enumerate(order)}
    renumber_array = np.empty(len(order), dtype=np.int64)
    renumber_array[order] = np.arange(len(order))

    def chunk(row: Cbor) -> tuple[Path, str, bytes]:
        old = bundle / "index" / f"{_expect_list(row, 3, 'index chunk')[2]}.pf_index"
        try:
            payload = canonical_word_chunk_bytes(read_data_file(old.read_bytes()), renumber_array)
        except ValueError as exc:
            raise ValueError(f"{old.name}: {exc}") from exc
        return old, full_hash(payload), write_data_file(payload)

    chunk_hashes: list[str] = []
    taken: set[str] = set()
    for old, digest, content in _in_parallel(chunk, _expect_list(fields[2], None, "chunks")):
        chunk_hashes.append(short_name(language, digest, taken))
        taken.add(chunk_hashes[-1])
        writes.write(old, bundle / "index" / f"{chunk_hashes[-1]}.pf_index", content)

    filter_hashes: dict[str, str] = {}
    for name, old_hash in sorted(_expect_list(row, 2, "filter") for row in fields[3]):
        old = bundle / "filter" / f"{old_hash}.pf_filter"
        payload = cbor_encode(canonical_filter(_load_checked(old), renumber))
        taken = set(filter_hashes.values())
        filter_hashes[str(name)] = short_name(language, full_hash(payload), taken)
        new = bundle / "filter" / f"{filter_hashes[str(name)]}.pf_filter"
        writes.write(old, new, write_data_file(payload))

    payload = cbor_encode(canonical_meta(meta, order, chunk_hashes, filter_hashes))
    new_meta_hash = meta_name(language, payload)
    writes.write(meta_path, bundle / f"pagefind.{new_meta_hash}.pf_meta", write_data_file(payload))
    return new_meta_hash


def _canonical_page_order(bundle: Path, pages: Cbor) -> tuple[list[int], list[tuple[str, str]]]:
    """Pagefind's page numbers in canonical order: by URL, then fragment name; and each page's
    (URL, fragment) in that order.

    Pagefind numbers pages in the order its directory walk meets them, which is the file system's
    order and differs between machines; each page's fragment (stable, named by its content) holds
    its URL."""
    fragments = [str(_expect_list(row, None, "page")[0]) for row in _expect_list(pages, None, "")]
    folder = os.path.join(bundle, "fragment", "")
    urls = _fragment_urls([f"{folder}{fragment}.pf_fragment" for fragment in fragments])
    keys = sorted(zip(urls, fragments, range(len(fragments)), strict=True))
    return [number for _, _, number in keys], [(url, fragment) for url, fragment, _ in keys]


_URL_PREFIX = SIGNATURE + b'{"url":'
_JSON = json.JSONDecoder()


def _fragment_urls(paths: list[str]) -> list[str]:
    """The URL in each fragment. serde writes the fragment's fields in order, url first, so only
    the first KiB is read and inflated; the whole file where the URL does not fit in it."""
    urls = []
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            start = os.read(descriptor, 1024)
        finally:
            os.close(descriptor)
        try:
            text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(start, 1024)
            if not text.startswith(_URL_PREFIX):
                raise ValueError("not url first")
            url, _ = _JSON.raw_decode(text[len(_URL_PREFIX) :].decode("utf-8", "replace"))
            if not isinstance(url, str):
                raise ValueError("url is not text")
        except (ValueError, zlib.error):
            url = str(json.loads(read_data_file(Path(path).read_bytes()))["url"])
        urls.append(url)
    return urls


def _load_checked(path: Path) -> Cbor:
    """Decode a data file, proving that our encoder reproduces Pagefind's bytes for it: the
    decoder takes one item of the kinds the encoder writes, filling the payload, and
    `_cbor_items` checks that every head is in the shortest form, as the encoder writes it."""
    payload = read_data_file(path.read_bytes())
    try:
        _cbor_items(payload)
        return cbor_decode(payload)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc


def _pagefind_json(value: object) -> str:
    """JSON as serde_json::to_string writes it: compact, UTF-8, keys in the given order."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
