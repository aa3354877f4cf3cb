"""What changed between two versions: paragraphs, words, moves, the summary line."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.analysis import diff
from generator.analysis.diff import diff_versions, diff_words
from tests.analysis.clippings import clipping_paths, read_clipping
from tests.factories import make_article

BODY = (
    "The council voted to close the harbour bridge to cars from next spring.",
    "Mayor Anna Berg said the decision was painful but unavoidable for the city.",
    "Engineers found cracks in 14 of the 22 main girders during an inspection.",
    "Shop owners on the north bank fear the closure will cut trade by a third.",
)


def test_diff_of_the_clippings_names_the_paragraphs_each_has_alone():
    paths = clipping_paths()
    if len(paths) < 2:
        pytest.skip("../shared/samples/clippings not found")
    old, new = read_clipping(paths[0]), read_clipping(paths[1], date=dt.date(2025, 3, 19))
    result = diff_versions(old, new)
    added = [p.text for p in result.paragraphs if p.kind == "added"]
    removed = [p.text for p in result.paragraphs if p.kind == "removed"]
    assert any("ruble strengthened" in text for text in added)
    assert any("This war has two sides" in text for text in removed)
    assert result.title_changed
    changed = [p for p in result.paragraphs if p.kind == "changed"]
    assert any(s.op == "insert" and "Kiev" in s.text for p in changed for s in p.segments)
    assert result.summary.startswith(f"{result.paragraphs_added} paragraphs added")


def test_a_replaced_word_is_one_delete_and_one_insert():
    old = make_article("a", "Bridge", BODY)
    new = make_article("b", "Bridge", (BODY[0].replace("harbour", "old harbour"), *BODY[1:]))
    result = diff_versions(old, new)
    [entry, *rest] = result.paragraphs
    assert entry.kind == "changed"
    assert [(s.op, s.text) for s in entry.segments if s.op != "equal"] == [("insert", "old ")]
    assert [p.kind for p in rest] == ["same", "same", "same"]
    assert result.summary == "1 word changed"


def test_word_segments_rebuild_the_new_text_and_the_old_words():
    old, new = (
        "Talks in Kyiv ended — without a deal.",
        "Talks in Kiev ended, without any deal today.",
    )
    segments = diff_words(old, new)
    assert "".join(s.text for s in segments if s.op != "delete") == new
    rebuilt_old = "".join(s.text for s in segments if s.op != "insert")
    assert rebuilt_old.replace(" ", "") == old.replace(" ", "")


def test_moved_paragraph_is_reported_as_moved_not_added_and_removed():
    old = make_article("a", "Bridge", BODY)
    new = make_article("b", "Bridge", (BODY[3], BODY[0], BODY[1], BODY[2]))
    result = diff_versions(old, new)
    assert [p.kind for p in result.paragraphs] == ["moved", "same", "same", "same"]
    assert result.summary == "1 paragraph moved"


def test_added_and_removed_paragraphs_are_counted_in_the_summary():
    old = make_article("a", "Bridge", BODY)
    extra = ("A ferry will run every twenty minutes.", "Rents will be frozen on the north bank.")
    new = make_article("b", "Bridge closes", (BODY[0], *extra, BODY[2], BODY[3]))
    result = diff_versions(old, new)
    assert (result.paragraphs_added, result.paragraphs_removed) == (2, 1)
    assert result.summary == "2 paragraphs added, 1 removed, headline changed"


def test_identical_versions_have_no_changes_and_typography_is_not_a_change():
    old = make_article("a", "Bridge", ("It’s “closed” — for now.",))
    new = make_article("b", "Bridge", ('It\'s "closed" - for now.',))
    assert diff_versions(old, new).summary == "No changes to the text"


def test_diff_of_fifty_paragraphs_takes_a_few_milliseconds():
    paras = [
        f"Paragraph {i} says something about the bridge and item number {i * 7}." for i in range(50)
    ]
    edited = [p.replace("bridge", "old bridge") if i % 5 == 0 else p for i, p in enumerate(paras)]
    old, new = make_article("a", "T", paras), make_article("b", "T", edited[::-1][:45])
    start = time.perf_counter()
    diff_versions(old, new)
    assert time.perf_counter() - start < 0.5


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab1 ’'\"“—–-.,\t\n\u00a0\u2028\x1c\u200bé"))))
def test_a_paragraph_is_compared_by_its_words_and_marks_whatever_its_spacing(text):
    typeset = text.translate(diff._TYPOGRAPHY)
    tokens = [t for t in diff._TOKEN.findall(typeset) if not t.isspace()]
    assert diff._key(text) == " ".join(tokens)
    assert diff._key(text) == diff._key("  ".join(text.split()))
