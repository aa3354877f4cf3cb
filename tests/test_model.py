"""The order articles are listed in (newest first, whatever form their dates take), and an
article's body as the cache keeps it."""

from __future__ import annotations

import datetime as dt
import pickle

from generator.model import Body, when_order, when_sort_key
from tests.factories import make_article


def test_dates_and_times_sort_together_in_utc_and_undated_last() -> None:
    kyiv = dt.timezone(dt.timedelta(hours=2))
    whens = [
        dt.datetime(2005, 3, 4, 1, 30, tzinfo=kyiv),  # 2005-03-03 23:30 UTC
        dt.date(2005, 3, 4),
        dt.datetime(2005, 3, 4, 12, 0, 59, 999_999, tzinfo=dt.UTC),
        dt.date(999, 12, 31),  # a year before 1000 is still older than 2005
        None,
    ]
    newest_first = sorted(whens, key=when_sort_key, reverse=True)
    assert newest_first == [whens[2], whens[1], whens[0], whens[3], None]
    assert when_sort_key(whens[0]) == "2005-03-03T23:30:00"
    assert when_sort_key(whens[2]) == "2005-03-04T12:00:59"  # to the second
    assert when_sort_key(whens[1]) == "2005-03-04T00:00:00"


def test_the_quick_order_sorts_exactly_as_the_sort_key_ties_included() -> None:
    """`when_order` (grouping's and the archive's sort) agrees with `when_sort_key` on every
    pair: before 1970 and after 2038, across time zones, to the second, at its last
    microsecond, dates against times, naive times (local), undated."""
    zones = [dt.UTC, dt.timezone(dt.timedelta(hours=-11, minutes=-30)), dt.timezone.max]
    whens: list[dt.date | dt.datetime | None] = [None, dt.datetime(2005, 3, 4, 12, 0, 59)]
    for year in (1, 999, 1969, 1970, 2005, 2039, 9998):
        whens.append(dt.date(year, 12, 31))
        for zone in zones:
            for micro in (0, 999_999):
                whens.append(dt.datetime(year, 12, 31, 23, 59, 59, micro, tzinfo=zone))
                whens.append(dt.datetime(year, 12, 31, 0, 0, 0, micro, tzinfo=zone))
    for a in whens:
        for b in whens:
            by_text = (when_sort_key(a) > when_sort_key(b)) - (when_sort_key(a) < when_sort_key(b))
            by_number = (when_order(a) > when_order(b)) - (when_order(a) < when_order(b))
            assert by_number == by_text, (a, b)


def test_an_article_from_the_cache_has_its_whole_body_and_equals_the_one_read() -> None:
    paragraphs = [
        f"Paragraph {i}: the ferry to Ynys Wen, delayed again — «ça va», 京都." * 3
        for i in range(40)
    ]
    article = make_article("news/ferry", "Ferry delayed", paragraphs)
    again = pickle.loads(pickle.dumps(article, protocol=pickle.HIGHEST_PROTOCOL))
    assert again == article
    assert again.paragraphs == tuple(paragraphs)
    assert again.body_html == article.body_html and "«ça va», 京都" in again.body_html
    assert again.text == article.text


def test_a_body_is_kept_packed_smaller_than_its_text() -> None:
    paragraphs = tuple(f"Council votes on the harbour wall, item {i}." * 5 for i in range(60))
    body = Body("".join(f"<p>{p}</p>" for p in paragraphs), paragraphs)
    text = len(body.html.encode()) + sum(len(p.encode()) for p in paragraphs)
    assert len(pickle.dumps(body)) < text / 3
    assert pickle.loads(pickle.dumps(body)) == body
