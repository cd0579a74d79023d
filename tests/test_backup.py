"""A backup taken while another process writes: consistent, and restorable with import."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from storage import SCHEMA, StorageError, Store, backup
from tests.botprocess import ROOT, child_env
from tests.test_storage_crash import Checker


async def test_a_backup_during_a_burst_of_writes_restores_whole(tmp_path: Path) -> None:
    data = tmp_path / "data"
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.storage_writer", str(data),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert writer.stdout is not None
    acked: set[int] = set()

    async def read_acks(count: int) -> None:
        assert writer.stdout is not None
        while len(acked) < count:
            line = await writer.stdout.readline()
            assert line, "the writer stopped by itself"
            if line != b"open\n":
                acked.add(int(line))

    try:
        await read_acks(300)  # past a few checkpoints (every 5 transactions)
        before = set(acked)
        file = tmp_path / "backup.json"
        copying = asyncio.create_task(
            asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "bot.py"), "backup", str(file),
                env=child_env(PARTNERBOT_DATA=str(data)), cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
        )  # fmt: skip
        process = await copying
        await read_acks(len(acked) + 50)  # the writer goes on meanwhile
        out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        assert b"backed up" in out
    finally:
        writer.kill()
        await writer.wait()

    restored = tmp_path / "restored"
    store = await Store.open(restored, SCHEMA)
    with file.open(encoding="utf-8") as stream:
        await store.import_(stream)
    await store.close()
    newest = await Checker(restored).check(before, whole_audit=True)
    assert newest >= max(before)


async def test_a_directory_being_imported_is_not_backed_up(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "importing").write_bytes(b"")
    with pytest.raises(StorageError, match="being imported"):
        await backup(data, SCHEMA, tmp_path / "backup.json")
    assert not (tmp_path / "backup.json").exists()
