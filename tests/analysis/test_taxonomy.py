"""Authors, publications and tags: one page per name, never two names on one page."""

from __future__ import annotations

from generator.analysis.taxonomy import build_taxonomies
from tests.factories import make_article


def _tags(*tagged: tuple[str, tuple[str, ...]]) -> list:
    return [make_article(id, f"Headline {id}", tags=tags) for id, tags in tagged]


def test_names_that_make_one_slug_get_pages_of_their_own_by_sorted_name() -> None:
    articles = _tags(("a", ("C++",)), ("b", ("C",)), ("c", ("C", "C#")))
    taxonomies = build_taxonomies(articles, "UTC")
    assert [(t.slug, t.name, t.article_ids) for t in taxonomies.tags] == [
        ("c", "C", ("b", "c")),
        ("c-2", "C#", ("c",)),
        ("c-3", "C++", ("a",)),
    ]
    assert taxonomies.slug("tags", "C++") == "c-3"
    assert taxonomies.slug("tags", "C") == "c"


def test_the_numbered_name_is_a_warning_naming_both_names_and_a_file_using_it() -> None:
    articles = _tags(("a", ("C++",)), ("b", ("C",)))
    problems = build_taxonomies(articles, "UTC", content_dir="content").problems
    assert [str(p) for p in problems] == [
        "content/a.md: warning: tag 'C++' makes the same URL as tag 'C' (/tags/c/); its page is "
        "/tags/c-2/ instead (if they are one tag, write the name the same way everywhere)"
    ]


def test_the_same_name_in_another_case_or_without_accents_is_one_term() -> None:
    articles = [
        make_article("a", "One", authors=("Zoë Brennan",)),
        make_article("b", "Two", authors=("zoe  brennan",)),
    ]
    taxonomies = build_taxonomies(articles, "UTC")
    assert [(t.slug, t.name, t.article_ids) for t in taxonomies.authors] == [
        ("zoe-brennan", "Zoë Brennan", ("a", "b"))
    ]
    assert taxonomies.problems == ()
    assert taxonomies.slug("authors", "zoe  brennan") == "zoe-brennan"


def test_a_numbered_slug_never_takes_one_a_name_makes_itself() -> None:
    articles = _tags(("a", ("C",)), ("b", ("C 2",)), ("c", ("C++",)))
    taxonomies = build_taxonomies(articles, "UTC")
    assert {t.name: t.slug for t in taxonomies.tags} == {"C": "c", "C 2": "c-2", "C++": "c-3"}


def test_authors_and_publications_are_kept_apart_the_same_way() -> None:
    articles = [
        make_article("a", "One", authors=("Ann O'Neil",), publication="The Post"),
        make_article("b", "Two", authors=("Ann ONeil",), publication="The-Post"),
    ]
    taxonomies = build_taxonomies(articles, "UTC")
    assert [t.slug for t in taxonomies.authors] == ["ann-oneil", "ann-oneil-2"]
    assert [t.slug for t in taxonomies.publications] == ["the-post", "the-post-2"]
    assert len(taxonomies.problems) == 2
