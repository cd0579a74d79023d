"""/export reports: the filed sales reports of a month or a quarter, as a CSV file in the room.

One row a deal of a filed (`submitted`) report, partners in id order and each partner's
months in order; the company name and the deal's note come last, so the first columns stay
where tools read them:

    partner,month,client,kind,amount,rate,owed,company,note
    acme-hosting,2026-09,Foo Hosting,hosting,12000.05,30%,3600.02,Acme Hosting,renewal
    acme-hosting,2026-09,Bar Corp,referred,1234.55,30%,370.37,Acme Hosting,

A second file, `prospects-<period>.csv`, has one row a prospective sale of those reports:

    partner,month,client,amount,close,company,note
    acme-hosting,2026-09,Northwind,5000.00,2027-01,Acme Hosting,

The reply gives the totals, and each partner's (closed, owed, pipeline).

Amounts have two decimals and no thousands separators; `rate` is the percent the deal was
filed with (a deal kept through a reopen keeps the rate of its first filing, so one report
may have two rates for one kind); `owed` is the report's own per-deal share
(`Report.owed_per_deal`), so each report's rows add up to its filed `closed_total` and
`owed`. Drafts (never filed, or reopened) are left out, and so are reports of no sales,
which have no deals. A client name, company or note that a spreadsheet would read as a
formula (`=`, `+`, `-`, `@` first) gets a `'` in front, as OWASP advises against CSV
injection.

The file is built while the transport reads it (`ChatActions.upload`): the reports are
scanned one partner's shard at a time, each partner's rows are written by the csv module
into a small buffer and handed on as one chunk, and the transport spools the chunks to a
temporary file. Memory stays bounded by one partner's reports whatever the number of
partners; the counts and totals of the reply are kept on the way. The export reads the
store as it goes, not one moment of it: a report filed meanwhile may or may not be in it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncGenerator, AsyncIterator, Collection, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chat.base import ChatError
from commands.examples import last_quarter
from commands.framework import Command, Context, Refused, Role, UsageError
from workflows.reporting import (
    Month,
    Report,
    ReportState,
    format_percent,
    format_usd,
    money_doc,
    total,
)
from workflows.text import quote

if TYPE_CHECKING:
    from storage import Transaction

REPORTS = "reports"
HEADER = ("partner", "month", "client", "kind", "amount", "rate", "owed", "company", "note")
PROSPECT_HEADER = ("partner", "month", "client", "amount", "close", "company", "note")
PARTNERS = "partners"
PARTNER_LINES = 50  # the per-partner totals a reply shows
PERIOD_FORMS = "a month YYYY-MM or a quarter YYYY-Qn"
_QUARTER = re.compile(r"([0-9]{4})-[Qq]([0-9]+)")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_FORMULA_FIRST = ("=", "+", "-", "@")


@dataclass(frozen=True, slots=True)
class Period:
    """The months of one export: one month, or the three of a quarter."""

    name: str  # "2026-09" or "2026-Q3", as in the file's name
    months: tuple[Month, ...]

    def __str__(self) -> str:
        if len(self.months) == 1:
            return self.name
        return f"{self.name} ({self.months[0]} to {self.months[-1]})"


def period_forms(today: date | None) -> str:
    """How a period is written, with examples as of `today` if given."""
    if today is None:
        return PERIOD_FORMS
    quarter, month = last_quarter(today)
    return f"{PERIOD_FORMS}, e.g. {month} or {quarter}"


def parse_period(text: str, today: date | None = None) -> Period:
    """`YYYY-MM`, or `YYYY-Qn` for the quarter n (1 to 4) of the calendar year; a refusal
    shows examples as of `today`, if given."""
    written = text.strip()
    quarter = _QUARTER.fullmatch(written)
    if quarter is not None:
        year, number = int(quarter.group(1)), int(quarter.group(2))
        if not 1 <= number <= 4:
            raise UsageError(f"{written} is not a quarter: a year has quarters Q1 to Q4")
        if year < 1:
            raise UsageError(f"{written} is not a quarter: there is no year 0")
        first = Month(year, 3 * number - 2)
        return Period(f"{year:04d}-Q{number}", (first, first.plus(1), first.plus(2)))
    month = _MONTH.fullmatch(written)
    if month is not None:
        year, number = int(month.group(1)), int(month.group(2))
        if not 1 <= number <= 12 or len(month.group(2)) != 2:
            raise UsageError(f"{written} is not a month: write the month as 01 to 12")
        if year < 1:
            raise UsageError(f"{written} is not a month: there is no year 0")
        return Period(str(Month(year, number)), (Month(year, number),))
    raise UsageError(
        f"the period must be {period_forms(today)}, not {quote(written, as_code=True)}"
    )


@dataclass
class PartnerTotals:
    """One partner's filed reports of the period, summed."""

    partner: str
    company: str
    closed: Decimal = field(default_factory=lambda: total(()))
    owed: Decimal = field(default_factory=lambda: total(()))
    pipeline: Decimal = field(default_factory=lambda: total(()))


@dataclass
class Tally:
    """What an export held, counted while its chunks were read."""

    partners: int = 0  # partners with a filed report in the period
    reports: int = 0  # filed reports, those of no sales included
    deals: int = 0  # rows
    drafts: int = 0  # reports of the period not filed
    closed: Decimal = field(default_factory=lambda: total(()))
    owed: Decimal = field(default_factory=lambda: total(()))
    complete: bool = False  # every chunk was read
    each: list[PartnerTotals] = field(default_factory=list)  # partners in id order


async def company_of(tx: Transaction, partner_id: str) -> str:
    """The partner's company name ("" for reports of a partner no longer stored)."""
    doc = await tx.get(PARTNERS, partner_id)
    return str(doc.get("company", "")) if doc is not None else ""


async def csv_chunks(
    tx: Transaction, months: Collection[Month], tally: Tally
) -> AsyncGenerator[bytes, None]:
    """The CSV of the filed reports of `months`, UTF-8, one chunk a partner with deals; the
    header comes with the first chunk, so a period without deals yields nothing.

    `tally` counts what was read; it is `complete` once the last chunk has been taken.
    """
    wanted = {str(month) for month in months}

    def in_period(doc: Mapping[str, Any]) -> bool:
        return doc.get("month") in wanted

    header = True
    partner: str | None = None
    buffer = io.StringIO()
    rows = csv.writer(buffer)
    async for doc in tx.scan(REPORTS, where=in_period):
        if doc.get("state") != ReportState.SUBMITTED:
            tally.drafts += 1
            continue
        report = Report.from_doc(doc)  # checks that the stored figures match the deals
        if report.partner != partner:
            if buffer.tell():
                yield buffer.getvalue().encode()
                buffer = io.StringIO()
                rows = csv.writer(buffer)
            partner = report.partner
            tally.partners += 1
            company = await company_of(tx, partner)
            tally.each.append(PartnerTotals(partner, company))
        tally.reports += 1
        mine = tally.each[-1]
        mine.closed = total((mine.closed, report.closed_total))
        mine.owed = total((mine.owed, report.owed))
        mine.pipeline = total((mine.pipeline, report.pipeline_total))
        if not report.deals:
            continue
        if header:
            rows.writerow(HEADER)
            header = False
        for deal, owed in zip(report.deals, report.owed_per_deal(), strict=True):
            rows.writerow(
                (
                    report.partner,
                    str(report.month),
                    _cell(deal.client),
                    deal.kind.value,
                    money_doc(deal.amount),
                    format_percent(report.rate_of(deal)),
                    money_doc(owed),
                    _cell(company),
                    _cell(deal.note or ""),
                )
            )
        tally.deals += len(report.deals)
        tally.closed = total((tally.closed, report.closed_total))
        tally.owed = total((tally.owed, report.owed))
    if buffer.tell():
        yield buffer.getvalue().encode()
    tally.complete = True


async def prospect_chunks(
    tx: Transaction, months: Collection[Month], tally: Tally
) -> AsyncGenerator[bytes, None]:
    """The CSV of the prospects in the filed reports of `months`, as `csv_chunks` makes
    the deals' (one chunk a partner with prospects); `tally.deals` counts the rows."""
    wanted = {str(month) for month in months}

    def in_period(doc: Mapping[str, Any]) -> bool:
        return doc.get("month") in wanted and doc.get("state") == ReportState.SUBMITTED

    header = True
    partner: str | None = None
    company = ""
    buffer = io.StringIO()
    rows = csv.writer(buffer)
    async for doc in tx.scan(REPORTS, where=in_period):
        report = Report.from_doc(doc)
        if report.partner != partner:
            if buffer.tell():
                yield buffer.getvalue().encode()
                buffer = io.StringIO()
                rows = csv.writer(buffer)
            partner = report.partner
            company = await company_of(tx, partner)
        if not report.prospects:
            continue
        if header:
            rows.writerow(PROSPECT_HEADER)
            header = False
        for prospect in report.prospects:
            rows.writerow(
                (
                    report.partner,
                    str(report.month),
                    _cell(prospect.client),
                    money_doc(prospect.amount),
                    str(prospect.close),
                    _cell(company),
                    _cell(prospect.note or ""),
                )
            )
        tally.deals += len(report.prospects)
    if buffer.tell():
        yield buffer.getvalue().encode()
    tally.complete = True


def _cell(text: str) -> str:
    """Text a spreadsheet shows as text, not a formula it runs."""
    return "'" + text if text.startswith(_FORMULA_FIRST) else text


async def export(ctx: Context) -> None:
    """Uploads a month's or quarter's filed reports as a CSV (a row a deal) and their
    prospects as another, and says the totals, also per partner."""
    what = ctx.word(0, "what to export (reports)")
    if what.lower() != "reports":
        raise UsageError(f"I can export reports, not {quote(what, as_code=True)}")
    period = parse_period(ctx.word(1, f"the period, {period_forms(ctx.today)},"), ctx.today)
    if len(ctx.args.words) > 2:
        raise UsageError(f"unexpected {quote(ctx.args.words[2], as_code=True)}")
    current = Month.containing(ctx.now, ctx.settings.timezone)
    if period.months[0] >= current:
        raise UsageError(
            f"no report for {period.name} can be filed yet: the report for {current} opens on "
            f"{current.opens_on()}, once the month is over"
        )
    filename = f"reports-{period.name}.csv"
    tally = Tally()
    description = f"Filed sales reports for {period}: one row a deal, with the amount owed"
    sent = await _upload(ctx, filename, csv_chunks(ctx.tx, period.months, tally), description)
    prospects = Tally()
    prospects_file = f"prospects-{period.name}.csv"
    sent_prospects = await _upload(
        ctx,
        prospects_file,
        prospect_chunks(ctx.tx, period.months, prospects),
        f"Prospective sales in the filed reports for {period}: one row a prospect",
    )
    if not (tally.complete and (prospects.complete or not sent_prospects)):
        raise RuntimeError(f"the transport did not read all of {filename} or {prospects_file}")
    if not sent and not sent_prospects:
        ctx.reply(_nothing(period, tally))
        return
    text = (
        f"Filed reports for {period}, in {filename}: {_count(tally.partners, 'partner')}, "
        f"{_count(tally.reports, 'report')}, {_count(tally.deals, 'deal')}. "
        f"Closed {format_usd(tally.closed)}, owed {format_usd(tally.owed)}."
        if sent
        else f"The filed reports for {period} had no deals, so there is no {filename}."
    )
    if sent_prospects:
        text += f" Prospects in {prospects_file}: {_count(prospects.deals, 'prospect')}."
    if period.months[-1] >= current:
        text += f" {period.name} is not over yet: this is what is filed so far."
    if tally.drafts:
        text += f" Left out: {_count(tally.drafts, 'draft')}, not filed yet."
    ctx.reply("\n".join([text, *_per_partner(tally.each)]))


async def _upload(
    ctx: Context, filename: str, chunks: AsyncGenerator[bytes, None], description: str
) -> bool:
    """Uploads the file made of `chunks` to the room; False, uploading nothing, when there
    are none."""
    async with aclosing(chunks) as reading:
        first = await anext(reading, None)
        if first is None:
            return False
        try:
            await ctx.chat.upload(
                ctx.reply_room, filename, _starting_with(first, reading), description=description
            )
        except ChatError as err:
            raise Refused(str(err)) from err
    return True


def _per_partner(each: list[PartnerTotals]) -> list[str]:
    """ "`acme-hosting` Acme Hosting: closed USD 1.00, owed USD 0.30, pipeline USD 5.00"."""
    lines = [
        f"`{totals.partner}` "
        f"{quote(totals.company) if totals.company else '(partner not found)'}: closed "
        f"{format_usd(totals.closed)}, owed {format_usd(totals.owed)}, pipeline "
        f"{format_usd(totals.pipeline)}"
        for totals in each[:PARTNER_LINES]
    ]
    if len(each) > PARTNER_LINES:
        lines.append(f"... and {len(each) - PARTNER_LINES} more partners (in the file).")
    return ["Per partner:", *lines] if len(each) > 0 else []


async def _starting_with(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk


def _nothing(period: Period, tally: Tally) -> str:
    if tally.reports == 0:
        text = f"No report is filed for {period}, so there is nothing to export."
    else:
        text = (
            f"The {_count(tally.reports, 'report')} filed for {period} "
            f"({_count(tally.partners, 'partner')}) had no sales, so there is nothing to export."
        )
    if tally.drafts:
        text += f" Left out: {_count(tally.drafts, 'draft')}, not filed yet."
    return text


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


SPEC = Command(
    name="export",
    summary=(
        "CSVs of the filed reports of a month or quarter: one row a deal with what is owed, "
        "and the prospects; totals per partner"
    ),
    usage="reports YYYY-MM|YYYY-Qn",
    example=lambda today: f"/export reports {last_quarter(today)[0]}",
    roles=frozenset({Role.MANAGER}),
    handler=export,
)
