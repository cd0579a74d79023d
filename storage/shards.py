"""The shards in memory: every bucket of the collections kept whole, an LRU of owned ones."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field

from storage.collection import Collection
from storage.disk import Disk
from storage.documents import Doc, Docs
from storage.threads import IOThreads

ShardId = tuple[str, str]
INLINE_READ_BYTES = 256 * 1024  # shard files up to this size are read on the event loop


@dataclass(eq=False)
class Shard:
    """The documents of one shard file, and whether memory is ahead of the file."""

    collection: Collection
    name: str
    docs: Docs = field(default_factory=dict)
    changes: int = 0  # changes applied in memory
    flushed: int = 0  # `changes` as of the last write of the file
    pins: int = 0  # commits under way that need it in memory

    @property
    def dirty(self) -> bool:
        return self.changes != self.flushed

    def apply(self, key: str, doc: Doc | None) -> None:
        if doc is None:
            self.docs.pop(key, None)
        else:
            self.docs[key] = doc
        self.changes += 1


class Shards:
    """Finds a shard in memory or loads it; evicts owned shards that match their file."""

    def __init__(self, disk: Disk, io: IOThreads, capacity: int) -> None:
        self.capacity = capacity
        self.dirty: set[Shard] = set()
        self._disk = disk
        self._io = io
        self._resident: dict[ShardId, Shard] = {}
        self._cached: OrderedDict[ShardId, Shard] = OrderedDict()
        self._loading: dict[ShardId, asyncio.Future[Shard]] = {}
        self._dirty_cached = 0

    @property
    def cached(self) -> int:
        """How many owned shards are in memory."""
        return len(self._cached)

    @property
    def dirty_cached(self) -> int:
        """How many owned shards are ahead of their files."""
        return self._dirty_cached

    async def load_all(self, collection: Collection) -> None:
        """Load every bucket of a collection that is not owned, to keep for good."""
        loaded = await self._io.run(self._read_all, collection)
        for name in collection.shard_names():
            self._resident[collection.name, name] = Shard(collection, name, loaded.get(name, {}))

    def resident(self, collection: Collection) -> list[Shard]:
        return [self._resident[collection.name, name] for name in collection.shard_names()]

    def cached_names(self, collection: Collection) -> set[str]:
        return {name for kind, name in self._cached if kind == collection.name}

    async def get(self, collection: Collection, name: str) -> Shard:
        """The shard, loaded into the cache if it is not in memory.

        The shard returned is the one in memory when this returns: a caller that pins it
        (or is done with it) before its next await never works on an evicted copy.
        """
        ident = (collection.name, name)
        while (shard := self._current(ident)) is None:
            loading = self._loading.get(ident)
            if loading is None:
                loading = self._loading[ident] = asyncio.ensure_future(self._load(collection, name))
            # Shielded: a reader that gives up does not cancel the load others wait for.
            await asyncio.shield(loading)
        if collection.owned:
            self._cached.move_to_end(ident)
        return shard

    async def peek(self, collection: Collection, name: str) -> Docs:
        """A copy of the shard's documents, read from disk without caching if need be."""
        ident = (collection.name, name)
        shard = self._current(ident)
        if shard is None and ident in self._loading:
            shard = await asyncio.shield(self._loading[ident])
        return dict(shard.docs) if shard is not None else await self._read(collection, name)

    def changed(self, shard: Shard) -> None:
        """The shard was changed in memory (see `Shard.apply`)."""
        if shard not in self.dirty:
            self.dirty.add(shard)
            if shard.collection.owned:
                self._dirty_cached += 1

    def flushed(self, shard: Shard, changes: int) -> None:
        """The shard's file now holds its first `changes` changes."""
        shard.flushed = changes
        if not shard.dirty and shard in self.dirty:
            self.dirty.remove(shard)
            if shard.collection.owned:
                self._dirty_cached -= 1

    def clear(self) -> None:
        """Forget every document (after a failed import)."""
        for shard in self._resident.values():
            shard.docs = {}
            shard.changes = shard.flushed = 0
        self._cached.clear()
        self.dirty.clear()
        self._dirty_cached = 0

    def evict(self) -> None:
        """Drop the least recently used owned shards beyond capacity whose file is current.

        The most recently used one stays, so that a shard just loaded is not dropped before
        whoever asked for it gets it.
        """
        excess = len(self._cached) - self.capacity
        if excess <= 0:
            return
        for ident, shard in list(self._cached.items())[:-1]:
            if excess <= 0:
                return
            if not shard.dirty and not shard.pins:
                del self._cached[ident]
                excess -= 1

    def _current(self, ident: ShardId) -> Shard | None:
        return self._resident.get(ident) or self._cached.get(ident)

    async def _load(self, collection: Collection, name: str) -> Shard:
        try:
            shard = Shard(collection, name, await self._read(collection, name))
            self._cached[collection.name, name] = shard
            self.evict()
            return shard
        finally:
            del self._loading[collection.name, name]

    def _read_all(self, collection: Collection) -> dict[str, Docs]:
        """Every shard file of the collection (in a worker thread: one call, not 64)."""
        return {
            name: self._disk.read_shard(collection, name) or {}
            for name in self._disk.shard_names(collection)
        }

    async def _read(self, collection: Collection, name: str) -> Docs:
        """A shard's documents. A small file (one partner's, typically ~50 KB) is read on the
        loop: that costs ~0.3 ms, less than the hop to a worker thread and back; a big
        one is read in a worker thread, so the loop never waits long."""
        if self._disk.shard_size(collection, name) <= INLINE_READ_BYTES:
            docs = self._disk.read_shard(collection, name)
        else:
            docs = await self._io.run(self._disk.read_shard, collection, name)
        return {} if docs is None else docs
