"""A backup of a data directory that another process (the running bot) is writing.

The files are copied without taking the directory's lock: the shard folders and audit
segments first (hard links where the file system allows: those files are only ever
replaced, never changed in place), the journal last (copied: it is appended to, and the
copy's recovery may cut its end), and `checkpoint.json` read before and after. If it did
not change, no checkpoint finished meanwhile, so no journal segment the copy needs was
deleted; shard files replaced meanwhile hold newer states of the same transactions, which
replaying the journal's full documents over them settles; a group being appended as the
journal was copied is cut as a torn tail. The copy is then opened like any data directory
(recovery included) and exported: the state of one moment, with every transaction
acknowledged before the backup began. If a checkpoint did finish, the copy is made again.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from storage.collection import Collection
from storage.errors import StorageError
from storage.store import Store

ATTEMPTS = 10


async def backup(data: Path, schema: Sequence[Collection], target: Path) -> None:
    """Write an export of `data` (being written or not) to `target`, atomically."""
    if (data / "importing").exists():
        raise StorageError(f"{data} is being imported into; back it up once that is done")
    # Beside the data, so that hard links work.
    with tempfile.TemporaryDirectory(prefix=".partnerbot-backup-", dir=data.parent) as tmp:
        copy = Path(tmp) / "data"
        for _attempt in range(ATTEMPTS):
            if _copy_consistent(data, copy):
                break
            shutil.rmtree(copy)
        else:
            raise StorageError(f"{data} kept changing under {ATTEMPTS} copies; try again")
        store = await Store.open(copy, schema)
        partial = target.with_name(f".{target.name}.tmp")
        try:
            with partial.open("w", encoding="utf-8") as out:
                await store.export(out)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            await store.close(checkpoint=False)


def _copy_consistent(data: Path, copy: Path) -> bool:
    """Copy `data` to `copy`; False if a checkpoint finished meanwhile (copy again)."""
    if not data.is_dir():
        raise StorageError(f"{data} is not a data directory")
    checkpoint = data / "checkpoint.json"
    before = _read(checkpoint)
    copy.mkdir(parents=True)
    folders = sorted(entry for entry in data.iterdir() if entry.is_dir())
    journal = data / "journal"
    try:
        for folder in [f for f in folders if f != journal] + [journal]:
            (copy / folder.name).mkdir()
            for entry in sorted(folder.iterdir()):
                if not entry.name.startswith("."):  # temporary files
                    _take(entry, copy / folder.name / entry.name, link=folder != journal)
    except FileNotFoundError:
        return False  # a file went away under the copy: a checkpoint or a new shard file
    if before is not None:
        (copy / checkpoint.name).write_bytes(before)
    return _read(checkpoint) == before


def _take(source: Path, target: Path, *, link: bool) -> None:
    if link:
        try:
            os.link(source, target)
            return
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise
    shutil.copyfile(source, target)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
