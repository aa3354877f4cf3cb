"""The order articles are listed in: newest first, whatever form their dates take."""

from __future__ import annotations

import datetime as dt

from generator.model import when_sort_key


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
