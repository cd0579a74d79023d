"""The journal: committed transactions appended to log files, one fdatasync a group.

`journal/<first seq>.log` holds groups of transactions, one line a group: the CRC-32 of
the payload in hex, a space, the payload (a JSON list of records), a newline. A group is
appended with one write and one `fdatasync`; when that returns, every transaction in it
is acknowledged. A new segment file is started after each checkpoint (its folder is
fsynced with its first group), so that the segments a checkpoint covers can be deleted.

A crash can leave the last group half written (any of its bytes, not only a prefix). On
opening, the last segment is read up to its first line that does not check out, and cut
there; a bad line followed by a good one is not a torn write but damage, and an error.
Files `journal/<seq>.json` (one transaction each, as earlier versions wrote them) are
still read, and deleted once a checkpoint covers them.
"""

from __future__ import annotations

import json
import os
import re
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.documents import Doc
from storage.errors import StorageError
from storage.files import dump_json, fsync_dir, open_private

_SEGMENT = re.compile(r"(\d{16})\.log")
_SINGLE = re.compile(r"(\d{16})\.json")  # one transaction a file: the format before the log


@dataclass(frozen=True)
class JournalRecord:
    """One committed transaction: the full documents it wrote (None: deleted), its audit."""

    seq: int
    writes: list[tuple[str, str, Doc | None]]
    audit: list[Doc]

    def to_json(self) -> dict[str, Any]:
        writes = [{"collection": c, "key": k, "doc": doc} for c, k, doc in self.writes]
        return {"seq": self.seq, "writes": writes, "audit": self.audit}

    @classmethod
    def parse(cls, data: Any, origin: object) -> JournalRecord:
        """The record in `data`, read from `origin`."""
        try:
            writes = [(w["collection"], w["key"], w["doc"]) for w in data["writes"]]
            record = cls(data["seq"], writes, data["audit"])
        except (KeyError, TypeError) as error:
            raise StorageError(f"{origin} is malformed: {error!r}") from error
        well_formed = (
            isinstance(record.seq, int)
            and all(isinstance(c, str) and isinstance(k, str) for c, k, _ in writes)
            and all(doc is None or isinstance(doc, dict) for _, _, doc in writes)
            and isinstance(record.audit, list)
            and all(isinstance(entry, dict) for entry in record.audit)
        )
        if not well_formed:
            raise StorageError(f"{origin} is malformed")
        return record


def encode_group(records: list[JournalRecord]) -> bytes:
    """One line of the log: CRC, space, the records as compact JSON, newline."""
    payload = dump_json([record.to_json() for record in records])
    return b"%08x " % zlib.crc32(payload) + payload + b"\n"


def decode_group(line: bytes, origin: object) -> list[JournalRecord] | None:
    """The records of one line of the log, or None if the line does not check out."""
    crc, _, payload = line.partition(b" ")
    try:
        if len(crc) != 8 or int(crc, 16) != zlib.crc32(payload):
            return None
        items = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(items, list) or not items:
        return None
    return [JournalRecord.parse(item, origin) for item in items]


class Journal:
    """The journal folder of a data directory. Its methods block: call them in a thread."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()  # appends and checkpoints come from different threads
        self._segments: list[int] = []  # the first seq of each segment file, ascending
        self._singles: list[int] = []  # files of the earlier one-transaction format
        self._fd: int | None = None  # the segment being appended to
        self._last = 0  # the last seq appended

    def recover(self, checkpoint: int) -> list[JournalRecord]:
        """The transactions after `checkpoint`, in order, with no gap; cuts a torn tail."""
        for name in os.listdir(self.folder):
            if match := _SEGMENT.fullmatch(name):
                self._segments.append(int(match[1]))
            elif match := _SINGLE.fullmatch(name):
                self._singles.append(int(match[1]))
            else:
                raise StorageError(f"unexpected file {self.folder / name}")
        self._segments.sort()
        self._singles.sort()
        records = [self._read_single(seq) for seq in self._singles if seq > checkpoint]
        for index, first in enumerate(list(self._segments)):
            records += self._read_segment(first, last=index == len(self._segments) - 1)
        pending = [record for record in records if record.seq > checkpoint]
        for expected, record in enumerate(pending, start=checkpoint + 1):
            if record.seq != expected:
                raise StorageError(f"{self.folder}: transaction {expected} is missing")
        self._last = pending[-1].seq if pending else checkpoint
        return pending

    def append(self, records: list[JournalRecord]) -> None:
        """Write `records` as one group and make it durable (one fdatasync)."""
        line = encode_group(records)
        with self._lock:
            created = self._fd is None
            if self._fd is None:
                first = records[0].seq
                path = self._segment_path(first)
                self._fd = open_private(path, os.O_WRONLY | os.O_EXCL | os.O_APPEND)
                self._segments.append(first)
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view) :]
            os.fdatasync(self._fd)
            if created:
                fsync_dir(self.folder)
            self._last = records[-1].seq

    def drop_through(self, seq: int) -> None:
        """The shard files hold every transaction up to `seq`: delete the files that hold
        nothing after it, and start a new segment with the next append."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            # A segment ends where the next begins; the newest ends with the last append.
            ends = [after - 1 for after in self._segments[1:]] + [self._last]
            doomed = [
                self._segment_path(first)
                for first, end in zip(self._segments, ends, strict=False)
                if end <= seq
            ]
            doomed += [self._single_path(single) for single in self._singles if single <= seq]
            if not doomed:
                return
            for path in doomed:
                path.unlink(missing_ok=True)
            gone = {path.name for path in doomed}
            self._segments = [s for s in self._segments if self._segment_path(s).name not in gone]
            self._singles = [s for s in self._singles if s > seq]
            fsync_dir(self.folder)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _read_segment(self, first: int, *, last: bool) -> list[JournalRecord]:
        path = self._segment_path(first)
        data = path.read_bytes()
        records: list[JournalRecord] = []
        offset = 0
        while offset < len(data):
            end = data.find(b"\n", offset)
            group = None if end < 0 else decode_group(data[offset:end], path)
            if group is None:
                if not last or _holds_a_group(data[offset:], path):
                    raise StorageError(f"{path} is corrupt at byte {offset}")
                self._cut(path, offset)  # the torn tail of the last, unacknowledged group
                break
            records += group
            offset = end + 1
        if not records and last:
            path.unlink()
            self._segments.remove(first)
            fsync_dir(self.folder)
        return records

    def _cut(self, path: Path, size: int) -> None:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, size)
            os.fsync(fd)
        finally:
            os.close(fd)

    def _read_single(self, seq: int) -> JournalRecord:
        path = self._single_path(seq)
        try:
            data = json.loads(path.read_bytes())
        except ValueError as error:
            raise StorageError(f"{path} is corrupt: {error}") from error
        record = JournalRecord.parse(data, path)
        if record.seq != seq:
            raise StorageError(f"{path} holds transaction {record.seq}")
        return record

    def _segment_path(self, first: int) -> Path:
        return self.folder / f"{first:016d}.log"

    def _single_path(self, seq: int) -> Path:
        return self.folder / f"{seq:016d}.json"


def _holds_a_group(data: bytes, origin: object) -> bool:
    """True if a whole, good group follows the first line of `data`."""
    lines = data.split(b"\n")[1:-1]  # after the bad line; the part after the last newline is torn
    return any(decode_group(line, origin) is not None for line in lines)
