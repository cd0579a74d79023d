"""Writes to a store until it is killed: the child process of `test_storage_crash.py`.

Usage: python -m tests.storage_writer DATA_DIR. It prints "open" as it starts opening
the store, then carries on after the newest write the store holds, with `WIDTH`
transactions committing at once, so that the journal gets groups of them. After each
commit returns it prints "<number>" and flushes: an acknowledgement (they can come out
of order). Write number n puts report "n" of owner "p<n % 7>", the "seen" document
"m<n>" and the cursor {"room": "lane<n % WIDTH>", "n": n}, each with an audit entry;
when n is a multiple of 3 it also deletes report n - 40.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from datetime import UTC, datetime
from pathlib import Path

from storage import SCHEMA, Store

DELETE_BACK = 40
OWNERS = 7
WIDTH = 8  # transactions committing at the same time


def owner(number: int) -> str:
    return f"p{number % OWNERS}"


def month(number: int) -> str:
    return f"{number:08d}"


async def write_forever(path: Path) -> None:
    print("open", flush=True)
    # A small checkpoint threshold and cache, so that kills land in checkpoints and loads.
    store = await Store.open(path, SCHEMA, checkpoint_every=5, cache_shards=3)
    newest = max([int(doc["id"][1:]) async for doc in store.scan("seen")], default=0)
    numbers = itertools.count(newest + 1)

    async def lane() -> None:
        for number in numbers:
            tx = store.begin("writer", datetime(2024, 1, 1, tzinfo=UTC))
            doc = {"partner": owner(number), "month": month(number), "n": number}
            tx.put("reports", doc | {"pad": "x" * (number % 300)}, what=f"report {number}")
            tx.put("seen", {"id": f"m{number}"}, what=f"seen {number}")
            cursor = {"room": f"lane{number % WIDTH}", "n": number}
            tx.put("cursors", cursor, what=f"cursor {number}")
            gone = number - DELETE_BACK
            if number % 3 == 0 and gone > 0:
                tx.delete("reports", owner(gone), month(gone), what=f"delete {gone}")
            await tx.commit()
            sys.stdout.write(f"{number}\n")
            sys.stdout.flush()

    await asyncio.gather(*(lane() for _ in range(WIDTH)))


if __name__ == "__main__":
    asyncio.run(write_forever(Path(sys.argv[1])))
