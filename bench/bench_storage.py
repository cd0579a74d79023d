"""How the store scales: start-up, write and read latency, peak memory, by partner count.

    .venv/bin/python bench/bench_storage.py [--partners 10,1000,10000] [--samples 500]
                                            [--repeat 3]

For each size it builds a data directory (by importing a generated export: 60 monthly
reports per partner), then measures in a fresh process, over random partners: the time
`Store.open` takes; the latency of reading one report (the first read of a partner loads
its shard from disk) and of reading another report of the same partner (from memory);
the latency of writing one
partner's monthly report as the /report command does it (a transaction that reads the
draft, puts the new version with an audit `what` and commits), both of the commit alone
(the acknowledgement) and of the whole transaction, which includes loading the
partner's shard when it is not cached; and the peak RSS of that process. Each figure
is the median of `--repeat` such processes (fsync times wander on shared disks). Prints
a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage import SCHEMA, Store

MONTHS = [f"{year}-{month:02}" for year in range(2020, 2025) for month in range(1, 13)]
NEW_MONTH = "2025-01"
NOW = datetime(2025, 2, 1, 9, 0, tzinfo=UTC)
STEPS = ["application", "meeting", "goals", "contract", "listing", "workgroup", "training"]


def partner_id(number: int) -> str:
    return f"partner-{number:05}"


def partner(number: int) -> dict[str, Any]:
    step = {"state": "done", "at": "2020-01-15T10:00:00+00:00", "by": "am-alice"}
    return {
        "id": partner_id(number),
        "company": f"Partner Company {number} Ltda.",
        "type": ["hosting", "technology", "value-added"][number % 3],
        "status": "active",
        "manager": "am-alice",
        "contacts": [f"user{number}", f"user{number}-2"],
        "workgroup": f"room-{number:05}",
        "website": f"https://partner-{number}.example",
        "email": f"partners@partner-{number}.example",
        "applied_at": "2020-01-15T10:00:00+00:00",
        "signed": "2020-01-15",
        "term": 12,
        "terms": {},
        "steps": {name: dict(step) for name in STEPS},
    }


def monthly_report(number: int, month: str, state: str = "submitted") -> dict[str, Any]:
    deals = [
        {
            "client": f"Client {number}-{index} Corp",
            "kind": ["hosting", "referred", "premium"][index],
            "amount": f"{1000 * (index + 1) + number % 97}.00",
            "note": "annual plan, paid upfront",
        }
        for index in range(3)
    ]
    prospects = [
        {
            "client": f"Prospect {number}-{index}",
            "amount": f"{5000 + index * 250}.00",
            "close": month,
            "note": "waiting for the budget",
        }
        for index in range(2)
    ]
    return {
        "partner": partner_id(number),
        "month": month,
        "state": state,
        "deals": deals,
        "prospects": prospects,
        "closed_total": "6291.00",
        "owed": "2887.30",
        "pipeline_total": "10250.00",
        "submitted_at": f"{month}-05T14:30:00+00:00",
        "submitted_by": f"user{number}",
    }


Reports = Callable[[int], Iterable[dict[str, Any]]]  # partner number -> its report documents
# partner number, its report documents -> its index of filed months
Index = Callable[[int, Iterable[dict[str, Any]]], dict[str, Any]]


def five_years(number: int) -> list[dict[str, Any]]:
    """This benchmark's reports: 60 filed months."""
    return [monthly_report(number, month) for month in MONTHS]


def export_text(partners: int, reports: Reports, index: Index | None = None) -> Iterator[str]:
    """The export of `partners` partners with their `reports` and the `index` of the months
    they filed (by default: `filings`), piece by piece (the format `Store.import_` reads)."""
    index = filings if index is None else index
    yield '{"version":1,"partners":['
    yield ",".join(json.dumps(partner(n)) for n in range(partners))
    yield '],"members":['
    yield ",".join(
        json.dumps({"username": f"user{n}", "partner": partner_id(n)}) for n in range(partners)
    )
    yield '],"reports":['
    for number in range(partners):
        separator = "," if number else ""
        yield separator + ",".join(json.dumps(doc) for doc in reports(number))
    yield '],"filings":['
    yield ",".join(json.dumps(index(number, reports(number))) for number in range(partners))
    yield '],"audit":[]}'


def filings(number: int, reports: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The index of filed months that /report keeps (every one)."""
    months = sorted(doc["month"] for doc in reports if doc["state"] == "submitted")
    return {"partner": partner_id(number), "months": months, "complete": True}


class Generated:
    """A text source that generates its text as it is read."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self._pieces = pieces
        self._pending = ""

    def read(self, size: int) -> str:
        while len(self._pending) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._pending += piece
        text, self._pending = self._pending[:size], self._pending[size:]
        return text


async def build(
    path: Path, partners: int, reports: Reports = five_years, index: Index | None = None
) -> None:
    """A data directory, made fast by importing a generated export."""
    store = await Store.open(path, SCHEMA)
    await store.import_(Generated(export_text(partners, reports, index)))
    await store.close()


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


async def measure(path: Path, partners: int, samples: int) -> dict[str, float]:
    """Run in a fresh process: start-up, write and read latency, peak RSS."""
    started = time.perf_counter()
    store = await Store.open(path, SCHEMA)
    startup = time.perf_counter() - started
    rng = random.Random(1)
    reads, warm_reads = [], []
    for _ in range(samples):
        number = rng.randrange(partners)
        started = time.perf_counter()
        await store.get("reports", partner_id(number), rng.choice(MONTHS))
        reads.append(time.perf_counter() - started)
        started = time.perf_counter()  # another month of the same partner: from memory
        await store.get("reports", partner_id(number), rng.choice(MONTHS))
        warm_reads.append(time.perf_counter() - started)
    commits, transactions = [], []
    for _ in range(samples):
        number = rng.randrange(partners)
        started = time.perf_counter()
        tx = store.begin(f"user{number}", NOW)
        draft = await tx.get("reports", partner_id(number), NEW_MONTH)
        report = monthly_report(number, NEW_MONTH, "draft")
        report["revision"] = 1 if draft is None else draft["revision"] + 1
        tx.put("reports", report, what="report updated")
        committing = time.perf_counter()
        await tx.commit()
        commits.append(time.perf_counter() - committing)
        transactions.append(time.perf_counter() - started)
    await store.close()
    return {
        "startup_s": startup,
        "commit_p50_ms": percentile(commits, 0.50) * 1000,
        "commit_p95_ms": percentile(commits, 0.95) * 1000,
        "tx_p50_ms": percentile(transactions, 0.50) * 1000,
        "tx_p95_ms": percentile(transactions, 0.95) * 1000,
        "read_p50_ms": percentile(reads, 0.50) * 1000,
        "read_p95_ms": percentile(reads, 0.95) * 1000,
        "warm_p50_ms": percentile(warm_reads, 0.50) * 1000,
        "warm_p95_ms": percentile(warm_reads, 0.95) * 1000,
        "peak_rss_mb": status_mb("VmHWM"),
    }


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc (Linux): `VmRSS` now, `VmHWM` its peak.

    Not `getrusage`'s `ru_maxrss`: Linux carries it over `exec` from the forked parent's
    address space, so a measuring process started by a big parent (the one that built the
    data) would report the parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def size_mb(path: Path) -> float:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file()) / 2**20


def run_size(partners: int, samples: int, repeat: int) -> dict[str, float]:
    """Build a data directory of this size, measure it in fresh processes."""
    folder = Path(tempfile.mkdtemp(prefix="bench-storage-"))
    try:
        started = time.perf_counter()
        asyncio.run(build(folder / "data", partners))
        built = time.perf_counter() - started
        data_mb = size_mb(folder / "data")
        command = [sys.executable, __file__, "--measure", str(folder / "data")]
        command += ["--partners", str(partners), "--samples", str(samples)]
        runs = [
            json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            for _ in range(repeat)
        ]
    finally:
        shutil.rmtree(folder)
    figures = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
    return figures | {"partners": partners, "build_s": built, "data_mb": data_mb}


def table(rows: list[dict[str, float]]) -> str:
    lines = [
        "| partners | reports | data | build (import) | start-up "
        "| write: commit p50 / p95 | write: whole tx p50 / p95 | read p50 / p95 "
        "| read again p50 / p95 | peak RSS |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['partners']:,.0f} | {row['partners'] * len(MONTHS):,.0f} "
            f"| {row['data_mb']:,.0f} MB | {row['build_s']:.1f} s | {row['startup_s']:.3f} s "
            f"| {row['commit_p50_ms']:.2f} / {row['commit_p95_ms']:.2f} ms "
            f"| {row['tx_p50_ms']:.2f} / {row['tx_p95_ms']:.2f} ms "
            f"| {row['read_p50_ms']:.3f} / {row['read_p95_ms']:.3f} ms "
            f"| {row['warm_p50_ms']:.3f} / {row['warm_p95_ms']:.3f} ms "
            f"| {row['peak_rss_mb']:.0f} MB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", default="10,1000,10000", help="comma-separated sizes")
    parser.add_argument("--samples", type=int, default=500, help="writes and reads per size")
    parser.add_argument("--repeat", type=int, default=3, help="measuring processes per size")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(size) for size in args.partners.split(",")]
    if args.measure is not None:
        print(json.dumps(asyncio.run(measure(args.measure, sizes[0], args.samples))))
        return
    rows = []
    for partners in sizes:
        rows.append(run_size(partners, args.samples, args.repeat))
        print(f"{partners} partners done", file=sys.stderr)
    print(table(rows))


if __name__ == "__main__":
    main()
