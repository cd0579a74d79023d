"""Persistence for partnerbot: documents in collections, TinyDB files, one writer.

A data directory holds a folder per collection of shard files, each a TinyDB database
`{"<collection>": {"<key>": doc}}` read and written by `AtomicJSONStorage`: an owned
collection has one shard per owner (`reports/acme.json`), loaded when first needed and
kept in an LRU cache that only lets go of shards matching their file; the others are
spread over 64 shards by a CRC-32 of the key (`partners/1f.json`) and kept whole in
memory. Beside them are `journal/<seq>.json`, one file per committed transaction that
the shard files may not hold yet; `audit/<seq>.jsonl`, the audit trail in segments;
`checkpoint.json`, the last transaction the shard files hold; and `lock`, an flock that
keeps a second process out. Every file is replaced atomically: a temporary file in the
same folder is written, flushed, fsynced and renamed over the old one, and the folder is
fsynced. A commit, holding the store's one asyncio lock, checks that nothing it read has
changed since it began, writes the transaction (full documents, deletes, audit entries
with before and after) as one journal file in a worker thread, then applies it in memory
and returns its sequence number: that is the acknowledgement, and its cost depends on
the transaction only. A checkpoint (when more than 500 journal files wait, when more
owned shards than the cache holds are ahead of their files, and at close) copies the
dirty shards under the lock, one shard per event-loop step; then, while commits go on,
it writes those shards (fsyncing each folder once, after the renames), the audit entries
as one segment named after the last transaction it covers, and `checkpoint.json`, and
deletes the journal files up to there. Opening a directory removes temporary files, the
journal files and audit segments an interrupted checkpoint left behind, and replays the
remaining journal in order (full documents, so replaying twice changes nothing); a
committed file that does not parse is an error naming it.
"""

from storage.collection import Collection
from storage.disk import AtomicJSONStorage
from storage.errors import Conflict, StorageError
from storage.schema import SCHEMA
from storage.store import EXPORT_VERSION, Store, StoreStats, Transaction, Where
from storage.transfer import TextSink, TextSource

__all__ = [
    "EXPORT_VERSION",
    "SCHEMA",
    "AtomicJSONStorage",
    "Collection",
    "Conflict",
    "StorageError",
    "Store",
    "StoreStats",
    "TextSink",
    "TextSource",
    "Transaction",
    "Where",
]
