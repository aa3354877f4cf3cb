"""The Pagefind bundle is byte-identical for the same site, whatever order the pages are met in and
whatever HashMap seed a Pagefind process draws, and it still works in a real browser."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import SearchIndexError
from generator.search_canonical import (
    canonical_word_chunk,
    canonical_word_chunk_bytes,
    canonicalise_bundle,
    cbor_decode,
    cbor_encode,
    read_data_file,
    write_data_file,
)

PUBLICATIONS = ["Northfield Courier", "The Harbour Gazette", "Valley Wire Service"]
TAGS = ["flood barrier", "council", "theatre", "farming", "chess", "Zoë's garden"]

INDEX_SCRIPT = """
import asyncio, sys
from pagefind.index import IndexConfig, PagefindIndex

async def main(site, out):
    config = IndexConfig(force_language="en", output_path=out)
    async with PagefindIndex(config=config) as index:
        await index.add_directory(site)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def write_site(folder: Path, reverse: bool = False) -> Path:
    """Eight article pages with two filters of several values, plus a page Pagefind ignores.
    `reverse` creates them in the opposite order (on file systems that list folders in creation
    order, such as tmpfs, Pagefind then numbers the pages differently)."""
    pages = []
    for i in range(8):
        tags = "".join(
            f'<span data-pagefind-filter="tag">{t}</span>' for t in (TAGS[i % 6], TAGS[(i + 2) % 6])
        )
        pages.append(
            (
                f"story-{i}/index.html",
                f"""<!doctype html><html lang="en"><head><title>Story {i}</title></head><body>
<main data-pagefind-body><h1>Story {i}</h1>
<span data-pagefind-filter="publication">{PUBLICATIONS[i % 3]}</span>{tags}
<span data-pagefind-sort="date">2024-01-{20 - i}</span>
<p>The barrier story number {i} about {TAGS[i % 6]}, tides and café society.</p></main>
</body></html>""",
            )
        )
    pages.append(("about/index.html", "<html lang='en'><body><p>About barrier</p></body></html>"))
    for relative, html in reversed(pages) if reverse else pages:
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    return folder


def index_in_new_process(site: Path, bundle: Path) -> None:
    """Run Pagefind in its own process, so each run draws its own HashMap seed."""
    subprocess.run([sys.executable, "-c", INDEX_SCRIPT, str(site), str(bundle)], check=True)


def bundle_bytes(bundle: Path) -> dict[str, bytes]:
    return {
        p.relative_to(bundle).as_posix(): p.read_bytes() for p in bundle.rglob("*") if p.is_file()
    }


def test_cbor_round_trip_reproduces_pagefinds_bytes(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    index_in_new_process(site, tmp_path / "bundle")
    data_files = [
        p
        for p in (tmp_path / "bundle").rglob("*")
        if p.suffix in (".pf_meta", ".pf_filter", ".pf_index")
    ]
    assert len(data_files) >= 4
    for path in data_files:
        payload = read_data_file(path.read_bytes())
        assert cbor_encode(cbor_decode(payload)) == payload, path.name


def test_data_files_are_gzipped_with_pagefinds_header_and_no_timestamp() -> None:
    packed = write_data_file(cbor_encode(["tag", [["a", [0, 1]]]]))
    assert packed[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # XFL 0: level 5
    assert cbor_decode(read_data_file(packed)) == ["tag", [["a", [0, 1]]]]


def test_cbor_codec_refuses_what_pagefind_never_writes() -> None:
    with pytest.raises(ValueError, match="major type"):
        cbor_decode(b"\xa0")  # an empty map
    with pytest.raises(ValueError, match="indefinite"):
        cbor_decode(b"\x9f\xff")
    assert cbor_decode(cbor_encode([0, 23, 24, 255, 256, 65536, 2**32, -1, -25, -300, "é"])) == [
        0, 23, 24, 255, 256, 65536, 2**32, -1, -25, -300, "é"
    ]  # fmt: skip


# --- the word index, rebuilt on its bytes -------------------------------------------------------


def rebuilt_both_ways(chunk: list, renumber: list[int]) -> tuple[bytes, bytes]:
    """The chunk canonicalised on its bytes, and by decoding, rewriting and encoding."""
    fast = canonical_word_chunk_bytes(cbor_encode(chunk), np.array(renumber, dtype=np.int64))
    return fast, cbor_encode(canonical_word_chunk(chunk, dict(enumerate(renumber))))


def test_word_chunks_of_a_real_bundle_are_rebuilt_as_decoding_would(tmp_path: Path) -> None:
    index_in_new_process(write_site(tmp_path / "site"), tmp_path / "bundle")
    chunks = list((tmp_path / "bundle" / "index").glob("*.pf_index"))
    assert chunks
    for path in chunks:
        chunk = cbor_decode(read_data_file(path.read_bytes()))
        for renumber in (
            [0, 1, 2, 3, 4, 5, 6, 7],
            [7, 6, 5, 4, 3, 2, 1, 0],
            [3, 0, 6, 1, 7, 2, 4, 5],
        ):
            fast, decoded = rebuilt_both_ways(chunk, renumber)
            assert fast == decoded, path.name


@st.composite
def word_chunks(draw: st.DrawFn) -> tuple[list, list[int]]:
    """A word index chunk in Pagefind's layout, with page numbers and positions of every CBOR
    width, diacritic variants in any order, and a renumbering of its pages."""
    pages = draw(st.sampled_from([3, 30, 300, 70_000]))
    integers = st.integers(-(2**33), 2**33) | st.integers(-30, 300)

    def postings() -> list:
        numbers = sorted(draw(st.sets(st.integers(0, pages - 1), max_size=12)))
        deltas = [b - a for a, b in zip([0, *numbers], numbers, strict=False)]
        return [
            [d, draw(st.lists(integers, max_size=6)), draw(st.lists(integers, max_size=2))]
            for d in deltas
        ]

    words = []
    for word in sorted(draw(st.sets(st.text("abcé", min_size=1, max_size=30), max_size=8))):
        forms = draw(st.lists(st.text("aeé", min_size=1, max_size=4), max_size=3))
        words.append([word, postings(), [[form, postings()] for form in forms]])
    seed = draw(st.integers(0, 2**32 - 1))
    return [words], np.random.default_rng(seed).permutation(pages).tolist()


@settings(max_examples=150, deadline=None)
@given(word_chunks())
def test_word_chunks_are_rebuilt_on_their_bytes_as_decoding_would(case: tuple) -> None:
    chunk, renumber = case
    fast, decoded = rebuilt_both_ways(chunk, renumber)
    assert fast == decoded


def test_items_that_never_fall_in_step_are_found_by_walking_them() -> None:
    """Positions of 24 encode as 18 18: read from the odd bytes, 18 18 18 ... never ends."""
    chunk = [[["tide", [[5, [24] * 300, []], [2, [24] * 3, [24]]], [["tidé", [[1, [], []]]]]]]]
    fast, decoded = rebuilt_both_ways(chunk, [7, 6, 5, 4, 3, 2, 1, 0])
    assert fast == decoded


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\x81\xa0", "unsupported CBOR head 0xa0"),  # a map
        (b"\x81\x9f\xff", "unsupported CBOR head 0x9f"),  # indefinite length
        (cbor_encode([[["a", [[0, [], []]], []]]]).replace(b"\x80\x80", b"\x80\x98\x00"), "longer"),
        (cbor_encode([[["a", [[0, [], [], []]], []]]]), "unexpected shape"),  # a 4th field
        (cbor_encode([[["a", [[0, [["x"]], []]], []]]]), "unexpected shape"),  # not integers
        (cbor_encode([[["a", [[0, [], []]]]]]), "unexpected shape"),  # no variants
        (cbor_encode([[["a", [[9, [], []]], []]]]), "page 9 of 3"),
        (cbor_encode([[["a", [[1, [], []], [0, [], []]], []]]]), "twice"),
        (cbor_encode([[["abc", [], []]]])[:-4], "end at byte 7 of 5"),  # cut short
        (cbor_encode([[["abc", [], []]]])[:-1], "unexpected shape"),  # an item missing
    ],
)
def test_word_chunks_of_another_layout_are_refused(payload: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        canonical_word_chunk_bytes(payload, np.arange(3))


def test_a_bundle_of_another_layout_is_refused_with_what_to_do(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    index_in_new_process(write_site(tmp_path / "site"), bundle)
    chunk = next((bundle / "index").glob("*.pf_index"))
    chunk.write_bytes(write_data_file(cbor_encode([[["a", [[0, [], [], 1]], []]]])))
    with pytest.raises(SearchIndexError, match=rf"{chunk.name}: unexpected shape.*pin pagefind"):
        canonicalise_bundle(bundle)
    assert not list(bundle.rglob(".*.new"))


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A folder on tmpfs where there is one: tmpfs lists a folder in creation order, so a site
    written in another order is walked, and numbered by Pagefind, in another order."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="broadsheet-test-") as folder:
        yield Path(folder)


def test_separate_pagefind_runs_give_byte_identical_bundles_after_canonicalising(
    scratch: Path,
) -> None:
    raw, canonical = [], []
    for run in range(3):
        site = write_site(scratch / f"site{run}", reverse=run == 1)
        bundle = scratch / f"bundle{run}"
        index_in_new_process(site, bundle)
        raw.append(bundle_bytes(bundle))
        canonicalise_bundle(bundle)
        canonical.append(bundle_bytes(bundle))
    assert not raw[0] == raw[1] == raw[2], "Pagefind's own output did not vary: nothing was tested"
    assert canonical[0] == canonical[1] == canonical[2]
    assert any(name.startswith("filter/en_") for name in canonical[0])


def test_canonicalising_names_each_page_with_its_fragment_in_url_order(tmp_path: Path) -> None:
    """What the sharded index merges its date order from (generator/search.py)."""
    bundle = tmp_path / "bundle"
    index_in_new_process(write_site(tmp_path / "site"), bundle)
    pages = canonicalise_bundle(bundle)
    assert [url for url, _ in pages] == [f"/story-{i}/" for i in range(8)]
    for url, fragment in pages:
        raw = read_data_file((bundle / "fragment" / f"{fragment}.pf_fragment").read_bytes())
        assert f'"url":"{url}"'.encode() in raw


def test_canonicalising_twice_changes_nothing(tmp_path: Path) -> None:
    index_in_new_process(write_site(tmp_path / "site"), tmp_path / "bundle")
    canonicalise_bundle(tmp_path / "bundle")
    once = bundle_bytes(tmp_path / "bundle")
    canonicalise_bundle(tmp_path / "bundle")
    assert bundle_bytes(tmp_path / "bundle") == once


# --- what the browser test (tests/browser/test_search_bundle.py) asks --------------------------

SEARCH = """async ([term, filters]) => {
    const pf = await import('/pagefind/pagefind.js');
    const search = await pf.search(term, {filters});
    const urls = [];
    for (const result of search.results) urls.push((await result.data()).url);
    return {urls: urls.sort(), filters: await pf.filters()};
}"""
