"""Persistence for partnerbot: documents in collections, TinyDB files, one writer.

A data directory holds a folder per collection of shard files, each a TinyDB database
`{"<collection>": {"<key>": doc}}` read and written by `AtomicJSONStorage`: an owned
collection has one shard per owner (`reports/acme.json`), loaded when first needed and
kept in an LRU cache that only lets go of shards matching their file; the others are
spread over 64 shards by a CRC-32 of the key (`partners/1f.json`) and kept whole in
memory. Beside them are `journal/<first seq>.log`, the transactions that the shard files
may not hold yet, appended in groups (see `storage.journal`); `audit/<seq>.jsonl`, the
audit trail in segments; `checkpoint.json`, the last transaction the shard files hold;
and `lock`, an flock that keeps a second process out. Every file but the journal is
replaced atomically: a temporary file in the same folder is written, flushed, fsynced
and renamed over the old one, and the folder is fsynced. Folders are made 0700 and files
0600, whatever the umask.

A commit checks, under the store's asyncio lock, that nothing it read has been written
by a transaction validated since it began (those still being written included), takes
the next sequence number and joins the next group. One writer task appends a group to
the journal with one write and one fdatasync in a worker thread, applies its
transactions in memory, and only then answers their commits: that is the
acknowledgement. Transactions that arrive while a group is being written make up the
next one, so a burst of commits costs a few fsyncs, not one each. `Store.exclusive`
lets one task run alone (others' commits wait at a gate): the dispatcher's way to run
a transaction again after a conflict, where it cannot conflict. A checkpoint (when more
than 500 transactions wait in the journal, when more owned shards than the cache holds
are ahead of their files, and at close) copies the dirty shards under the lock, one
shard per event-loop step; then, while commits go on, it writes those shards (fsyncing
each folder once, after the renames), the audit entries as one segment named after the
last transaction it covers, and `checkpoint.json`, and deletes the journal segments it
covers. Opening a directory removes temporary files and the audit segments an
interrupted checkpoint left behind, cuts a group torn by a crash from the journal's end,
and replays the rest in order (full documents, so replaying twice changes nothing); a
journal damaged before its end is an error naming the file.
"""

from storage.backup import backup
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
    "backup",
]
