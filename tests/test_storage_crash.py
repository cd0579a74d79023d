"""SIGKILL a writer at random moments; every acknowledged write must survive each kill."""

from __future__ import annotations

import asyncio
import random
import sys
from collections import Counter
from pathlib import Path

import pytest

from storage import SCHEMA, Store
from tests.storage_writer import DELETE_BACK, month, owner

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

    async def check(self, last: int, *, whole_audit: bool) -> int:
        """The store holds writes 1..`last`, and maybe a few after it (the writer goes on
        between the last acknowledgement read and the kill landing: on a busy machine, more
        than one); every write it holds is whole. The newest it holds."""
        # No checkpoint at open or close: the next writer recovers from the kill's files.
        store = await Store.open(self.data, SCHEMA, checkpoint_every=10**9)
        try:
            cursor = await store.get("cursors", "last")
            reports = {doc["n"] async for doc in store.scan("reports")}
            seen = {doc["id"] async for doc in store.scan("seen")}
            if whole_audit:
                self.audit, self.seq = Counter(), 0
            self.audit.update([entry["what"] async for entry in store.audit(self.seq)])
            self.seq = store.stats.seq
        finally:
            await store.close(checkpoint=False)
        newest = 0 if cursor is None else cursor["n"]
        assert newest >= last, "an acknowledged write is lost"
        assert max(reports, default=0) == newest
        assert len(seen) == newest
        for number in range(1, newest + 1):
            self.check_write(number, newest, reports, seen)
        return newest

    def check_write(self, number: int, newest: int, reports: set[int], seen: set[str]) -> None:
        deleted_by = number + DELETE_BACK
        deleted = deleted_by % 3 == 0 and deleted_by <= newest
        assert (number in reports) != deleted, f"report {month(number)} of {owner(number)}"
        assert f"m{number}" in seen
        for what in ["report", "seen", "cursor"]:
            assert self.audit[f"{what} {number}"] == 1, f"audit of {what} {number}"
        assert self.audit[f"delete {number}"] == deleted, f"audit of delete {number}"


@pytest.mark.slow
async def test_sigkill_at_random_moments_loses_no_acknowledged_write(tmp_path: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    checker = Checker(tmp_path / "data")
    last = 0
    for kill in range(KILLS):
        # Some kills come before the writer is even done opening (during recovery).
        acked = await run_writer_and_kill(checker.data, acks=rng.choice([0, *range(1, 25)]))
        if acked:
            # The writer carries on after the newest write, acknowledged or not.
            assert acked[0] - last in (1, 2), f"seed {seed}"
            assert acked == list(range(acked[0], acked[-1] + 1)), f"seed {seed}"
            last = acked[-1]
        try:
            last = await checker.check(last, whole_audit=kill % 20 == 19)
        except AssertionError as error:
            raise AssertionError(f"after kill {kill + 1} (seed {seed}): {error}") from error
    assert last > KILLS  # the writers got somewhere
