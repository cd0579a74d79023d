"""How /stats scales: the program's quarter and one partner's, end to end with the chart.

    .venv/bin/python bench/bench_stats.py [--partners 10000] [--samples 20]

It builds a data directory by importing a generated export (bench/bench_storage.py's: each
partner with 60 filed monthly reports, 2020-01 to 2024-12), with the aggregates /report
keeps as it files them (`stats_months`, `stats_quarters`, `stats_partners`, as
`commands.figures` writes them), and a review of each partner. Then it opens the store and
sends `/stats 2024-Q4` through the real dispatcher (tests.program's harness: parsing,
permission, the numbers, the chart drawn in a worker thread, the upload to an in-memory
chat): once as an account manager (the whole program; the first run reads the three
quarters' shards from disk, the later ones from memory), then as the contacts of
`--samples` random partners (their numbers alone first, the partner's shard read from
disk; then the whole command). Prints a markdown table of the times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_storage import MONTHS, Generated, export_text, partner_id
from commands import figures
from config import Settings
from storage import SCHEMA, Store
from tests.program import Program
from workflows.compliance import Outcome
from workflows.reporting import parse_month
from workflows.stats import (
    ON_TIME,
    Figures,
    MonthFigures,
    Quarter,
    QuarterRow,
    Standing,
)

NOW = datetime(2025, 1, 20, 12, 0, tzinfo=UTC)  # 2024-Q4 is the last closed quarter
QUARTER = "2024-Q4"
MANAGER = "maria"


def month_figures(number: int, month: str) -> MonthFigures:
    """bench_storage's monthly report, summed."""
    return MonthFigures(
        partner_id(number),
        parse_month(month),
        Figures(Decimal("6291.00"), Decimal("2887.30"), Decimal("10250.00")),
        3,
        2,
        {parse_month(month): Decimal("10250.00")},
        ON_TIME,
    )


def aggregates(partners: int) -> Iterator[str]:
    """The aggregates' collections, as export text: after the last list's items, before
    its closing `]`."""
    yield '],"stats_months":['
    yield ",".join(
        json.dumps(month_figures(number, month).to_doc())
        for number in range(partners)
        for month in MONTHS
    )
    yield '],"stats_quarters":['
    quarters = sorted({Quarter.of(parse_month(month)) for month in MONTHS})
    rows = []
    for quarter in quarters:
        for number in range(partners):
            months = [month_figures(number, str(month)) for month in quarter.months]
            rows.append(
                json.dumps(QuarterRow.of_months(quarter, partner_id(number), months).to_doc())
            )
    yield ",".join(rows)
    yield '],"stats_partners":['
    standings = [
        json.dumps(
            Standing(
                partner_id(number), {NOW.date().replace(day=15, month=11, year=2024): Outcome.PASS}
            ).to_doc()
        )
        for number in range(partners)
    ]
    standings.append(json.dumps({"partner": "@built", "reviews": {}, "fee_years": []}))
    yield ",".join(standings)  # closed by the export's '],"audit":...'


def with_aggregates(partners: int) -> Iterator[str]:
    for piece in export_text(partners, lambda n: [_report(n, m) for m in MONTHS]):
        if piece.startswith('],"audit"'):
            yield from aggregates(partners)
        yield piece


def _report(number: int, month: str) -> dict[str, object]:
    from bench.bench_storage import monthly_report

    doc = monthly_report(number, month)
    doc["on_time"] = True
    return doc


async def timed(program: Program, sender: str) -> tuple[float, float]:
    """Seconds until `/stats` has its reply (stored and ready to go out), and until its
    chart is drawn and uploaded too (the follow-up the runner starts beside the reply)."""
    started = time.perf_counter()
    outcome = await program.dispatcher.handle(program.message(sender, f"/stats {QUARTER}"))
    replied = time.perf_counter() - started
    assert outcome.status == "done", outcome.replies
    for action in outcome.followups:
        await action()
    assert program.chat.uploads, "no chart was uploaded"
    return replied, time.perf_counter() - started


async def run(partners: int, samples: int, keep: Path | None) -> list[tuple[str, float, float]]:
    folder = keep if keep is not None else Path(tempfile.mkdtemp(prefix="bench-stats-"))
    try:
        if not (folder / "data").exists():
            started = time.perf_counter()
            store = await Store.open(folder / "data", SCHEMA)
            await store.import_(Generated(with_aggregates(partners)))
            await store.close()
            print(
                f"built {partners} partners in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
        store = await Store.open(folder / "data", SCHEMA)
        settings = Settings(managers=frozenset({MANAGER}))
        program = Program(store, settings)
        program.clock.now = NOW
        started = time.perf_counter()
        await figures.warm(store, NOW.date())  # the bot's start-up service
        warming = time.perf_counter() - started
        manager = [await timed(program, MANAGER) for _n in range(3)]
        rng = random.Random(1)
        contacts = [await timed(program, f"user{n}") for n in rng.sample(range(partners), samples)]
        await store.close()

        def row(name: str, times: list[float]) -> tuple[str, float, float]:
            return (name, statistics.median(times), max(times))

        return [
            ("warming at start-up (shards from disk; beside the commands)", warming, warming),
            ("program, first: the reply", manager[0][0], manager[0][0]),
            ("program, first: with its chart", manager[0][1], manager[0][1]),
            row("program, again: the reply (median of 2)", [m[0] for m in manager[1:]]),
            row("program, again: with its chart (median of 2)", [m[1] for m in manager[1:]]),
            row(f"one partner: the reply (median, max of {samples})", [c[0] for c in contacts]),
            row(
                f"one partner: with its chart (median, max of {samples})", [c[1] for c in contacts]
            ),
        ]
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument(
        "--keep", type=Path, help="build the data once into this folder and reuse it later"
    )
    args = parser.parse_args()
    rows = asyncio.run(run(args.partners, args.samples, args.keep))
    print(f"| /stats {QUARTER}, {args.partners:,} partners | seconds | worst |")
    print("|---|---|---|")
    for name, typical, worst in rows:
        print(f"| {name} | {typical:.3f} | {worst:.3f} |")


if __name__ == "__main__":
    main()
