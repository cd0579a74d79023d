"""A report's filings, as `/report <id> YYYY-MM history` shows them: each filed version
(kept in `Report.filed` when a manager reopened it, then the report itself if filed), and
what changed from one to the next. Pure, like the rest of `reporting`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from decimal import Decimal

from i18n import _, day, money
from workflows.reporting.model import Deal, Entry, Filing, Prospect, Report


@dataclass(frozen=True, slots=True)
class Version:
    """One filing of a report, or the draft after the last reopen."""

    entries: tuple[Entry, ...]
    none: bool
    closed_total: Decimal
    owed: Decimal
    pipeline_total: Decimal
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
            report.closed_total,
            report.owed,
            report.pipeline_total,
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
        filing.closed_total,
        filing.owed,
        filing.pipeline_total,
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
    note = f" ({entry.note})" if entry.note else ""
    if isinstance(entry, Prospect):
        return _("prospect {client}: {amount}, closing {close}{note}").format(
            client=entry.client, amount=money(entry.amount), close=entry.close, note=note
        )
    return _("deal {client}: {amount}, {kind}{note}").format(
        client=entry.client, amount=money(entry.amount), kind=entry.kind, note=note
    )


def history(report: Report, company: str, zone: tzinfo) -> str:
    """The report's filings as a chat message, each with what changed since the one before;
    a report never filed says so."""
    values = {"month": report.month, "company": company, "id": report.partner}
    found = versions(report)
    if found[-1].submitted_at is None and len(found) == 1:
        return _("*Report for {month}* of {company} (`{id}`) was never filed.").format(**values)
    lines = [
        _("*Report for {month}* of {company} (`{id}`): its filings, oldest first.").format(**values)
    ]
    previous: Version | None = None
    for n, version in enumerate(found, start=1):
        lines.append(_heading(n, version, zone))
        if previous is not None:
            lines.append(_changed(previous, version))
        if version.reopened_at is not None:
            lines.append(
                _("  Reopened {when} by {who}.").format(
                    when=_when(version.reopened_at, zone), who=f"@{version.reopened_by}"
                )
            )
        previous = version
    return "\n".join(lines)


def _heading(n: int, version: Version, zone: tzinfo) -> str:
    figures = (
        _("no sales this month")
        if version.none
        else _("closed {closed}, owed {owed}, pipeline {pipeline}").format(
            closed=money(version.closed_total),
            owed=money(version.owed),
            pipeline=money(version.pipeline_total),
        )
    )
    if version.submitted_at is None:
        return _("Now: open for correction, not filed again yet ({figures}).").format(
            figures=figures
        )
    values = {
        "n": n,
        "when": _when(version.submitted_at, zone),
        "who": f"@{version.submitted_by}",
        "figures": figures,
    }
    if version.on_time is None:
        return _("{n}. Filed {when} by {who}: {figures}.").format(**values)
    if version.on_time:
        return _("{n}. Filed {when} by {who}, on time: {figures}.").format(**values)
    return _("{n}. Filed {when} by {who}, late: {figures}.").format(**values)


def _changed(before: Version, after: Version) -> str:
    removed, added = changes(before.entries, after.entries)
    parts = [_("removed {entry}").format(entry=entry_words(entry)) for entry in removed]
    parts += [_("added {entry}").format(entry=entry_words(entry)) for entry in added]
    if before.none != after.none:
        parts.append(_("now no sales this month") if after.none else _("no longer no sales"))
    if not parts:
        return _("  Changed: nothing.")
    return _("  Changed: {changes}.").format(changes="; ".join(parts))


def _when(moment: datetime, zone: tzinfo) -> str:
    """The local day as its reader writes it, and the time (24-hour, as all three do)."""
    local = moment.astimezone(zone)
    return f"{day(local.date())} {local:%H:%M}"
