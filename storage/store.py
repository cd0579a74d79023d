"""The store and its transactions: see the package docstring for the files and the protocol."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.collection import Collection
from storage.disk import Disk, FileDisk, MemoryDisk
from storage.documents import Doc, Docs, copy_doc, normalize
from storage.errors import Conflict, StorageError
from storage.journal import JournalRecord
from storage.shards import Shard, ShardId, Shards
from storage.threads import IOThreads
from storage.transfer import TextSink, TextSource, read_export

log = logging.getLogger(__name__)

#: A predicate on documents for scans, e.g. `tinydb.Query().state == "submitted"`.
Where = Callable[[Mapping[str, Any]], bool]

EXPORT_VERSION = 1
_CONFLICT_WINDOW = 1024  # commits remembered to check transactions against
_AUDIT_SEGMENT = 1000  # audit entries per segment file written by an import
_GATHER_STEPS = 6  # event-loop steps a busy writer gives acknowledged commits to come back

_Ident = tuple[str, str]  # (collection, key)
_Op = tuple[Collection, str, Doc | None, str | None]  # (collection, key, doc, what)


@dataclass
class _Group:
    """Transactions validated one after the other, written to the journal together."""

    records: list[JournalRecord] = field(default_factory=list)
    shards: list[dict[ShardId, Shard]] = field(default_factory=list)  # pinned, one per record
    written: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


@dataclass(frozen=True)
class StoreStats:
    """Where the store stands, for logs and /metrics."""

    seq: int  # the last committed transaction
    checkpoint_seq: int  # the last transaction the shard files hold
    cached_shards: int  # owned shards in memory
    dirty_shards: int  # shards ahead of their file


class Store:
    """The one writer of a data directory, or of memory; open it with `Store.open`."""

    def __init__(
        self, disk: Disk, schema: Sequence[Collection], *, checkpoint_every: int, cache_shards: int
    ) -> None:
        names = [collection.name for collection in schema]
        if len(set(names)) != len(names):
            raise ValueError(f"collection names repeat: {names}")
        if checkpoint_every < 1 or cache_shards < 1:
            raise ValueError("checkpoint_every and cache_shards must be at least 1")
        self._disk = disk
        self._io = IOThreads()
        self._collections = {collection.name: collection for collection in schema}
        self._shards = Shards(disk, self._io, cache_shards)
        self._checkpoint_every = checkpoint_every
        self._lock = asyncio.Lock()  # the one writer: commits, checkpoint snapshots, export
        self._checkpoint_lock = asyncio.Lock()  # one checkpoint at a time
        self._seq = 0  # the last transaction applied in memory (visible to reads)
        self._assigned = 0  # the last transaction validated (maybe still being written)
        self._checkpoint_seq = 0
        # Validated transactions not applied yet: the group being written, the next group.
        self._unapplied: dict[_Ident, tuple[int, Doc | None]] = {}
        self._group: _Group | None = None  # the next group, filling while one is written
        self._last_written: asyncio.Future[None] | None = None  # of the newest group
        self._writer: asyncio.Task[None] | None = None
        # `exclusive`: while a task holds it, others' commits wait at the gate.
        self._exclusive = asyncio.Lock()
        self._exclusive_owner: asyncio.Task[Any] | None = None
        self._gate = asyncio.Event()
        self._gate.set()
        self._committing = 0  # commits past the gate and not finished
        self._quiet = asyncio.Event()  # set when `_committing` is 0
        self._quiet.set()
        self._written: deque[tuple[int, frozenset[tuple[str, str, str]]]] = deque()
        self._conflict_floor = 0  # transactions that began before this cannot be checked
        self._audit_segments: list[int] = []
        self._audit_pending: list[Doc] = []  # entries not in a segment file yet
        self._checkpointing: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self._failed = asyncio.Event()  # set with `_failure`
        self._closing = False

    @classmethod
    async def open(
        cls,
        path: Path | None,
        schema: Sequence[Collection],
        *,
        checkpoint_every: int = 500,
        cache_shards: int = 256,
    ) -> Store:
        """Open the data directory `path` (created if missing), or a store in memory if None.

        A checkpoint runs when more than `checkpoint_every` transactions wait in the journal
        or more than `cache_shards` owned shards are ahead of their files; at most
        `cache_shards` owned shards that match their files stay in memory.
        """
        disk: Disk = MemoryDisk() if path is None else FileDisk(path, schema)
        store = cls(disk, schema, checkpoint_every=checkpoint_every, cache_shards=cache_shards)
        try:
            await store._recover()
        except BaseException:
            await store._release()
            raise
        return store

    # Reading

    def begin(self, actor: str, now: datetime) -> Transaction:
        """A transaction on behalf of `actor`; `now` (with its zone) dates its audit entries."""
        self._check_usable()
        if now.utcoffset() is None:
            raise ValueError(f"now must carry a time zone, got {now!r}")
        return Transaction(self, actor, now)

    async def get(self, collection: str, *key: str) -> Doc | None:
        """A copy of the document with this key (one value per key field), or None."""
        self._check_open()
        kind = self._collection(collection)
        return await self._get(kind, kind.make_key(key))

    def scan(
        self, collection: str, owner: str | None = None, where: Where | None = None
    ) -> AsyncIterator[Doc]:
        """Copies of the documents (of one owner, if given) that `where` accepts.

        They come shard by shard, each shard in key order: all of one owner's documents
        are in key order; callers that need one order across shards sort.
        """
        self._check_open()
        kind = self._collection(collection)
        return self._scan(kind, self._owner_shard(kind, owner), where, {})

    def view(
        self, collection: str, owner: str | None = None, where: Where | None = None
    ) -> AsyncIterator[Mapping[str, Any]]:
        """As `scan`, but the stored documents themselves, not copies: for reading many
        documents fast. Read-only: the store's own state, which nobody may change."""
        self._check_open()
        kind = self._collection(collection)
        return self._scan(kind, self._owner_shard(kind, owner), where, {}, copy=False)

    async def count(self, collection: str, owner: str | None = None) -> int:
        """How many documents the collection (or one owner's part of it) holds.

        For an owned collection without an owner, this reads every shard.
        """
        self._check_open()
        kind = self._collection(collection)
        shard = self._owner_shard(kind, owner)
        if shard is not None:
            return len((await self._shards.get(kind, shard)).docs)
        if not kind.owned:
            return sum(len(bucket.docs) for bucket in self._shards.resident(kind))
        total = 0
        for name in await self._shard_names(kind, None, {}):
            total += len(await self._shards.peek(kind, name))
        return total

    async def audit(self, since_seq: int | None = None) -> AsyncIterator[Doc]:
        """The audit entries, oldest first; only those of transactions after `since_seq`."""
        self._check_open()
        async for entries in self._audit_chunks(since_seq):
            for entry in entries:
                yield entry

    @property
    def failure(self) -> BaseException | None:
        """The error of the write that failed, after which the store takes no more work
        (see `_check_failure`); None while every write has succeeded."""
        return self._failure

    async def failed(self) -> BaseException:
        """Wait until a write fails; its error. (What was acknowledged before is on disk;
        open the directory again, in a new process, once the disk is fixed.)"""
        await self._failed.wait()
        assert self._failure is not None
        return self._failure

    @property
    def stats(self) -> StoreStats:
        return StoreStats(
            seq=self._seq,
            checkpoint_seq=self._checkpoint_seq,
            cached_shards=self._shards.cached,
            dirty_shards=len(self._shards.dirty),
        )

    # Life cycle

    async def checkpoint(self) -> None:
        """Write the commits under way, then the shards that are ahead of their files (it
        also runs by itself)."""
        self._check_open()
        if self._last_written is not None:
            await asyncio.wait([self._last_written])  # written, or failed: not raised here
        await self._checkpoint()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Run alone: other tasks' commits wait until this is left, and the commits under
        way are written before it is entered. So a transaction begun inside cannot
        conflict: the way to make progress after a conflict, whatever the load."""
        async with self._exclusive:
            self._exclusive_owner = asyncio.current_task()
            self._gate.clear()
            try:
                await self._quiet.wait()
                yield
            finally:
                self._exclusive_owner = None
                self._gate.set()

    async def close(self, *, checkpoint: bool = True) -> None:
        """Finish the work under way, checkpoint unless told not to, release the directory.

        Without the checkpoint the next open replays the journal, as after a crash.
        """
        if self._closing:
            return
        self._closing = True
        try:
            await self._quiet.wait()  # the commits under way are written
            if self._checkpointing is not None:
                await self._checkpointing
            if checkpoint and self._failure is None:
                await self._checkpoint()
            else:
                async with self._checkpoint_lock, self._lock:
                    pass  # work under way finishes before the directory is let go
        finally:
            await self._release()
        self._check_failure()

    # Export and import

    async def export(self, out: TextSink) -> None:
        """Write all data to `out` as one JSON object, shard by shard (SPEC §5).

        {"version": 1, "<collection>": [doc, ...] for each collection, "audit": [...]}.
        Commits wait until it is done, so that it is the state of one moment.
        """
        self._check_open()
        async with self._lock:
            await _write(out, f'{{"version":{EXPORT_VERSION}')
            for kind in self._collections.values():
                await _write_list(out, kind.name, self._export_chunks(kind))
            await _write_list(out, "audit", self._audit_chunks(None))
            await _write(out, "}\n")

    async def import_(self, source: TextSource) -> None:
        """Load an export into this store, which must hold no data yet: all or nothing."""
        self._check_usable()
        async with self._checkpoint_lock, self._lock:
            held = await self._holdings()
            if held:
                raise StorageError(f"cannot import into {self._disk}: it holds {', '.join(held)}")
            await self._durably(self._disk.start_import)
            try:
                last = await self._load_export(source)
            except BaseException:
                self._shards.clear()
                self._audit_segments.clear()
                await self._io.run(self._disk.abort_import)
                raise
            await self._durably(self._disk.finish_import)
            self._seq = self._assigned = self._checkpoint_seq = self._conflict_floor = last

    # Inside: reads

    def _collection(self, name: str) -> Collection:
        try:
            return self._collections[name]
        except KeyError:
            raise ValueError(f"unknown collection {name!r}") from None

    def _owner_shard(self, kind: Collection, owner: str | None) -> str | None:
        return None if owner is None else kind.owner_shard(owner)

    async def _get(self, kind: Collection, key: str) -> Doc | None:
        doc = (await self._shards.get(kind, kind.shard_of(key))).docs.get(key)
        return None if doc is None else copy_doc(doc)

    async def _scan(
        self,
        kind: Collection,
        shard: str | None,
        where: Where | None,
        overlay: Mapping[_Ident, Doc | None],
        *,
        copy: bool = True,
    ) -> AsyncIterator[Doc]:
        """Matching documents, with `overlay` (a transaction's writes) over the stored ones;
        copies of them unless not `copy` (`view`)."""
        mine = {key: doc for (name, key), doc in overlay.items() if name == kind.name}
        for name in await self._shard_names(kind, shard, mine):
            if shard is None:
                docs = await self._shards.peek(kind, name)
            else:
                docs = dict((await self._shards.get(kind, name)).docs)
            for key, doc in mine.items():
                if kind.shard_of(key) == name:
                    _put_or_pop(docs, key, doc)
            for key in sorted(docs):
                if where is None or where(docs[key]):
                    yield copy_doc(docs[key]) if copy else docs[key]
            await asyncio.sleep(0)  # one shard per step of the event loop

    async def _shard_names(
        self, kind: Collection, shard: str | None, mine: Mapping[str, Doc | None]
    ) -> list[str]:
        if shard is not None:
            return [shard]
        if not kind.owned:
            return kind.shard_names()
        on_disk = await self._io.run(self._disk.shard_names, kind)
        new = {kind.shard_of(key) for key in mine}
        return sorted({*on_disk, *self._shards.cached_names(kind), *new})

    async def _audit_chunks(self, since_seq: int | None) -> AsyncIterator[list[Doc]]:
        """The audit entries after `since_seq` (all if None), one segment at a time."""
        # Segment files never change once written, so these two lists are one moment's.
        segments, pending = list(self._audit_segments), list(self._audit_pending)
        after = -1 if since_seq is None else since_seq
        for last in segments:
            if last > after:
                entries = await self._io.run(self._disk.read_audit, last)
                yield [copy_doc(entry) for entry in entries if entry["seq"] > after]
        yield [copy_doc(entry) for entry in pending if entry["seq"] > after]

    # Inside: writes

    async def _commit(self, tx: Transaction, privileged: bool) -> int:
        """Validate `tx`, queue it in the next group, and wait until that group is written
        and applied: the acknowledgement. Transactions that arrive while a group is being
        written form the next group, written with one fsync."""
        while not privileged and not self._gate.is_set():
            await self._gate.wait()
        self._committing += 1
        self._quiet.clear()
        try:
            async with self._lock:
                self._check_usable()
                self._validate(tx)
                if not tx._ops:
                    return self._seq
                shards = await self._pin([(kind, key) for kind, key, _, _ in tx._ops])
                record = self._record(tx, self._assigned + 1, shards)
                self._assigned = record.seq
                self._remember(record, shards)
                if self._group is None:
                    self._group = _Group()
                    self._last_written = self._group.written
                group = self._group
                group.records.append(record)
                group.shards.append(shards)
                if self._writer is None:
                    self._writer = asyncio.create_task(self._write_groups())
            await group.written
        finally:
            self._committing -= 1
            if not self._committing:
                self._quiet.set()
        self._maybe_checkpoint()
        return record.seq

    async def _write_groups(self) -> None:
        """Write the groups one after the other until none is waiting."""
        try:
            while self._group is not None:
                group, self._group = self._group, None
                try:
                    self._check_failure()
                    await self._durably(self._disk.write_journal, group.records)
                except BaseException as error:
                    for shards in group.shards:
                        self._unpin(shards)
                    group.written.set_exception(error)
                    group.written.exception()  # retrieved: each waiter raises it
                    continue
                async with self._lock:  # not in the middle of a checkpoint's snapshot
                    for record, shards in zip(group.records, group.shards, strict=True):
                        self._apply(record, shards)
                        self._unpin(shards)
                group.written.set_result(None)
                if self._group is not None:
                    # Under load: let the commits just acknowledged come back with their
                    # next transactions and join the group about to be written.
                    for _ in range(_GATHER_STEPS):
                        await asyncio.sleep(0)
        finally:
            self._writer = None

    def _validate(self, tx: Transaction) -> None:
        """Raise Conflict if a commit since `tx` began wrote what `tx` read."""
        if not tx._reads and not tx._ranges:
            return
        if tx.start < self._conflict_floor:
            raise Conflict(f"transaction began {self._seq - tx.start} commits ago; run it again")
        for seq, written in reversed(self._written):
            if seq <= tx.start:
                return
            for name, shard, key in written:
                if (name, key) in tx._reads or {(name, shard), (name, None)} & tx._ranges:
                    raise Conflict(f"{name} {key!r} changed in transaction {seq}; run it again")

    async def _pin(self, idents: Iterable[tuple[Collection, str]]) -> dict[ShardId, Shard]:
        """Load and pin the shards of these documents, so that none is evicted meanwhile."""
        pinned: dict[ShardId, Shard] = {}
        try:
            for kind, key in idents:
                ident = (kind.name, kind.shard_of(key))
                if ident not in pinned:
                    shard = pinned[ident] = await self._shards.get(kind, ident[1])
                    shard.pins += 1
        except BaseException:
            self._unpin(pinned)
            raise
        return pinned

    def _unpin(self, pinned: Mapping[ShardId, Shard]) -> None:
        for shard in pinned.values():
            shard.pins -= 1

    def _record(self, tx: Transaction, seq: int, shards: Mapping[ShardId, Shard]) -> JournalRecord:
        """The journal record of `tx`: its final writes, and an audit entry per `what`."""
        after: dict[_Ident, Doc | None] = {}
        audit = []
        for kind, key, doc, what in tx._ops:
            ident = (kind.name, key)
            if ident in after:
                before = after[ident]
            elif ident in self._unapplied:
                before = self._unapplied[ident][1]
            else:
                before = shards[kind.name, kind.shard_of(key)].docs.get(key)
            if what is not None:
                audit.append(
                    {"seq": seq, "at": tx.at, "who": tx.actor, "what": what}
                    | {"collection": kind.name, "key": key, "before": before, "after": doc}
                )
            after[ident] = doc
        writes = [(name, key, doc) for (name, key), doc in after.items()]
        return JournalRecord(seq, writes, audit)

    def _remember(self, record: JournalRecord, shards: Mapping[ShardId, Shard]) -> None:
        """Note what a validated transaction writes, for the transactions validated after
        it (conflicts, and the "before" of their audit entries) until it is applied."""
        written = set()
        for name, key, doc in record.writes:
            shard = shards[name, self._collections[name].shard_of(key)]
            written.add((name, shard.name, key))
            self._unapplied[name, key] = (record.seq, doc)
        self._written.append((record.seq, frozenset(written)))
        if len(self._written) > _CONFLICT_WINDOW:
            self._conflict_floor = self._written.popleft()[0]

    def _apply(self, record: JournalRecord, shards: Mapping[ShardId, Shard]) -> None:
        """Make a journaled transaction visible in memory."""
        for name, key, doc in record.writes:
            kind = self._collections[name]
            shard = shards[name, kind.shard_of(key)]
            shard.apply(key, doc)
            self._shards.changed(shard)
            if self._unapplied.get((name, key), (0, None))[0] == record.seq:
                del self._unapplied[name, key]
        self._audit_pending.extend(record.audit)
        self._seq = record.seq

    async def _durably(self, write: Callable[..., None], *args: Any) -> None:
        """Run a write of the disk in a thread; if it fails, the store takes no more writes."""
        try:
            await self._io.run(write, *args)
        except BaseException as error:
            self._fail(error)
            if isinstance(error, Exception):
                raise StorageError(f"writing {self._disk} failed: {error}") from error
            raise

    # Inside: recovery and checkpoints

    async def _recover(self) -> None:
        recovery = await self._io.run(self._disk.open)
        self._seq = self._checkpoint_seq = recovery.checkpoint
        self._audit_segments = recovery.audit
        for kind in self._collections.values():
            if not kind.owned:
                await self._shards.load_all(kind)
        for record in recovery.journal:
            seq = record.seq
            unknown = {name for name, _, _ in record.writes} - set(self._collections)
            if unknown:
                raise StorageError(f"{self._disk}: transaction {seq} writes to unknown {unknown}")
            shards = await self._pin([(self._collections[n], key) for n, key, _ in record.writes])
            try:
                self._apply(record, shards)
            finally:
                self._unpin(shards)
        self._assigned = self._conflict_floor = self._seq
        if self._checkpoint_due():
            await self._checkpoint()

    def _checkpoint_due(self) -> bool:
        pending = self._seq - self._checkpoint_seq
        return pending > self._checkpoint_every or self._shards.dirty_cached > self._shards.capacity

    def _maybe_checkpoint(self) -> None:
        idle = self._checkpointing is None and not self._closing and self._failure is None
        if idle and self._checkpoint_due():
            self._checkpointing = asyncio.create_task(self._background_checkpoint())

    async def _background_checkpoint(self) -> None:
        try:
            await self._checkpoint()
        except Exception as error:
            # The store refuses writes from now on, and says why (see `_check_failure`).
            self._fail(error)
            log.exception("checkpoint of %s failed", self._disk)
        finally:
            self._checkpointing = None

    async def _checkpoint(self) -> None:
        """Write dirty shards and pending audit entries to files, then drop their journal.

        The snapshot is taken under the writer lock; the files are written outside it, so
        commits go on meanwhile. Redone after a crash, it writes the same files again.
        """
        async with self._checkpoint_lock:
            async with self._lock:
                self._check_failure()
                last, previous = self._seq, self._checkpoint_seq
                snapshots = await self._snapshot()
                audit = list(self._audit_pending)
            await self._flush(snapshots)
            if audit:
                await self._durably(self._disk.write_audit, last, audit)
                self._audit_segments.append(last)
                del self._audit_pending[: len(audit)]
            if last > previous:
                await self._durably(self._disk.write_checkpoint, last)
                self._checkpoint_seq = last
            self._shards.evict()

    async def _snapshot(self) -> list[tuple[Shard, int, Docs]]:
        """Copies of the dirty shards (documents themselves are never changed in place)."""
        snapshots = []
        for shard in list(self._shards.dirty):
            snapshots.append((shard, shard.changes, dict(shard.docs)))
            await asyncio.sleep(0)  # one shard per step of the event loop
        return snapshots

    async def _flush(self, snapshots: list[tuple[Shard, int, Docs]]) -> None:
        """Write the snapshots to the shard files (in a thread, one file after the other)."""
        batch = [(shard.collection, shard.name, docs) for shard, _, docs in snapshots]
        await self._durably(self._disk.write_shards, batch)
        for shard, changes, _ in snapshots:
            self._shards.flushed(shard, changes)

    # Inside: export and import

    async def _export_chunks(self, kind: Collection) -> AsyncIterator[list[Doc]]:
        for name in await self._shard_names(kind, None, {}):
            docs = await self._shards.peek(kind, name)
            yield [docs[key] for key in sorted(docs)]

    async def _holdings(self) -> list[str]:
        """What this store holds, described for an error message: [] when it is empty."""
        held = []
        for kind in self._collections.values():
            for name in await self._shard_names(kind, None, {}):
                if await self._shards.peek(kind, name):
                    held.append(kind.name)
                    break
        if self._audit_segments or self._audit_pending:
            held.append("audit entries")
        if self._seq:
            held.append(f"{self._seq} transactions")
        return held

    async def _load_export(self, source: TextSource) -> int:
        """Put the export's documents in place, shard file by shard file; the last seq."""
        version = None
        last = 0
        audit: list[Doc] = []
        async for name, item in read_export(source):
            if name == "version":
                version = item
                if version != EXPORT_VERSION:
                    raise StorageError(f"import: version {version!r} is not {EXPORT_VERSION}")
            elif name == "audit":
                last = await self._import_audit(item, audit, last)
            else:
                await self._import_doc(name, item)
        if version is None:
            raise StorageError('import: the "version" is missing')
        if audit:
            await self._write_audit_segment(last, audit)
        await self._flush(await self._snapshot())
        await self._durably(self._disk.write_checkpoint, last)
        return last

    async def _import_doc(self, name: str, item: Any) -> None:
        kind = self._collections.get(name)
        if kind is None:
            raise StorageError(f"import: unknown collection {name!r}")
        if not isinstance(item, dict):
            raise StorageError(f"import: a {name} document is not an object: {item!r:.80}")
        try:
            key = kind.key_of(item)
        except ValueError as error:
            raise StorageError(f"import: {error}") from error
        shard = await self._shards.get(kind, kind.shard_of(key))
        if key in shard.docs:
            raise StorageError(f"import: {name} {key!r} appears twice")
        shard.apply(key, item)
        self._shards.changed(shard)
        if self._shards.dirty_cached > self._shards.capacity:
            await self._flush(await self._snapshot())

    async def _import_audit(self, entry: Any, segment: list[Doc], last: int) -> int:
        """Add `entry` to the segment being filled (written when full); the entry's seq."""
        seq = entry.get("seq") if isinstance(entry, dict) else None
        if not isinstance(seq, int) or seq < last:
            raise StorageError(f"import: audit entries need ascending seqs, got {entry!r:.80}")
        if len(segment) >= _AUDIT_SEGMENT and seq != last:
            await self._write_audit_segment(last, segment)
            segment.clear()
        segment.append(entry)
        return seq

    async def _write_audit_segment(self, last: int, entries: list[Doc]) -> None:
        await self._durably(self._disk.write_audit, last, list(entries))
        self._audit_segments.append(last)

    async def _release(self) -> None:
        await self._io.run(self._disk.close)
        self._io.shutdown()

    # Inside: state checks

    def _check_open(self) -> None:
        if self._closing:
            raise StorageError(f"{self._disk} is closed")

    def _fail(self, error: BaseException) -> None:
        """Take no more writes: the first failure is the one kept and reported."""
        if self._failure is None:
            self._failure = error
            self._failed.set()
            log.error("writing %s failed; it takes no more writes: %s", self._disk, error)

    def _check_failure(self) -> None:
        if self._failure is not None:
            raise StorageError(
                f"{self._disk} takes no more writes after a failed write; open it again"
            ) from self._failure

    def _check_usable(self) -> None:
        self._check_open()
        self._check_failure()


class Transaction:
    """Reads and writes that commit together or not at all; see `Store.begin`.

    It reads its own writes. Commit raises Conflict if another commit since it began
    wrote a document it read, or into a range it scanned; then run it again.
    """

    def __init__(self, store: Store, actor: str, now: datetime) -> None:
        self.actor = actor
        self.at = now.isoformat()
        self.start = store._seq
        self._store = store
        self._ops: list[_Op] = []
        self._writes: dict[_Ident, Doc | None] = {}
        self._reads: set[_Ident] = set()
        self._ranges: set[tuple[str, str | None]] = set()
        self._finished = False

    async def get(self, collection: str, *key: str) -> Doc | None:
        """A copy of the document with this key, as this transaction left it, or None."""
        self._check_active()
        kind = self._store._collection(collection)
        ident = (kind.name, kind.make_key(key))
        if ident in self._writes:
            doc = self._writes[ident]
            return None if doc is None else copy_doc(doc)
        self._reads.add(ident)
        return await self._store._get(kind, ident[1])

    def scan(
        self, collection: str, owner: str | None = None, where: Where | None = None
    ) -> AsyncIterator[Doc]:
        """As `Store.scan`, with this transaction's writes."""
        self._check_active()
        kind = self._store._collection(collection)
        shard = self._store._owner_shard(kind, owner)
        self._ranges.add((kind.name, shard))
        return self._store._scan(kind, shard, where, dict(self._writes))

    def view(
        self, collection: str, owner: str | None = None, where: Where | None = None
    ) -> AsyncIterator[Mapping[str, Any]]:
        """As `Store.view` (the documents themselves, read-only), with this transaction's
        writes."""
        self._check_active()
        kind = self._store._collection(collection)
        shard = self._store._owner_shard(kind, owner)
        self._ranges.add((kind.name, shard))
        return self._store._scan(kind, shard, where, dict(self._writes), copy=False)

    @property
    def empty(self) -> bool:
        """True while the transaction has written nothing."""
        return not self._ops

    def put(self, collection: str, doc: Mapping[str, Any], *, what: str | None = None) -> None:
        """Insert or replace the document with `doc`'s key; `what` makes an audit entry."""
        self._check_active()
        kind = self._store._collection(collection)
        stored = normalize(doc)
        self._write(kind, kind.key_of(stored), stored, what)

    def audit(self, since_seq: int | None = None) -> AsyncIterator[Doc]:
        """The committed audit entries, oldest first (`Store.audit`); not this
        transaction's own, which are made when it commits."""
        self._check_active()
        return self._store.audit(since_seq)

    def delete(self, collection: str, *key: str, what: str | None = None) -> None:
        """Delete the document with this key, if there is one; `what` makes an audit entry."""
        self._check_active()
        kind = self._store._collection(collection)
        self._write(kind, kind.make_key(key), None, what)

    async def commit(self) -> int:
        """Make the writes durable and visible; the transaction's sequence number.

        A transaction that wrote nothing writes nothing, and returns the last sequence
        number (after checking that what it read still holds). The commit runs to its
        end even if the caller is cancelled meanwhile.
        """
        self._check_active()
        self._finished = True
        store = self._store
        privileged = store._exclusive_owner is not None and (
            store._exclusive_owner is asyncio.current_task()
        )
        return await asyncio.shield(store._commit(self, privileged))

    def _write(self, kind: Collection, key: str, doc: Doc | None, what: str | None) -> None:
        self._ops.append((kind, key, doc, what))
        self._writes[kind.name, key] = doc

    def _check_active(self) -> None:
        self._store._check_open()
        if self._finished:
            raise RuntimeError("this transaction has been committed; begin another")


def _put_or_pop(docs: Docs, key: str, doc: Doc | None) -> None:
    if doc is None:
        docs.pop(key, None)
    else:
        docs[key] = doc


async def _write(out: TextSink, text: str) -> None:
    # The caller's stream, not a file of the store: asyncio's default executor.
    await asyncio.to_thread(out.write, text)


async def _write_list(out: TextSink, name: str, chunks: AsyncIterator[list[Doc]]) -> None:
    """Write `"name":[...]`, one chunk (a shard, a segment) per write."""
    await _write(out, f",\n{json.dumps(name)}:[")
    separator = "\n"
    async for docs in chunks:
        if docs:
            text = ",\n".join(json.dumps(doc, ensure_ascii=False) for doc in docs)
            await _write(out, separator + text)
            separator = ",\n"
    await _write(out, "]")
