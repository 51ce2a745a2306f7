"""Publication dates as the storage protocol uses them: a `Filter` that searches take, and the
conversions between the ISO text that index metadata keeps and `datetime.date`."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Filter:
    """Which passages a search may return: those of articles published in [since, until].

    Either end may be open. With any end set, undated articles are left out (nothing says
    they fall in the range). Backends apply it inside the search, before ranking, so a
    filtered top-k is the best k of the admitted passages, not what survived a top-k.
    """

    since: dt.date | None = None
    until: dt.date | None = None

    def __post_init__(self):
        if self.since and self.until and self.since > self.until:
            from .errors import InputError

            raise InputError(f"since {self.since} is after until {self.until}: swap them")

    @property
    def active(self) -> bool:
        return self.since is not None or self.until is not None

    def day_range(self) -> tuple[int, int]:
        """(first, last) admitted day as proleptic ordinals (undated passages are stored as -1)."""
        return (self.since.toordinal() if self.since else 1, self.until.toordinal() if self.until else dt.date.max.toordinal())

    def iso_range(self) -> tuple[str, str]:
        """(first, last) admitted day as ISO strings, which sort as dates do."""
        return (self.since or dt.date.min).isoformat(), (self.until or dt.date.max).isoformat()

    def admits(self, published: dt.date | None) -> bool:
        if not self.active:
            return True
        return published is not None and (self.since or dt.date.min) <= published <= (self.until or dt.date.max)


EVERYTHING = Filter()


def date_filter(since: str | dt.date | None = None, until: str | dt.date | None = None) -> Filter:
    """A Filter from dates or YYYY-MM-DD strings, or InputError naming the bad argument."""
    from .errors import InputError

    days = {}
    for name, value in (("since", since), ("until", until)):
        if value is None or value == "" or isinstance(value, dt.date):
            days[name] = value.date() if isinstance(value, dt.datetime) else (value or None)
            continue
        try:
            days[name] = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise InputError(f"{name}: {str(value)!r} is not a date; use YYYY-MM-DD") from None
    return Filter(days["since"], days["until"])  # which refuses since after until


def parse_day(published: str | dt.date | None) -> dt.date | None:
    """A stored ISO date (index metadata keeps dates as text) as a date; None when undated."""
    if not published:
        return None
    return published if isinstance(published, dt.date) else dt.date.fromisoformat(str(published)[:10])


def iso(day: dt.date | None) -> str | None:
    """A date as index metadata, JSON and listings show it (YYYY-MM-DD); None when undated."""
    return day.isoformat() if day else None


def outlet_and_date(outlet: str | None, day: dt.date | None) -> str:
    """"Nordlys, 2024-04-02", leaving out what is unknown: how sources and listings name where and when."""
    return ", ".join(x for x in (outlet, iso(day)) if x)


def day_number(published: str | dt.date | None) -> int:
    """An article's publication day as stored for filtering: its ordinal, -1 when undated."""
    day = parse_day(published)
    return day.toordinal() if day else -1
