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
from engine.framework import Command, Context, Refused, Role, UsageError
from i18n import N_, _, day, money, ngettext, number
from workflows.reporting import (
    Month,
    Report,
    ReportState,
    format_percent,
    money_doc,
    total,
)
from workflows.text import quote

if TYPE_CHECKING:
    from storage import Transaction

REPORTS = "reports"
HEADER = (
    "partner",
    "month",
    "client",
    "kind",
    "amount",
    "rate",
    "owed",
    "company",
    "note",
    "referral",  # kind=referred: the referral it closed (R-<n>)
)
PROSPECT_HEADER = ("partner", "month", "client", "amount", "close", "company", "note")
PARTNERS = "partners"
PARTNER_LINES = 50  # the per-partner totals a reply shows
PERIOD_FORMS = N_("a month YYYY-MM or a quarter YYYY-Qn")  # shown as `_(PERIOD_FORMS)`
_QUARTER = re.compile(r"([0-9]{4})-[Qq]([0-9]+)")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")
_FORMULA_FIRST = ("=", "+", "-", "@")


@dataclass(frozen=True, slots=True)
class Period:
    """The months of one export: one month, or the three of a quarter."""

    name: str  # "2026-09" or "2026-Q3", as in the file's name
    months: tuple[Month, ...]

    def __str__(self) -> str:
        """As a reader is shown it: `2026-Q3 (2026-07 to 2026-09)`, in the language in force."""
        if len(self.months) == 1:
            return self.name
        return _("{quarter} ({first} to {last})").format(
            quarter=self.name, first=self.months[0], last=self.months[-1]
        )


def period_forms(today: date | None) -> str:
    """How a period is written, with examples as of `today` if given."""
    if today is None:
        return _(PERIOD_FORMS)
    quarter, month = last_quarter(today)
    return _("a month YYYY-MM or a quarter YYYY-Qn, e.g. {month} or {quarter}").format(
        month=month, quarter=quarter
    )


def parse_period(text: str, today: date | None = None) -> Period:
    """`YYYY-MM`, or `YYYY-Qn` for the quarter n (1 to 4) of the calendar year; a refusal
    shows examples as of `today`, if given."""
    written = text.strip()
    quarter = _QUARTER.fullmatch(written)
    if quarter is not None:
        year, number = int(quarter.group(1)), int(quarter.group(2))
        if not 1 <= number <= 4:
            raise UsageError(
                _("{period} is not a quarter: a year has quarters Q1 to Q4").format(period=written)
            )
        if year < 1:
            raise UsageError(
                _("{period} is not a quarter: there is no year 0").format(period=written)
            )
        first = Month(year, 3 * number - 2)
        return Period(f"{year:04d}-Q{number}", (first, first.plus(1), first.plus(2)))
    month = _MONTH.fullmatch(written)
    if month is not None:
        year, number = int(month.group(1)), int(month.group(2))
        if not 1 <= number <= 12 or len(month.group(2)) != 2:
            raise UsageError(
                _("{period} is not a month: write the month as 01 to 12").format(period=written)
            )
        if year < 1:
            raise UsageError(
                _("{period} is not a month: there is no year 0").format(period=written)
            )
        return Period(str(Month(year, number)), (Month(year, number),))
    raise UsageError(
        _("the period must be {forms}, not {period}").format(
            forms=period_forms(today), period=quote(written, as_code=True)
        )
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
                    deal.ref or "",
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
    what = ctx.word(0, _("what to export (reports)"))
    if what.lower() != "reports":
        raise UsageError(
            _("I can export reports, not {word}").format(word=quote(what, as_code=True))
        )
    period = parse_period(
        ctx.word(1, _("the period, {forms},").format(forms=period_forms(ctx.today))), ctx.today
    )
    if len(ctx.args.words) > 2:
        raise UsageError(_("unexpected {word}").format(word=quote(ctx.args.words[2], as_code=True)))
    current = Month.containing(ctx.now, ctx.settings.timezone)
    if period.months[0] >= current:
        raise UsageError(
            _(
                "no report for {period} can be filed yet: the report for {month} opens on "
                "{day}, once the month is over"
            ).format(period=period.name, month=current, day=day(current.opens_on()))
        )
    filename = f"reports-{period.name}.csv"
    tally = Tally()
    description = _(
        "Filed sales reports for {period}: one row a deal, with the amount owed"
    ).format(period=period)
    sent = await _upload(ctx, filename, csv_chunks(ctx.tx, period.months, tally), description)
    prospects = Tally()
    prospects_file = f"prospects-{period.name}.csv"
    sent_prospects = await _upload(
        ctx,
        prospects_file,
        prospect_chunks(ctx.tx, period.months, prospects),
        _("Prospective sales in the filed reports for {period}: one row a prospect").format(
            period=period
        ),
    )
    if not (tally.complete and (prospects.complete or not sent_prospects)):
        raise RuntimeError(f"the transport did not read all of {filename} or {prospects_file}")
    if not sent and not sent_prospects:
        ctx.reply(_nothing(period, tally))
        return
    text = (
        _(
            "Filed reports for {period}, in {file}: {partners}, {reports}, {deals}. "
            "Closed {closed}, owed {owed}."
        ).format(
            period=period,
            file=filename,
            partners=_partners(tally.partners),
            reports=_reports(tally.reports),
            deals=ngettext("{n} deal", "{n} deals", tally.deals).format(n=number(tally.deals)),
            closed=money(tally.closed),
            owed=money(tally.owed),
        )
        if sent
        else _("The filed reports for {period} had no deals, so there is no {file}.").format(
            period=period, file=filename
        )
    )
    if sent_prospects:
        text += " " + ngettext(
            "Prospects in {file}: {n} prospect.",
            "Prospects in {file}: {n} prospects.",
            prospects.deals,
        ).format(file=prospects_file, n=number(prospects.deals))
    if period.months[-1] >= current:
        text += " " + _("{period} is not over yet: this is what is filed so far.").format(
            period=period.name
        )
    if tally.drafts:
        text += " " + _left_out(tally.drafts)
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
        _("`{id}` {company}: closed {closed}, owed {owed}, pipeline {pipeline}").format(
            id=totals.partner,
            company=quote(totals.company) if totals.company else _("(partner not found)"),
            closed=money(totals.closed),
            owed=money(totals.owed),
            pipeline=money(totals.pipeline),
        )
        for totals in each[:PARTNER_LINES]
    ]
    if len(each) > PARTNER_LINES:
        more = len(each) - PARTNER_LINES
        lines.append(
            ngettext(
                "... and {n} more partner (in the file).",
                "... and {n} more partners (in the file).",
                more,
            ).format(n=number(more))
        )
    return [_("Per partner:"), *lines] if len(each) > 0 else []


async def _starting_with(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk


def _nothing(period: Period, tally: Tally) -> str:
    if tally.reports == 0:
        text = _("No report is filed for {period}, so there is nothing to export.").format(
            period=period
        )
    else:
        text = ngettext(
            "The {n} report filed for {period} ({partners}) had no sales, so there is nothing "
            "to export.",
            "The {n} reports filed for {period} ({partners}) had no sales, so there is nothing "
            "to export.",
            tally.reports,
        ).format(n=number(tally.reports), period=period, partners=_partners(tally.partners))
    if tally.drafts:
        text += " " + _left_out(tally.drafts)
    return text


def _partners(n: int) -> str:
    return ngettext("{n} partner", "{n} partners", n).format(n=number(n))


def _reports(n: int) -> str:
    return ngettext("{n} report", "{n} reports", n).format(n=number(n))


def _left_out(drafts: int) -> str:
    return ngettext(
        "Left out: {n} draft, not filed yet.", "Left out: {n} drafts, not filed yet.", drafts
    ).format(n=number(drafts))


SPEC = Command(
    name="export",
    summary=N_(
        "CSVs of the filed reports of a month or quarter: one row a deal with what is owed, "
        "and the prospects; totals per partner"
    ),
    usage="reports YYYY-MM|YYYY-Qn",
    example=lambda today: f"/export reports {last_quarter(today)[0]}",
    roles=frozenset({Role.MANAGER}),
    handler=export,
)
