"""The aggregates `/stats` reads (issue 15), kept in the same commit as what they sum:

- `stats_months` (owned by the partner): each filed report, summed (`MonthFigures`);
  a partner's `/stats` reads its own shard, about 60 small documents after five years;
- `stats_quarters` (owned by the quarter): each partner's quarter (`QuarterRow`); the
  program's `/stats` reads three quarters' shards, never a report;
- `stats_partners`: each partner's reviews and recorded fee years (`Standing`).

`/report` (`keep_report`, when a report is filed), `/review` (`keep_review`) and `/fee`
(`keep_fees`) call in here. Data from before the aggregates is summed once by `rebuild`
(the quarterly summary's service runs it at start-up while the `BUILT` mark is missing).

Not a command module (it has no SPEC).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

from storage import Store, Transaction
from workflows.compliance import Review
from workflows.reporting import Report
from workflows.stats import (
    Facts,
    Figures,
    MonthFigures,
    Quarter,
    QuarterRow,
    Standing,
    is_filed,
    last_closed,
    row_figures,
)

log = logging.getLogger(__name__)

MONTHS = "stats_months"
QUARTERS = "stats_quarters"
STANDINGS = "stats_partners"
BUILT = "@built"  # the `stats_partners` document that says the aggregates are complete
REBUILD_BATCH = 200  # partners a commit


Reader = Store | Transaction
Writer = Transaction


async def keep_report(tx: Writer, report: Report) -> None:
    """A report was filed: its month's figures and its quarter's row, in the same commit."""
    if not report.is_filed:
        return
    mine = MonthFigures.of_report(report)
    tx.put(MONTHS, mine.to_doc())
    quarter = Quarter.of(report.month)
    months = [mine]
    for month in quarter.months:
        if month != report.month:
            doc = await tx.get(MONTHS, report.partner, str(month))
            if doc is not None:
                months.append(MonthFigures.from_doc(doc))
    tx.put(QUARTERS, QuarterRow.of_months(quarter, report.partner, months).to_doc())


async def standing(reader: Reader, partner_id: str) -> Standing:
    doc = await reader.get(STANDINGS, partner_id)
    return Standing(partner_id) if doc is None else Standing.from_doc(doc)


async def keep_review(tx: Writer, review: Review) -> None:
    """A review was recorded (or replaced)."""
    now = await standing(tx, review.partner)
    reviews = {**now.reviews, review.day: review.outcome}
    tx.put(STANDINGS, Standing(now.partner, reviews, now.fee_years).to_doc())


async def keep_fees(tx: Writer, partner_id: str, year: int, *, paid: bool) -> None:
    """A fee year was recorded paid (or that record undone)."""
    now = await standing(tx, partner_id)
    years = now.fee_years | {year} if paid else now.fee_years - {year}
    tx.put(STANDINGS, Standing(now.partner, now.reviews, years).to_doc())


T = TypeVar("T")
# The parsed form of each stored document read for /stats, with the document it was parsed
# from: a stored document is never changed, only replaced by another object, so the same
# object means the same value and the parse is reused (the program's /stats would otherwise
# parse every partner and every row on each request). At most one entry per document key.
_PARSED: dict[tuple[str, str], tuple[Mapping[str, Any], Any]] = {}


def parsed(collection: str, key: str, doc: Mapping[str, Any], parse: Callable[[Any], T]) -> T:
    """`parse(doc)`, or what it gave for this very document object before."""
    known = _PARSED.get((collection, key))
    if known is not None and known[0] is doc:
        value: T = known[1]
        return value
    value = parse(doc)
    _PARSED[(collection, key)] = (doc, value)
    return value


async def facts(reader: Reader) -> list[Facts]:
    """What the program's numbers need of every partner."""
    return [
        parsed("partners", doc["id"], doc, Facts.from_doc)
        async for doc in _paced(reader.view("partners"))
    ]


async def months_of(reader: Reader, partner_id: str) -> list[MonthFigures]:
    """Every month the partner filed, summed."""
    return [MonthFigures.from_doc(doc) async for doc in reader.view(MONTHS, partner_id)]


async def rows_of(reader: Reader, quarter: Quarter) -> list[QuarterRow]:
    """Every partner's row of the quarter (those that filed something in it)."""
    return [
        parsed(QUARTERS, f"{quarter}/{doc['partner']}", doc, QuarterRow.from_doc)
        async for doc in _paced(reader.view(QUARTERS, str(quarter)))
    ]


async def figures_of(reader: Reader, quarter: Quarter) -> list[tuple[str, Figures]]:
    """Every partner's figures of the quarter, without the rest of its row."""
    return [
        parsed(f"{QUARTERS}:figures", f"{quarter}/{doc['partner']}", doc, row_figures)
        async for doc in _paced(reader.view(QUARTERS, str(quarter)))
    ]


async def standings(reader: Reader) -> dict[str, Standing]:
    found = {}
    async for doc in _paced(reader.view(STANDINGS)):
        if doc["partner"] != BUILT:
            found[doc["partner"]] = parsed(STANDINGS, doc["partner"], doc, Standing.from_doc)
    return found


PACE = 500  # documents parsed between two turns of the event loop


async def _paced(docs: AsyncIterator[T]) -> AsyncIterator[T]:
    """`docs`, letting other commands run every `PACE` of them: parsing a shard of 10,000
    documents for the first time takes a second, which no other command should wait for."""
    count = 0
    async for doc in docs:
        yield doc
        count += 1
        if count % PACE == 0:
            await asyncio.sleep(0)


async def warm(store: Store, today: date) -> None:
    """After start-up, beside the commands: parse what the program's `/stats` reads (every
    partner, the standings, the last closed quarter and the two it is compared with), so
    that the first `/stats` after a start is as quick as the next ones."""
    quarter = last_closed(today)
    try:
        await facts(store)
        await standings(store)
        await rows_of(store, quarter)
        for period in (quarter.previous(), quarter.year_before()):
            await figures_of(store, period)
    except Exception:  # a service's failure is not seen otherwise; /stats reads them anyway
        log.exception("stats: warming the figures failed")


def built_doc() -> dict[str, Any]:
    return {"partner": BUILT, "reviews": {}, "fee_years": []}


async def rebuild(store: Store, now: datetime) -> bool:
    """Sum the reports, reviews and fees stored before the aggregates were kept, once:
    False when they are complete already. A report reopened then counts once filed again.
    A partner at a time, in batches of commits; the `BUILT` mark comes last, so an
    interrupted rebuild starts again."""
    if await store.get(STANDINGS, BUILT) is not None:
        return False
    ids = [str(doc["id"]) async for doc in store.scan("partners")]
    log.info("stats: summing the reports of %d partners, once", len(ids))
    for start in range(0, len(ids), REBUILD_BATCH):
        tx = store.begin(actor="partnerbot", now=now)
        for partner_id in ids[start : start + REBUILD_BATCH]:
            await _rebuild_partner(store, tx, partner_id)
        await tx.commit()
        await asyncio.sleep(0)
    tx = store.begin(actor="partnerbot", now=now)
    tx.put(STANDINGS, built_doc())
    await tx.commit()
    return True


async def _rebuild_partner(store: Store, tx: Transaction, partner_id: str) -> None:
    months = [
        MonthFigures.of_report(Report.from_doc(doc))
        async for doc in store.scan("reports", partner_id)
        if is_filed(doc)
    ]
    for mine in months:
        tx.put(MONTHS, mine.to_doc())
    for quarter in sorted({Quarter.of(mine.month) for mine in months}):
        tx.put(QUARTERS, QuarterRow.of_months(quarter, partner_id, months).to_doc())
    reviews = {
        date.fromisoformat(doc["date"]): Review.from_doc(doc).outcome
        async for doc in store.scan("reviews", partner_id)
    }
    years = frozenset([int(doc["year"]) async for doc in store.scan("fees", partner_id)])
    if reviews or years:
        tx.put(STANDINGS, Standing(partner_id, reviews, years).to_doc())
