"""Report months (SPEC §1, §3, §4): which month's report is open, which a partner may file,
and when each is due. Pure: `now` is an aware datetime and local dates are taken in `zone`.

The report for month M opens on day 1 of M+1 (local time) and is due on the due day
(`PARTNERBOT_REPORT_DUE_DAY`, 1 to 28, default 10) of M+1; one filed by the end of that
day (local) is on time, later is late.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from i18n import _, day
from workflows.onboarding import FieldError, RuleError

DEFAULT_DUE_DAY = 10
MAX_CLOSE_YEARS = 10  # a prospect's close month: at most this far ahead (catches typos)


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month, written `YYYY-MM`; ordered by time."""

    year: int
    month: int

    def __post_init__(self) -> None:
        for value in (self.year, self.month):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"a month is two ints, not {value!r}")
        if not 1 <= self.year <= 9999 or not 1 <= self.month <= 12:
            raise ValueError(f"no such month: {self.year}-{self.month}")

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def containing(cls, now: datetime, zone: tzinfo) -> Month:
        """The local calendar month `now` falls in."""
        return cls.of(local_day(now, zone))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def next(self) -> Month:
        return self.plus(1)

    def previous(self) -> Month:
        return self.plus(-1)

    def months_until(self, later: Month) -> int:
        """How many months from this one to `later` (negative when `later` is earlier)."""
        return (later.year - self.year) * 12 + later.month - self.month

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def last_day(self) -> date:
        return self.next().first_day() - timedelta(days=1)

    def opens_on(self) -> date:
        """The day this month's report opens: day 1 of the next month."""
        return self.next().first_day()


_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def parse_month(text: str, name: str | None = None, example: Month | None = None) -> Month:
    """A month written `YYYY-MM`; a refusal names it `name` (default "the month", in the
    reader's language) and shows `example`, if given."""
    match = _MONTH.fullmatch(text.strip())
    if match is not None:
        year, month = int(match.group(1)), int(match.group(2))
        if year >= 1 and 1 <= month <= 12:
            return Month(year, month)
    loose = loose_month(text)
    if loose is not None:
        raise FieldError(_("write the month as {month}").format(month=loose))
    if name is None:
        if example is None:
            raise FieldError(_("the month must be written YYYY-MM"))
        raise FieldError(
            _("the month must be written YYYY-MM, e.g. {example}").format(example=example)
        )
    if example is None:
        raise FieldError(_("{name} must be written YYYY-MM").format(name=name))
    raise FieldError(
        _("{name} must be written YYYY-MM, e.g. {example}").format(name=name, example=example)
    )


_LOOSE = re.compile(r"([0-9]{1,2})[/.-]([0-9]{4})|([0-9]{4})[/.-]([0-9]{1,2})")


def loose_month(text: str) -> Month | None:
    """A month written another way (`11/2027`, `2027/11`, `11-2027`, `2027-1`), to say
    how to write it; None for anything else."""
    match = _LOOSE.fullmatch(text.strip())
    if match is None:
        return None
    month, year = (match.group(1), match.group(2)) if match.group(1) else match.group(4, 3)
    if not (int(year) >= 1 and 1 <= int(month) <= 12):
        return None
    return Month(int(year), int(month))


def local_day(now: datetime, zone: tzinfo) -> date:
    """The local date of `now` (which must be aware) in `zone`."""
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(zone).date()


def open_month(now: datetime, zone: tzinfo) -> Month:
    """The month whose report is open now: the previous local month (the default of
    `/report`)."""
    return Month.containing(now, zone).previous()


def check_month(month: Month, signed: date | None, now: datetime, zone: tzinfo) -> None:
    """`RuleError` unless a partner whose contract was signed on `signed` may file `month`
    now: from the signing month to the last closed month."""
    if signed is None:
        raise RuleError(_("Monthly reports start once the contract is signed."))
    current = Month.containing(now, zone)
    first = Month.of(signed)
    if month == current:
        raise RuleError(
            _("The report for {month} opens on {day}, once the month is over.").format(
                month=month, day=day(month.opens_on())
            )
        )
    if month > current:
        raise RuleError(
            _("{month} is in the future: a month's report opens once the month is over.").format(
                month=month
            )
        )
    if month < first:
        if first >= current:
            raise RuleError(
                _(
                    "Reports start with the month the contract was signed ({first}); there is "
                    "no report for {month}. Your first report opens on {day}."
                ).format(first=first, month=month, day=day(first.opens_on()))
            )
        raise RuleError(
            _(
                "Reports start with the month the contract was signed ({first}); "
                "there is no report for {month}."
            ).format(first=first, month=month)
        )


def due_date(month: Month, due_day: int = DEFAULT_DUE_DAY) -> date:
    """The last day to file `month` on time: day `due_day` of the next month."""
    check_due_day(due_day)
    following = month.next()
    return date(following.year, following.month, due_day)


def check_due_day(due_day: int) -> int:
    if isinstance(due_day, bool) or not isinstance(due_day, int) or not 1 <= due_day <= 28:
        raise ValueError(f"the due day must be 1 to 28, not {due_day!r}")
    return due_day


def is_on_time(month: Month, submitted_at: datetime, zone: tzinfo, due_day: int) -> bool:
    """Filed by the end of the due day, local time."""
    return local_day(submitted_at, zone) <= due_date(month, due_day)


def check_close(close: Month, now: datetime, zone: tzinfo) -> Month:
    """A prospect's expected close month: this month or later (up to `MAX_CLOSE_YEARS`)."""
    current = Month.containing(now, zone)
    if close < current:
        raise RuleError(
            _(
                "close= is the month the sale is expected to close: {close} is past; "
                "give {current} or later"
            ).format(close=close, current=current)
        )
    if current.months_until(close) > MAX_CLOSE_YEARS * 12:
        raise FieldError(
            _("close= must be within {years} years ({close} is further)").format(
                years=MAX_CLOSE_YEARS, close=close
            )
        )
    return close
