"""SIGKILL a writer at random moments; every acknowledged write must survive each kill."""

from __future__ import annotations

import asyncio
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

from storage import SCHEMA, Store
from tests.storage_writer import DELETE_BACK, WIDTH, month

KILLS = 200
ROOT = Path(__file__).resolve().parent.parent


async def run_writer_and_kill(data: Path, acks: int) -> list[int]:
    """Start a writer, read `acks` acknowledgements, SIGKILL it; the numbers it acked.

    With no acknowledgement to wait for, the kill comes as the writer opens the store.
    """
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.storage_writer",
        str(data),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert writer.stdout is not None and writer.stderr is not None
    lines = []
    try:
        for _ in range(acks + 1):
            line = await writer.stdout.readline()
            if not line:
                error = await writer.stderr.read()
                pytest.fail(f"the writer stopped by itself:\n{error.decode()}")
            lines.append(line)
    finally:
        writer.kill()
        await writer.wait()
    assert lines[0] == b"open\n"
    return [int(line) for line in lines[1:]]


class Checker:
    """Opens the store after each kill and checks it against what was acknowledged."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.audit: Counter[str] = Counter()  # entries up to transaction `self.seq`
        self.seq = 0

    async def check(self, acked: set[int], *, whole_audit: bool) -> int:
        """The store holds every acknowledged write, and maybe some that were not (the
        writer goes on between the last acknowledgement read and the kill landing); every
        write it holds is whole, and the others left no trace. The newest it holds."""
        # No checkpoint at open or close: the next writer recovers from the kill's files.
        store = await Store.open(self.data, SCHEMA, checkpoint_every=10**9)
        try:
            reports = {doc["n"] async for doc in store.scan("reports")}
            held = {int(doc["id"][1:]) async for doc in store.scan("seen")}
            cursors = {doc["room"]: doc["n"] async for doc in store.scan("cursors")}
            if whole_audit:
                self.audit, self.seq = Counter(), 0
            self.audit.update([entry["what"] async for entry in store.audit(self.seq)])
            self.seq = store.stats.seq
        finally:
            await store.close(checkpoint=False)
        lost = acked - held
        assert not lost, f"acknowledged writes are lost: {sorted(lost)[:10]}"
        newest = max(held, default=0)
        for lane, number in cursors.items():
            assert number in held and lane == f"lane{number % WIDTH}", f"cursor {lane}"
        for number in range(1, newest + 1):
            self.check_write(number, held, reports)
        return newest

    def check_write(self, number: int, held: set[int], reports: set[int]) -> None:
        written = number in held
        deleted_by = number + DELETE_BACK
        deleted = deleted_by % 3 == 0 and deleted_by in held
        assert (number in reports) == (written and not deleted), f"report {month(number)}"
        for what in ["report", "seen", "cursor"]:
            assert self.audit[f"{what} {number}"] == written, f"audit of {what} {number}"
        gone = number - DELETE_BACK
        if number % 3 == 0 and gone > 0:
            assert self.audit[f"delete {gone}"] == written, f"audit of delete {gone}"


@pytest.mark.slow
async def test_sigkill_at_random_moments_loses_no_acknowledged_write(tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    checker = Checker(tmp_path / "data")
    last = 0
    for kill in range(KILLS):
        # Some kills come before the writer is even done opening (during recovery).
        acked = await run_writer_and_kill(checker.data, acks=rng.choice([0, *range(1, 40)]))
        # The writer carries on after the newest write, acknowledged or not, in groups.
        assert len(set(acked)) == len(acked), f"seed {seed}"
        assert all(number > last for number in acked), f"seed {seed}"
        try:
            last = await checker.check(set(acked), whole_audit=kill % 20 == 19)
        except AssertionError as error:
            raise AssertionError(f"after kill {kill + 1} (seed {seed}): {error}") from error
    assert last > KILLS  # the writers got somewhere
