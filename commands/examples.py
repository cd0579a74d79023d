"""The dates in the examples that help, usage replies and questions show, made from today's
local date (`Context.today`, from the injected clock) so that an example never goes stale:
a signing day that is not in the future, a report month that is over, a close month still
ahead, a quarter that is over.

Not a command module (it has no SPEC): the command specs use it for `Command.example`.
"""

from __future__ import annotations

from datetime import date

from workflows.reporting import Month


def last_month(today: date) -> Month:
    """The month before today's: the one whose report is open (`/report`'s default)."""
    return Month.of(today).previous()


def month_ahead(today: date, months: int = 3) -> Month:
    """A month `months` after today's: a prospect's close month."""
    return Month.of(today).plus(months)


def last_quarter(today: date) -> tuple[str, Month]:
    """The last calendar quarter that is over, written `YYYY-Qn`, and its last month."""
    this_quarter = Month(today.year, 3 * ((today.month - 1) // 3) + 1)
    last = this_quarter.previous()
    return f"{last.year:04d}-Q{(last.month - 1) // 3 + 1}", last
