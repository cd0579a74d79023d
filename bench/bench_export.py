"""How /export reports scales: time and memory of building the CSV, by partner count.

    .venv/bin/python bench/bench_export.py [--partners 1000,10000] [--history 0]
                                           [--repeat 3]

For each size it builds a data directory through the storage API (importing a generated
export, as bench/bench_storage.py does): the partners, each with a report for 2026-09
filed with three deals (hosting, referred, premium) and two prospects, made and filed by
the `workflows.reporting` rules, plus `--history` earlier filed months per partner (so that
each partner's shard holds more than the month exported). Then, in a fresh process, it
opens the store and runs the export's chunk generator (`commands.export.csv_chunks`)
into the console transport's `upload`, which spools the chunks to a file as the bot's
transports do; it checks that the rows add up to the filed totals and reports the time
of the export, the resident memory after opening the store and the peak of the process (VmHWM),
and, in another fresh process under tracemalloc, the most Python memory the export held
at once beyond what the open store holds. Each figure is the median of `--repeat`
processes. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_storage import Reports, build, partner_id, status_mb
from chat.console import Console
from commands.export import Tally, csv_chunks
from storage import SCHEMA, Store
from workflows.reporting import (
    DEFAULT_RATES,
    DealKind,
    Month,
    Report,
    add_deal,
    add_prospect,
    new_draft,
    submit,
    total,
)

MONTH = Month(2026, 9)
NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)  # 2026-09 is filed on time
KINDS = (DealKind.HOSTING, DealKind.REFERRED, DealKind.PREMIUM)


def filed_report(number: int, month: Month) -> Report:
    report = new_draft(partner_id(number), month, DEFAULT_RATES)
    for index, kind in enumerate(KINDS):
        amount = Decimal(f"{1000 * (index + 1) + number % 97}.{number % 100:02}")
        report = add_deal(report, f"Client {number}-{index} Corp", amount, kind, "annual plan")
    for index in range(2):
        amount = Decimal(5000 + index * 250)
        report = add_prospect(
            report, f"Prospect {number}-{index}", amount, Month(2027, 3), None, NOW, UTC
        )
    filed_at = (
        NOW if month == MONTH else datetime(month.next().year, month.next().month, 5, tzinfo=UTC)
    )
    return submit(report, f"user{number}", filed_at, UTC, 10)


def filed_months(history: int) -> Reports:
    """Each partner's reports: MONTH and the `history` months before it, all filed."""
    months = [MONTH.plus(-back) for back in range(history, -1, -1)]
    return lambda number: (filed_report(number, month).to_doc() for month in months)


def check(path: Path, partners: int, tally: Tally) -> int:
    """The file's size; asserts that its rows add up to the filed totals."""
    size = path.stat().st_size
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    path.unlink()
    path.parent.rmdir()
    expected = [filed_report(n, MONTH) for n in range(partners)]
    assert tally.complete and len(rows) == tally.deals == 3 * partners
    assert total(Decimal(row["amount"]) for row in rows) == tally.closed
    assert total(Decimal(row["owed"]) for row in rows) == tally.owed
    assert tally.closed == total(report.closed_total for report in expected)
    assert tally.owed == total(report.owed for report in expected)
    return size


async def measure(path: Path, partners: int, traced: bool) -> dict[str, float]:
    """In a fresh process: open the store, export one month into the console's spool."""
    store = await Store.open(path, SCHEMA)
    after_open = status_mb("VmRSS")
    out = io.StringIO()
    console = Console("bench", "ams", lambda: NOW, stdin=io.StringIO(), stdout=out)
    tally = Tally()
    tx = store.begin("bench", NOW)
    if traced:
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    await console.upload("room-ams", "reports-2026-09.csv", csv_chunks(tx, [MONTH], tally))
    took = time.perf_counter() - started
    figures: dict[str, float] = {}
    if traced:
        figures["traced_peak_mb"] = (tracemalloc.get_traced_memory()[1] - base) / 2**20
        tracemalloc.stop()
    else:
        figures = {
            "export_s": took,
            "rss_open_mb": after_open,
            "peak_rss_mb": status_mb("VmHWM"),
        }
    await store.close(checkpoint=False)
    saved = Path(out.getvalue().splitlines()[0].split(": ", 1)[1].rstrip(")"))
    figures["csv_mb"] = check(saved, partners, tally) / 2**20
    figures["rows"] = tally.deals
    return figures


def run_size(partners: int, history: int, repeat: int) -> dict[str, float]:
    """Build a data directory of this size, measure it in fresh processes."""
    folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        started = time.perf_counter()
        asyncio.run(build(folder / "data", partners, filed_months(history)))
        built = time.perf_counter() - started
        command = [sys.executable, __file__, "--measure", str(folder / "data")]
        command += ["--partners", str(partners)]

        def run(*extra: str) -> dict[str, float]:
            done = subprocess.run([*command, *extra], check=True, capture_output=True, text=True)
            figures: dict[str, float] = json.loads(done.stdout)
            return figures

        plain = [run() for _ in range(repeat)]
        traced = [run("--traced") for _ in range(repeat)]
    finally:
        shutil.rmtree(folder)
    figures = {name: statistics.median(r[name] for r in plain) for name in plain[0]}
    figures["traced_peak_mb"] = statistics.median(r["traced_peak_mb"] for r in traced)
    return figures | {"partners": partners, "history": history, "build_s": built}


def table(rows: list[dict[str, float]]) -> str:
    lines = [
        "| partners | reports per partner | CSV rows | CSV size | export time "
        "| RSS after opening the store | peak RSS | export's own peak (tracemalloc) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['partners']:,.0f} | {row['history'] + 1:.0f} | {row['rows']:,.0f} "
            f"| {row['csv_mb']:.2f} MB | {row['export_s']:.2f} s | {row['rss_open_mb']:.0f} MB "
            f"| {row['peak_rss_mb']:.0f} MB | {row['traced_peak_mb']:.2f} MB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", default="1000,10000", help="comma-separated sizes")
    parser.add_argument("--history", type=int, default=0, help="earlier filed months each")
    parser.add_argument("--repeat", type=int, default=3, help="measuring processes per size")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(size) for size in args.partners.split(",")]
    if args.measure is not None:
        print(json.dumps(asyncio.run(measure(args.measure, sizes[0], args.traced))))
        return
    rows = []
    for partners in sizes:
        rows.append(run_size(partners, args.history, args.repeat))
        print(f"{partners} partners done", file=sys.stderr)
    print(table(rows))


if __name__ == "__main__":
    main()
