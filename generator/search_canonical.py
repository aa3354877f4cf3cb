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
variants of a word in order of form, files gzipped with fixed settings and named by Pagefind's
own content hash of the canonical bytes. The step is driven by references, never by guessing from
file names:

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
file is rewritten, decoding and re-encoding it must give back its exact bytes: that proves the
encoder matches Pagefind's, and a future format change fails the build with a clear message
instead of producing a bundle the browser cannot read.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from .errors import SearchIndexError

SIGNATURE = b"pagefind_dcd"
"""Pagefind's marker at the start of every decompressed data file."""

GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
"""Pagefind's header (flate2, best compression): no name, mtime 0, XFL 2, OS 255 ("unknown").
Python's gzip module writes OS 3, so the header is written by hand to match."""

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
            _head(0, value, out)
        else:
            _head(1, -1 - value, out)
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        _head(3, len(raw), out)
        out += raw
    elif isinstance(value, list):
        _head(4, len(value), out)
        for item in value:
            _encode_into(item, out)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as Pagefind CBOR")


def _head(major: int, argument: int, out: bytearray) -> None:
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
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = compressor.compress(data) + compressor.flush()
    return GZIP_HEADER + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def full_hash(payload: bytes) -> str:
    """Pagefind's content hash: SHA-1 with each byte as unpadded hex (Rust's `{:x?}` per byte),
    reproduced so canonical names look like, and sort like, the names Pagefind gives."""
    return "".join(format(byte, "x") for byte in hashlib.sha1(payload).digest())


def short_name(language: str, payload: bytes, taken: set[str]) -> str:
    """`<lang>_` + 7 hash characters, lengthened one at a time on a collision as Pagefind does."""
    whole = f"{language}_{full_hash(payload)}"
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


# --- the step -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rewrite:
    old: Path
    new: Path
    content: bytes


def canonicalise_bundle(bundle_dir: Path) -> None:
    """Rewrite the filter files, meta files and pagefind-entry.json under bundle_dir into their
    canonical form (see the module docstring); every other file is left as it is."""
    entry_path = bundle_dir / "pagefind-entry.json"
    try:
        entry_text = entry_path.read_text(encoding="utf-8")
        entry = json.loads(entry_text)
        if _pagefind_json(entry) != entry_text:
            raise ValueError("re-serialising it does not give back the same text")
        rewrites: list[_Rewrite] = []
        for language, info in sorted(entry["languages"].items()):
            meta_hash, language_rewrites = _canonical_language(bundle_dir, language, info["hash"])
            info["hash"] = meta_hash
            rewrites += language_rewrites
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SearchIndexError(
            f"Could not make the search bundle in {bundle_dir} reproducible: {exc}. "
            "Pagefind's file format may have changed: pin pagefind[bin] to a 1.5.x release or "
            "update generator/search_canonical.py."
        ) from exc
    rewrites.append(_Rewrite(entry_path, entry_path, _pagefind_json(entry).encode("utf-8")))
    for rewrite in rewrites:  # write every new file before removing any old one
        rewrite.new.write_bytes(rewrite.content)
    for rewrite in rewrites:
        if rewrite.old != rewrite.new:
            rewrite.old.unlink(missing_ok=True)


def _canonical_language(bundle: Path, language: str, meta_hash: str) -> tuple[str, list[_Rewrite]]:
    """The canonical meta hash for one language, and the files to write for it."""
    meta_path = bundle / f"pagefind.{meta_hash}.pf_meta"
    meta = _load_checked(meta_path)
    fields = _expect_list(meta, 6, "meta index")
    order = _canonical_page_order(bundle, fields[1])
    renumber = {old: new for new, old in enumerate(order)}
    rewrites: list[_Rewrite] = []

    chunk_hashes: list[str] = []
    for row in _expect_list(fields[2], None, "index chunks"):
        old_path = bundle / "index" / f"{_expect_list(row, 3, 'index chunk')[2]}.pf_index"
        payload = cbor_encode(canonical_word_chunk(_load_checked(old_path), renumber))
        chunk_hashes.append(short_name(language, payload, set(chunk_hashes)))
        new_path = bundle / "index" / f"{chunk_hashes[-1]}.pf_index"
        rewrites.append(_Rewrite(old_path, new_path, write_data_file(payload)))

    filter_hashes: dict[str, str] = {}
    for name, old_hash in sorted(_expect_list(row, 2, "filter") for row in fields[3]):
        old_path = bundle / "filter" / f"{old_hash}.pf_filter"
        payload = cbor_encode(canonical_filter(_load_checked(old_path), renumber))
        filter_hashes[str(name)] = short_name(language, payload, set(filter_hashes.values()))
        new_path = bundle / "filter" / f"{filter_hashes[str(name)]}.pf_filter"
        rewrites.append(_Rewrite(old_path, new_path, write_data_file(payload)))

    payload = cbor_encode(canonical_meta(meta, order, chunk_hashes, filter_hashes))
    new_meta_hash = meta_name(language, payload)
    new_meta_path = bundle / f"pagefind.{new_meta_hash}.pf_meta"
    rewrites.append(_Rewrite(meta_path, new_meta_path, write_data_file(payload)))
    return new_meta_hash, rewrites


def _canonical_page_order(bundle: Path, pages: Cbor) -> list[int]:
    """Pagefind's page numbers in canonical order: by URL, then fragment name.

    Pagefind numbers pages in the order its directory walk meets them, which is the file system's
    order and differs between machines; each page's fragment (stable, named by its content) holds
    its URL."""
    keys: list[tuple[str, str, int]] = []
    for number, row in enumerate(_expect_list(pages, None, "pages")):
        fragment = str(_expect_list(row, None, "page")[0])
        data = read_data_file((bundle / "fragment" / f"{fragment}.pf_fragment").read_bytes())
        keys.append((str(json.loads(data)["url"]), fragment, number))
    return [number for _, _, number in sorted(keys)]


def _load_checked(path: Path) -> Cbor:
    """Decode a data file, proving first that our encoder reproduces Pagefind's bytes for it."""
    payload = read_data_file(path.read_bytes())
    value = cbor_decode(payload)
    if cbor_encode(value) != payload:
        raise ValueError(f"{path.name}: re-encoding its CBOR does not reproduce Pagefind's bytes")
    return value


def _pagefind_json(value: object) -> str:
    """JSON as serde_json::to_string writes it: compact, UTF-8, keys in the given order."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
