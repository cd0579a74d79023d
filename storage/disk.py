"""The files under a data directory (`FileDisk`), and the same interface in memory (`MemoryDisk`).

Every method here is blocking; the store calls them in a worker thread. Every write
but the journal's replaces its file atomically (see `atomic_write`); the journal appends
(see `storage.journal`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tinydb.storages import MemoryStorage, Storage

from storage.collection import Collection, file_stem, shard_of_stem
from storage.documents import Doc, Docs
from storage.errors import StorageError
from storage.files import atomic_write, dump_json, fsync_dir, load_json, make_dir, open_private
from storage.journal import Journal, JournalRecord

log = logging.getLogger(__name__)
_AUDIT_NAME = re.compile(r"(\d{16})\.jsonl")


class AtomicJSONStorage(Storage):
    """A TinyDB storage that writes atomically (TinyDB's JSONStorage overwrites in place).

    The file holds TinyDB's layout, {"<table>": {"<doc id>": doc}}; so a shard can be
    opened with `TinyDB(path, storage=AtomicJSONStorage)` for a look. A database without
    documents is no file at all.
    """

    def __init__(self, path: str | os.PathLike[str], *, sync_folder: bool = True) -> None:
        super().__init__()
        self.path = Path(path)
        self._sync_folder = sync_folder

    def read(self) -> dict[str, Docs] | None:
        try:
            data = load_json(self.path)
        except FileNotFoundError:
            return None
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise StorageError(f"{self.path} is not a TinyDB file")
        return data

    def write(self, data: dict[str, Docs]) -> None:
        if any(data.values()):
            atomic_write(self.path, dump_json(data), sync_folder=self._sync_folder)
        elif self.path.exists():
            self.path.unlink()
            if self._sync_folder:
                fsync_dir(self.path.parent)


@dataclass(frozen=True)
class Recovery:
    """What `Disk.open` found: where the shard files stand and what is left to replay."""

    checkpoint: int
    journal: list[JournalRecord]  # the transactions after the checkpoint, in order
    audit: list[int]


class Disk(Protocol):
    """Where a store keeps its shards, journal, audit segments and checkpoint mark."""

    def open(self) -> Recovery: ...
    def close(self) -> None: ...
    def shard_names(self, collection: Collection) -> list[str]: ...
    def shard_size(self, collection: Collection, shard: str) -> int: ...
    def read_shard(self, collection: Collection, shard: str) -> Docs | None: ...
    def write_shards(self, shards: list[tuple[Collection, str, Docs]]) -> None: ...
    def write_journal(self, records: list[JournalRecord]) -> None: ...
    def write_audit(self, last: int, entries: list[Doc]) -> None: ...
    def read_audit(self, last: int) -> list[Doc]: ...
    def write_checkpoint(self, seq: int) -> None: ...
    def start_import(self) -> None: ...
    def finish_import(self) -> None: ...
    def abort_import(self) -> None: ...


class FileDisk:
    """A data directory: shard files per collection, journal, audit segments, checkpoint."""

    def __init__(self, root: Path, schema: Iterable[Collection]) -> None:
        self.root = root
        self._schema = list(schema)
        self._journal = Journal(root / "journal")
        self._audit = root / "audit"
        self._checkpoint = root / "checkpoint.json"
        self._importing = root / "importing"
        self._lock_fd: int | None = None

    def __str__(self) -> str:
        return str(self.root)

    def open(self) -> Recovery:
        """Take the directory for this process, clean up after a crash, say what to replay."""
        folders = [self._journal.folder, self._audit, *(self._folder(c) for c in self._schema)]
        for folder in [self.root, *folders]:
            make_dir(folder)
        if self.root.stat().st_mode & 0o077:
            log.warning(
                "%s can be read by other users (mode %o): chmod 700 it; the files the bot"
                " writes are 0600",
                self.root,
                self.root.stat().st_mode & 0o777,
            )
        fsync_dir(self.root.parent)
        fsync_dir(self.root)
        self._lock()
        if self._importing.exists():
            raise StorageError(
                f"an import into {self.root} was interrupted: empty the directory and import again"
            )
        for folder in [self.root, *folders]:
            _remove_temporary_files(folder)
        checkpoint = self._read_checkpoint()
        journal = self._journal.recover(checkpoint)
        audit = self._numbered(self._audit, _AUDIT_NAME)
        # Audit segments after the checkpoint come from one that was interrupted, and
        # their entries are still in the journal.
        self._remove([self._audit_path(s) for s in audit if s > checkpoint])
        return Recovery(checkpoint, journal, [seq for seq in audit if seq <= checkpoint])

    def close(self) -> None:
        self._journal.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def shard_names(self, collection: Collection) -> list[str]:
        names = []
        folder = self._folder(collection)
        for name in os.listdir(folder):
            if _is_temporary(name):
                continue
            if not name.endswith(".json"):
                raise StorageError(f"unexpected file {folder / name}")
            shard = shard_of_stem(name.removesuffix(".json"))
            if not collection.owned and shard not in collection.shard_names():
                raise StorageError(f"unexpected file {folder / name}")
            names.append(shard)
        return names

    def shard_size(self, collection: Collection, shard: str) -> int:
        """The shard file's size in bytes (0 when there is none)."""
        try:
            return self._shard_path(collection, shard).stat().st_size
        except FileNotFoundError:
            return 0

    def read_shard(self, collection: Collection, shard: str) -> Docs | None:
        path = self._shard_path(collection, shard)
        data = AtomicJSONStorage(path).read()
        if data is None:
            return None
        if set(data) - {collection.name}:
            raise StorageError(f"{path} holds tables other than {collection.name!r}")
        docs: Docs = data.get(collection.name, {})
        for key, doc in docs.items():
            if not isinstance(doc, dict) or not collection.is_key_of(key, doc):
                raise StorageError(f"{path}: document {key!r} does not have that key")
            if collection.shard_of(key) != shard:
                raise StorageError(f"{path}: document {key!r} belongs in another shard")
        return docs

    def write_shards(self, shards: list[tuple[Collection, str, Docs]]) -> None:
        """Replace each shard's file atomically; then fsync each folder once."""
        for collection, shard, docs in shards:
            path = self._shard_path(collection, shard)
            AtomicJSONStorage(path, sync_folder=False).write({collection.name: docs})
        for collection in {collection for collection, _, _ in shards}:
            fsync_dir(self._folder(collection))

    def write_journal(self, records: list[JournalRecord]) -> None:
        """Append the transactions as one group: one write, one fdatasync."""
        self._journal.append(records)

    def write_audit(self, last: int, entries: list[Doc]) -> None:
        lines = b"".join(dump_json(entry) + b"\n" for entry in entries)
        atomic_write(self._audit_path(last), lines)

    def read_audit(self, last: int) -> list[Doc]:
        path = self._audit_path(last)
        entries = []
        for number, line in enumerate(path.read_bytes().splitlines(), start=1):
            try:
                entries.append(json.loads(line))
            except ValueError as error:
                raise StorageError(f"{path} line {number} is corrupt: {error}") from error
        return entries

    def write_checkpoint(self, seq: int) -> None:
        """Record that the shard files hold every transaction up to `seq`; drop their journal."""
        atomic_write(self._checkpoint, dump_json({"seq": seq}))
        self._journal.drop_through(seq)

    def start_import(self) -> None:
        atomic_write(self._importing, b"")

    def finish_import(self) -> None:
        self._remove([self._importing])

    def abort_import(self) -> None:
        """Remove what a failed import wrote; the directory held no data before it."""
        written = [self._checkpoint, *self._audit.iterdir()]
        for collection in self._schema:
            written += self._folder(collection).iterdir()
        self._remove(written)
        self.finish_import()

    def _lock(self) -> None:
        fd = open_private(self.root / "lock", os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StorageError(f"{self.root} is in use by another process") from None
        self._lock_fd = fd

    def _read_checkpoint(self) -> int:
        try:
            data = load_json(self._checkpoint)
        except FileNotFoundError:
            return 0
        if not isinstance(data, dict) or not isinstance(data.get("seq"), int):
            raise StorageError(f"{self._checkpoint} is corrupt: {data!r}")
        seq: int = data["seq"]
        return seq

    def _numbered(self, folder: Path, pattern: re.Pattern[str]) -> list[int]:
        """The sequence numbers that name the files of `folder`, in order."""
        numbers = []
        for name in os.listdir(folder):
            match = pattern.fullmatch(name)
            if match is None:
                raise StorageError(f"unexpected file {folder / name}")
            numbers.append(int(match[1]))
        return sorted(numbers)

    def _remove(self, paths: list[Path]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)
        for folder in {path.parent for path in paths}:
            fsync_dir(folder)

    def _folder(self, collection: Collection) -> Path:
        return self.root / collection.name

    def _shard_path(self, collection: Collection, shard: str) -> Path:
        return self._folder(collection) / f"{file_stem(shard)}.json"

    def _audit_path(self, last: int) -> Path:
        return self._audit / f"{last:016d}.jsonl"


class MemoryDisk:
    """The in-memory store's stand-in for a data directory: TinyDB MemoryStorage per shard."""

    def __init__(self) -> None:
        self._shards: dict[tuple[str, str], MemoryStorage] = {}
        self._audit: dict[int, list[Doc]] = {}

    def __str__(self) -> str:
        return "the in-memory store"

    def open(self) -> Recovery:
        return Recovery(checkpoint=0, journal=[], audit=[])

    def close(self) -> None:
        """Nothing to release."""

    def shard_names(self, collection: Collection) -> list[str]:
        return [name for kind, name in self._shards if kind == collection.name]

    def shard_size(self, collection: Collection, shard: str) -> int:
        return 0

    def read_shard(self, collection: Collection, shard: str) -> Docs | None:
        storage = self._shards.get((collection.name, shard))
        data = None if storage is None else storage.read()
        return None if data is None else dict(data[collection.name])

    def write_shards(self, shards: list[tuple[Collection, str, Docs]]) -> None:
        for collection, shard, docs in shards:
            ident = (collection.name, shard)
            if not docs:
                self._shards.pop(ident, None)
                continue
            if ident not in self._shards:
                self._shards[ident] = MemoryStorage()  # type: ignore[no-untyped-call]
            self._shards[ident].write({collection.name: docs})

    def write_journal(self, records: list[JournalRecord]) -> None:
        """Nothing outlives the process, so nothing to make durable."""

    def write_audit(self, last: int, entries: list[Doc]) -> None:
        self._audit[last] = list(entries)

    def read_audit(self, last: int) -> list[Doc]:
        return self._audit[last]

    def write_checkpoint(self, seq: int) -> None:
        """The shards in MemoryStorage are the checkpoint."""

    def start_import(self) -> None:
        """An import into memory cannot be interrupted by a crash that leaves anything."""

    def finish_import(self) -> None:
        """See `start_import`."""

    def abort_import(self) -> None:
        self._shards.clear()
        self._audit.clear()


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def _remove_temporary_files(folder: Path) -> None:
    for name in os.listdir(folder):
        if _is_temporary(name):
            (folder / name).unlink()
