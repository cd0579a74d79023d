"""A report's filings, as `/report <id> YYYY-MM history` shows them: each filed version
(kept in `Report.filed` when a manager reopened it, then the report itself if filed), and
what changed from one to the next. Pure, like the rest of `reporting`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from workflows.reporting.model import Deal, Entry, Filing, Prospect, Report
from workflows.reporting.money import format_usd


@dataclass(frozen=True, slots=True)
class Version:
    """One filing of a report, or the draft after the last reopen."""

    entries: tuple[Entry, ...]
    none: bool
    closed_total: str
    owed: str
    pipeline_total: str
    submitted_at: datetime | None  # None: the draft, not filed again yet
    submitted_by: str | None
    on_time: bool | None
    reopened_at: datetime | None = None
    reopened_by: str | None = None


def versions(report: Report) -> list[Version]:
    """The filed versions, oldest first, then the report as it is now (filed or a draft)."""
    found = [_of_filing(filing) for filing in report.filed]
    found.append(
        Version(
            report.entries,
            report.none,
            format_usd(report.closed_total),
            format_usd(report.owed),
            format_usd(report.pipeline_total),
            report.submitted_at if report.is_filed else None,
            report.submitted_by if report.is_filed else None,
            report.on_time if report.is_filed else None,
        )
    )
    return found


def _of_filing(filing: Filing) -> Version:
    return Version(
        (*filing.deals, *filing.prospects),
        filing.none,
        format_usd(filing.closed_total),
        format_usd(filing.owed),
        format_usd(filing.pipeline_total),
        filing.submitted_at,
        filing.submitted_by,
        filing.on_time,
        filing.reopened_at,
        filing.reopened_by,
    )


def changes(before: Sequence[Entry], after: Sequence[Entry]) -> tuple[list[Entry], list[Entry]]:
    """The entries removed and added from `before` to `after` (a deal's kept rate aside)."""
    old = Counter(_plain(entry) for entry in before)
    new = Counter(_plain(entry) for entry in after)
    return list((old - new).elements()), list((new - old).elements())


def _plain(entry: Entry) -> Entry:
    return replace(entry, rate=None) if isinstance(entry, Deal) else entry


def entry_words(entry: Entry) -> str:
    """ "deal Foo: USD 12,000.00, hosting" or "prospect Bar: USD 5,000.00, closing 2027-01"."""
    if isinstance(entry, Prospect):
        text = f"prospect {entry.client}: {format_usd(entry.amount)}, closing {entry.close}"
    else:
        text = f"deal {entry.client}: {format_usd(entry.amount)}, {entry.kind}"
    return text + (f" ({entry.note})" if entry.note else "")


def history(report: Report, company: str, zone: tzinfo) -> str:
    """The report's filings as a chat message, each with what changed since the one before;
    a report never filed says so."""
    title = f"*Report for {report.month}* of {company} (`{report.partner}`)"
    found = versions(report)
    if found[-1].submitted_at is None and len(found) == 1:
        return f"{title} was never filed."
    lines = [f"{title}: its filings, oldest first."]
    previous: Version | None = None
    for number, version in enumerate(found, start=1):
        lines.append(_heading(number, version, zone))
        if previous is not None:
            lines.append(_changed(previous, version))
        if version.reopened_at is not None:
            lines.append(
                f"  Reopened {_when(version.reopened_at, zone)} by @{version.reopened_by}."
            )
        previous = version
    return "\n".join(lines)


def _heading(number: int, version: Version, zone: tzinfo) -> str:
    figures = (
        "no sales this month"
        if version.none
        else f"closed {version.closed_total}, owed {version.owed}, pipeline "
        f"{version.pipeline_total}"
    )
    if version.submitted_at is None:
        return f"Now: open for correction, not filed again yet ({figures})."
    timing = "" if version.on_time is None else (", on time" if version.on_time else ", late")
    return (
        f"{number}. Filed {_when(version.submitted_at, zone)} by @{version.submitted_by}"
        f"{timing}: {figures}."
    )


def _changed(before: Version, after: Version) -> str:
    removed, added = changes(before.entries, after.entries)
    parts = [f"removed {entry_words(entry)}" for entry in removed]
    parts += [f"added {entry_words(entry)}" for entry in added]
    if before.none != after.none:
        parts.append("now no sales this month" if after.none else "no longer no sales")
    return "  Changed: " + ("; ".join(parts) if parts else "nothing") + "."


def _when(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"
