"""The store, against memory and against a data directory (as TinyDB's own conftest does)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tinydb import Query, TinyDB
from tinydb.table import Table

from storage import SCHEMA, AtomicJSONStorage, Collection, Conflict, StorageError, Store
from storage.disk import FileDisk
from storage.journal import Journal

NOW = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def report(partner: str, month: str, state: str = "draft", **extra: Any) -> dict[str, Any]:
    return {"partner": partner, "month": month, "state": state, "deals": [], **extra}


async def put(store: Store, collection: str, doc: dict[str, Any], what: str | None = None) -> int:
    tx = store.begin("alice", NOW)
    tx.put(collection, doc, what=what)
    return await tx.commit()


async def collect(docs: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [doc async for doc in docs]


def files_under(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.rglob("*") if path.is_file())


@pytest.fixture(params=["memory", "file"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Path | None:
    """Where a store lives: None (memory) or a data directory."""
    return None if request.param == "memory" else tmp_path / "data"


@pytest.fixture
async def store(location: Path | None) -> AsyncIterator[Store]:
    store = await Store.open(location, SCHEMA)
    yield store
    await store.close()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data directory, for what only a directory can show."""
    return tmp_path / "data"


# Documents in and out


async def test_put_then_get(store: Store) -> None:
    await put(store, "partners", {"id": "acme", "company": "Acme"})
    await put(store, "reports", report("acme", "2024-01"))

    assert await store.get("partners", "acme") == {"id": "acme", "company": "Acme"}
    assert await store.get("reports", "acme", "2024-01") == report("acme", "2024-01")
    assert await store.get("reports", "acme", "2024-02") is None
    assert await store.get("partners", "nobody") is None


async def test_put_replaces_the_whole_document(store: Store) -> None:
    await put(store, "partners", {"id": "acme", "company": "Acme", "country": "BR"})
    await put(store, "partners", {"id": "acme", "company": "Acme Ltd"})

    assert await store.get("partners", "acme") == {"id": "acme", "company": "Acme Ltd"}


async def test_delete(store: Store) -> None:
    await put(store, "partners", {"id": "acme"})
    tx = store.begin("alice", NOW)
    tx.delete("partners", "acme")
    tx.delete("partners", "never-there")
    await tx.commit()

    assert await store.get("partners", "acme") is None


async def test_documents_are_copies_both_ways(store: Store) -> None:
    doc = report("acme", "2024-01", deals=[{"client": "Foo"}])
    tx = store.begin("alice", NOW)
    tx.put("reports", doc)
    doc["deals"][0]["client"] = "changed before commit"
    await tx.commit()
    doc["state"] = "changed after commit"

    read = await store.get("reports", "acme", "2024-01")
    assert read == report("acme", "2024-01", deals=[{"client": "Foo"}])
    read["deals"].append({"client": "Bar"})
    scanned = await collect(store.scan("reports", owner="acme"))
    scanned[0]["deals"].clear()

    assert await store.get("reports", "acme", "2024-01") == report(
        "acme", "2024-01", deals=[{"client": "Foo"}]
    )


async def test_documents_read_back_as_json(store: Store) -> None:
    await put(store, "partners", {"id": "acme", "steps": ("a", "b"), "rates": {1: "0.3"}})

    assert await store.get("partners", "acme") == {
        "id": "acme",
        "steps": ["a", "b"],
        "rates": {"1": "0.3"},
    }


async def test_a_document_needs_its_key_fields(store: Store) -> None:
    tx = store.begin("alice", NOW)
    with pytest.raises(ValueError, match="month"):
        tx.put("reports", {"partner": "acme"})
    with pytest.raises(ValueError, match="non-empty string"):
        tx.put("partners", {"id": 7})
    with pytest.raises(ValueError, match="non-empty string"):
        tx.put("partners", {"id": ""})
    with pytest.raises(ValueError, match="keyed by"):
        await store.get("reports", "acme")
    with pytest.raises(ValueError, match="unknown collection"):
        await store.get("partner", "acme")


async def test_what_json_cannot_hold_is_refused_at_put(store: Store) -> None:
    tx = store.begin("alice", NOW)
    with pytest.raises(TypeError):
        tx.put("partners", {"id": "acme", "signed": NOW})
    with pytest.raises(ValueError):
        tx.put("partners", {"id": "acme", "fee": float("nan")})


async def test_keys_with_slashes_and_odd_owners(location: Path | None) -> None:
    store = await Store.open(location, SCHEMA, cache_shards=1)
    owners = ["a/b", "a", "A", "..", "%2F", "ação"]
    for owner in owners:
        await put(store, "reports", report(owner, "2024/01"))
        await put(store, "reports", report(owner, "2024"))
    await store.checkpoint()

    for owner in owners:
        assert await store.get("reports", owner, "2024/01") == report(owner, "2024/01")
        months = [doc["month"] async for doc in store.scan("reports", owner=owner)]
        assert months == ["2024", "2024/01"]
    assert await store.count("reports") == 2 * len(owners)
    await store.close()


# Scans and counts


async def test_scan_by_owner_in_key_order(store: Store) -> None:
    for month in ["2024-03", "2024-01", "2024-02"]:
        await put(store, "reports", report("acme", month))
    await put(store, "reports", report("globex", "2024-01"))

    months = [doc["month"] async for doc in store.scan("reports", owner="acme")]

    assert months == ["2024-01", "2024-02", "2024-03"]


async def test_view_reads_the_stored_documents_themselves(store: Store) -> None:
    """`view` is `scan` without the copies: the same documents, the same object twice while
    unchanged, a new one once replaced; in a transaction, its writes over them, and a read
    that a concurrent write to the range makes conflict."""
    await put(store, "partners", {"id": "p1", "status": "draft"})
    first = [doc async for doc in store.view("partners")]
    again = [doc async for doc in store.view("partners")]
    assert first == [{"id": "p1", "status": "draft"}]
    assert first[0] is again[0]
    await put(store, "partners", {"id": "p1", "status": "active"})
    after = [doc async for doc in store.view("partners")]
    assert after[0] is not first[0] and after[0]["status"] == "active"
    assert first[0]["status"] == "draft"  # what was read is not changed under the reader

    reader = store.begin(actor="t", now=NOW)
    reader.put("partners", {"id": "p2", "status": "draft"})
    assert sorted([doc["id"] async for doc in reader.view("partners")]) == ["p1", "p2"]
    await put(store, "partners", {"id": "p3", "status": "draft"})
    with pytest.raises(Conflict):
        await reader.commit()


async def test_scan_with_a_tinydb_query(store: Store) -> None:
    for number in range(20):
        state = "submitted" if number % 3 == 0 else "draft"
        await put(store, "partners", {"id": f"p{number:02}", "status": state})

    found = store.scan("partners", where=Query().status == "submitted")

    expected = ["p00", "p03", "p06", "p09", "p12", "p15", "p18"]
    assert sorted(doc["id"] for doc in await collect(found)) == expected


async def test_scan_every_owner(location: Path | None) -> None:
    store = await Store.open(location, SCHEMA, cache_shards=1)
    for owner in ["a", "b", "c"]:
        await put(store, "reports", report(owner, "2024-01"))
    await store.checkpoint()  # a and b leave the cache
    await put(store, "reports", report("d", "2024-01"))  # d is on no file yet

    owners = [doc["partner"] async for doc in store.scan("reports")]

    assert owners == ["a", "b", "c", "d"]
    assert await store.count("reports") == 4
    assert await store.count("reports", owner="a") == 1
    await store.close()


async def test_count(store: Store) -> None:
    for number in range(70):
        await put(store, "seen", {"id": f"m{number}"})

    assert await store.count("seen") == 70
    assert await store.count("partners") == 0
    assert await store.count("reports") == 0


# Transactions


async def test_a_transaction_reads_its_own_writes(store: Store) -> None:
    await put(store, "reports", report("acme", "2024-01"))
    tx = store.begin("alice", NOW)
    tx.put("reports", report("acme", "2024-02"))
    tx.delete("reports", "acme", "2024-01")

    assert await tx.get("reports", "acme", "2024-02") == report("acme", "2024-02")
    assert await tx.get("reports", "acme", "2024-01") is None
    assert [doc["month"] async for doc in tx.scan("reports", owner="acme")] == ["2024-02"]
    assert [doc["month"] async for doc in tx.scan("reports")] == ["2024-02"]
    assert await store.get("reports", "acme", "2024-02") is None  # not committed yet


async def test_commit_numbers_transactions(store: Store) -> None:
    first = await put(store, "partners", {"id": "a"})
    second = await put(store, "partners", {"id": "b"})

    assert (first, second) == (1, 2)
    assert store.stats.seq == 2


async def test_a_transaction_without_writes_commits_nothing(store: Store) -> None:
    await put(store, "partners", {"id": "a"})
    tx = store.begin("alice", NOW)
    await tx.get("partners", "a")

    assert await tx.commit() == 1
    assert store.stats.seq == 1
    assert await collect(store.audit()) == []


async def test_a_transaction_commits_once(store: Store) -> None:
    tx = store.begin("alice", NOW)
    tx.put("partners", {"id": "a"})
    await tx.commit()

    with pytest.raises(RuntimeError):
        tx.put("partners", {"id": "b"})
    with pytest.raises(RuntimeError):
        await tx.commit()


async def test_now_must_carry_a_zone(store: Store) -> None:
    with pytest.raises(ValueError, match="time zone"):
        store.begin("alice", datetime(2024, 3, 1, 9, 0))  # noqa: DTZ001 - the point


async def test_a_stale_read_is_a_conflict(store: Store) -> None:
    await put(store, "partners", {"id": "acme", "status": "applicant"})
    slow = store.begin("alice", NOW)
    partner = await slow.get("partners", "acme")
    assert partner is not None
    await put(store, "partners", {"id": "acme", "status": "removed"})

    slow.put("partners", partner | {"status": "onboarding"})
    with pytest.raises(Conflict, match="acme"):
        await slow.commit()
    assert await store.get("partners", "acme") == {"id": "acme", "status": "removed"}


async def test_reading_a_missing_document_then_it_appears_is_a_conflict(store: Store) -> None:
    first = store.begin("alice", NOW)
    assert await first.get("partners", "acme") is None
    await put(store, "partners", {"id": "acme", "company": "Acme One"})

    first.put("partners", {"id": "acme", "company": "Acme Two"})
    with pytest.raises(Conflict):
        await first.commit()


async def test_a_new_document_in_a_scanned_range_is_a_conflict(store: Store) -> None:
    await put(store, "reports", report("acme", "2024-01"))
    tx = store.begin("alice", NOW)
    assert len(await collect(tx.scan("reports", owner="acme"))) == 1
    await put(store, "reports", report("acme", "2024-02"))

    tx.put("partners", {"id": "acme", "reports": 1})
    with pytest.raises(Conflict):
        await tx.commit()


async def test_unrelated_writes_are_no_conflict(store: Store) -> None:
    await put(store, "partners", {"id": "acme"})
    tx = store.begin("alice", NOW)
    await tx.get("partners", "acme")
    await collect(tx.scan("reports", owner="acme"))
    await put(store, "partners", {"id": "globex"})
    await put(store, "reports", report("globex", "2024-01"))

    tx.put("partners", {"id": "acme", "seen": True})
    assert await tx.commit() == 4


async def test_concurrent_increments_with_retries_lose_nothing(store: Store) -> None:
    await put(store, "cursors", {"room": "r", "count": 0})

    async def increment() -> None:
        while True:
            tx = store.begin("bot", NOW)
            cursor = await tx.get("cursors", "r")
            assert cursor is not None
            tx.put("cursors", cursor | {"count": cursor["count"] + 1})
            try:
                await tx.commit()
                return
            except Conflict:
                continue

    await asyncio.gather(*(increment() for _ in range(30)))

    assert await store.get("cursors", "r") == {"room": "r", "count": 30}


async def test_a_cancelled_commit_still_completes(store: Store) -> None:
    tx = store.begin("alice", NOW)
    tx.put("partners", {"id": "acme"})
    task = asyncio.create_task(tx.commit())
    await asyncio.sleep(0)  # let the commit start
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await store.checkpoint()  # waits for the commit that holds the writer lock

    assert await store.get("partners", "acme") == {"id": "acme"}


# The audit trail


async def test_audit_records_who_what_when_before_after(store: Store) -> None:
    await put(store, "partners", {"id": "acme", "status": "applicant"}, what="applied")
    tx = store.begin("bob", NOW)
    tx.put("partners", {"id": "acme", "status": "onboarding"}, what="approved application")
    tx.put("members", {"username": "carol", "partner": "acme"})  # no `what`, no entry
    await tx.commit()
    tx = store.begin("bob", NOW)
    tx.delete("partners", "acme", what="removed")
    await tx.commit()

    entries = await collect(store.audit())

    assert entries == [
        {
            "seq": 1,
            "at": "2024-03-01T09:00:00+00:00",
            "who": "alice",
            "what": "applied",
            "collection": "partners",
            "key": "acme",
            "before": None,
            "after": {"id": "acme", "status": "applicant"},
        },
        {
            "seq": 2,
            "at": "2024-03-01T09:00:00+00:00",
            "who": "bob",
            "what": "approved application",
            "collection": "partners",
            "key": "acme",
            "before": {"id": "acme", "status": "applicant"},
            "after": {"id": "acme", "status": "onboarding"},
        },
        {
            "seq": 3,
            "at": "2024-03-01T09:00:00+00:00",
            "who": "bob",
            "what": "removed",
            "collection": "partners",
            "key": "acme",
            "before": {"id": "acme", "status": "onboarding"},
            "after": None,
        },
    ]


async def test_audit_of_two_writes_of_one_document_in_one_transaction(store: Store) -> None:
    tx = store.begin("alice", NOW)
    tx.put("reports", report("acme", "2024-01"), what="drafted")
    tx.put("reports", report("acme", "2024-01", "submitted"), what="submitted")
    await tx.commit()

    entries = await collect(store.audit())

    assert [(e["before"], e["after"]) for e in entries] == [
        (None, report("acme", "2024-01")),
        (report("acme", "2024-01"), report("acme", "2024-01", "submitted")),
    ]


async def test_audit_since_and_across_checkpoints(location: Path | None) -> None:
    store = await Store.open(location, SCHEMA, checkpoint_every=2)
    for number in range(1, 8):
        await put(store, "partners", {"id": "acme", "n": number}, what=f"change {number}")
    await store.checkpoint()
    await put(store, "partners", {"id": "acme", "n": 8}, what="change 8")

    assert [e["seq"] async for e in store.audit()] == list(range(1, 9))
    assert [e["seq"] async for e in store.audit(since_seq=5)] == [6, 7, 8]
    entries = await collect(store.audit(since_seq=0))
    entries[0]["who"] = "mallory"
    assert [e["who"] async for e in store.audit()] == ["alice"] * 8
    await store.close()


# Eviction


async def test_owned_shards_leave_memory_only_once_written(location: Path | None) -> None:
    store = await Store.open(location, SCHEMA, cache_shards=3, checkpoint_every=1000)
    written = [f"p{number}" for number in range(3)]
    for owner in written:
        await put(store, "reports", report(owner, "2024-01"))
    for number in range(4):
        assert await store.get("reports", f"other{number}", "2024-01") is None
    assert store.stats.cached_shards == 4  # three ahead of their files, and the last read

    for owner in written:
        assert await store.get("reports", owner, "2024-01") == report(owner, "2024-01")
    await store.checkpoint()
    assert store.stats.cached_shards == 3
    for owner in written * 2:
        assert await store.get("reports", owner, "2024-01") == report(owner, "2024-01")
        await store.get("reports", "other0", "2024-01")
        assert store.stats.cached_shards <= 3
    await store.close()


async def test_too_many_dirty_shards_start_a_checkpoint(location: Path | None) -> None:
    store = await Store.open(location, SCHEMA, cache_shards=2, checkpoint_every=1000)
    for number in range(4):
        await put(store, "reports", report(f"p{number}", "2024-01"))
    await store.checkpoint()  # waits for the one the third owner started

    assert store.stats.checkpoint_seq == 4
    assert store.stats.dirty_shards == 0
    await store.close()


# Export and import


async def test_export_of_an_empty_store_has_every_key(store: Store) -> None:
    out = io.StringIO()
    await store.export(out)

    exported = json.loads(out.getvalue())

    assert exported["version"] == 1
    for key in ["partners", "reports", "reviews", "audit"]:
        assert exported[key] == []
    assert list(exported) == ["version", *(c.name for c in SCHEMA), "audit"]


async def fill(store: Store) -> None:
    for number in range(40):
        partner = f"partner-{number:02}"
        tx = store.begin("alice", NOW)
        tx.put("partners", {"id": partner, "company": f"Company {number}"}, what="applied")
        tx.put("members", {"username": f"user{number}", "partner": partner})
        for month in ["2024-01", "2024-02"]:
            tx.put("reports", report(partner, month, deals=[{"amount": "10.00"}]), what="filed")
        tx.put("reviews", {"partner": partner, "date": "2024-03-01", "result": "pass"})
        await tx.commit()
    tx = store.begin("bob", NOW)
    tx.delete("reports", "partner-00", "2024-01", what="dropped")
    await tx.commit()


async def test_export_import_round_trip(location: Path | None, tmp_path: Path) -> None:
    source = await Store.open(location, SCHEMA, cache_shards=4, checkpoint_every=7)
    await fill(source)
    first = io.StringIO()
    await source.export(first)
    await source.close()
    copy_at = None if location is None else tmp_path / "copy"
    copy = await Store.open(copy_at, SCHEMA, cache_shards=3)

    await copy.import_(io.StringIO(first.getvalue()))
    second = io.StringIO()
    await copy.export(second)

    assert second.getvalue() == first.getvalue()
    exported = json.loads(first.getvalue())
    assert len(exported["reports"]) == 79
    assert len(exported["audit"]) == 40 * 3 + 1
    assert copy.stats.seq == 41
    assert await copy.get("reports", "partner-07", "2024-02") == report(
        "partner-07", "2024-02", deals=[{"amount": "10.00"}]
    )
    assert await put(copy, "partners", {"id": "new"}, what="applied") == 42
    await copy.close()


async def test_an_import_survives_reopening(data: Path, tmp_path: Path) -> None:
    source = await Store.open(None, SCHEMA)
    await fill(source)
    exported = io.StringIO()
    await source.export(exported)
    copy = await Store.open(data, SCHEMA)
    await copy.import_(io.StringIO(exported.getvalue()))
    await copy.close(checkpoint=False)

    reopened = await Store.open(data, SCHEMA)
    again = io.StringIO()
    await reopened.export(again)

    assert again.getvalue() == exported.getvalue()
    await reopened.close()


async def test_import_refuses_a_store_with_data(store: Store) -> None:
    await put(store, "partners", {"id": "acme"})

    with pytest.raises(StorageError, match="holds partners"):
        await store.import_(io.StringIO('{"version": 1, "partners": [{"id": "globex"}]}'))
    assert await store.get("partners", "globex") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"version": 2, "partners": []}', "version 2"),
        ('{"partners": [{"id": "a"}]}', "version"),
        ('{"version": 1, "partner": [{"id": "a"}]}', "unknown collection"),
        ('{"version": 1, "partners": [{"id": "a"}, {"id": "a"}]}', "twice"),
        ('{"version": 1, "reports": [{"partner": "a"}]}', "month"),
        ('{"version": 1, "partners": [{"id": "a"}', "expected"),
        ('{"version": 1, "partners": {"id": "a"}}', "expected a list"),
        ('{"version": 1, "audit": [{"seq": 2}, {"seq": 1}]}', "ascending"),
        ('{"version": 1} []', "the end"),
    ],
)
async def test_a_bad_import_is_refused(store: Store, text: str, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        await store.import_(io.StringIO(text))

    assert await store.count("partners") == 0
    await store.import_(io.StringIO('{"version": 1, "partners": [{"id": "a"}]}'))
    assert await store.get("partners", "a") == {"id": "a"}


async def test_an_import_that_fails_late_leaves_nothing(location: Path | None) -> None:
    store = await Store.open(location, SCHEMA, cache_shards=1)
    reports = [report(f"p{n}", "2024-01") for n in range(5)] + [report("p0", "2024-01")]
    entries = [{"seq": 1, "what": "x"}] * 1500 + [{"seq": 2, "what": "y"}]
    text = json.dumps({"version": 1, "audit": entries, "seen": [{"id": "m"}], "reports": reports})

    with pytest.raises(StorageError, match="twice"):
        await store.import_(io.StringIO(text))

    assert await store.count("reports") == 0
    assert await store.count("seen") == 0
    assert await collect(store.audit()) == []
    if location is not None:
        assert files_under(location) == ["lock"]
    await store.import_(io.StringIO(text.replace('}, {"partner": "p0"', '}, {"partner": "p9"')))
    assert await store.count("reports") == 6
    assert len(await collect(store.audit())) == 1501
    await store.close()


async def test_import_reads_small_chunks() -> None:
    class Trickle:
        def __init__(self, text: str) -> None:
            self.text = text

        def read(self, size: int) -> str:
            head, self.text = self.text[:3], self.text[3:]
            return head

    store = await Store.open(None, SCHEMA)
    text = (
        '{ "version" : 1 ,\n "partners" : [ {"id": "a", "n": 12345} , {"id": "b"} ] , "audit":[]}'
    )

    await store.import_(Trickle(text))

    assert await store.get("partners", "a") == {"id": "a", "n": 12345}
    assert await store.count("partners") == 2


# Files on disk


async def test_reopen_after_close(data: Path) -> None:
    store = await Store.open(data, SCHEMA)
    await fill(store)
    await store.close()

    store = await Store.open(data, SCHEMA)

    assert await store.get("partners", "partner-39") == {
        "id": "partner-39",
        "company": "Company 39",
    }
    assert await store.count("reports") == 79
    assert len(await collect(store.audit())) == 121
    assert store.stats.seq == 41
    assert await put(store, "partners", {"id": "x"}) == 42
    await store.close()


async def test_reopen_after_a_crash_replays_the_journal(data: Path) -> None:
    store = await Store.open(data, SCHEMA)
    await fill(store)
    await store.checkpoint()
    await put(store, "reports", report("partner-00", "2024-01", "again"), what="refiled")
    await put(store, "partners", {"id": "partner-40"}, what="applied")
    tx = store.begin("bob", NOW)
    tx.delete("reviews", "partner-01", "2024-03-01", what="dropped")
    await tx.commit()
    await store.close(checkpoint=False)  # as a crash leaves it: the journal not folded in
    [segment] = (data / "journal").iterdir()  # started after the checkpoint
    assert segment.name == "0000000000000042.log"
    assert len(segment.read_bytes().splitlines()) == 3  # one group a commit, one at a time

    store = await Store.open(data, SCHEMA)

    assert await store.get("reports", "partner-00", "2024-01") == report(
        "partner-00", "2024-01", "again"
    )
    assert await store.get("partners", "partner-40") == {"id": "partner-40"}
    assert await store.get("reviews", "partner-01", "2024-03-01") is None
    assert await store.count("reports") == 80
    assert [e["what"] async for e in store.audit(since_seq=40)] == [
        "dropped",
        "refiled",
        "applied",
        "dropped",
    ]
    assert store.stats.seq == 44
    await store.close()


async def test_a_checkpoint_folds_the_journal_into_tinydb_files(data: Path) -> None:
    store = await Store.open(data, SCHEMA)
    await put(store, "reports", report("acme", "2024-01"), what="filed")
    await put(store, "partners", {"id": "acme"})
    await store.checkpoint()

    assert list((data / "journal").iterdir()) == []
    assert json.loads((data / "checkpoint.json").read_text()) == {"seq": 2}
    assert [p.name for p in (data / "audit").iterdir()] == ["0000000000000002.jsonl"]

    class KeyedTable(Table):
        document_id_class = str  # type: ignore[assignment]  # TinyDB's documented override

    class KeyedTinyDB(TinyDB):
        table_class = KeyedTable

    with KeyedTinyDB(data / "reports" / "acme.json", storage=AtomicJSONStorage) as db:
        assert db.table("reports").get(doc_id="acme/2024-01") == report("acme", "2024-01")
    await store.close()
    store = await Store.open(data, SCHEMA)
    assert await store.get("reports", "acme", "2024-01") == report("acme", "2024-01")
    await store.close()


def test_the_atomic_storage_removes_an_empty_database(tmp_path: Path) -> None:
    storage = AtomicJSONStorage(tmp_path / "shard.json")
    storage.write({"t": {"k": {"k": "k"}}})
    assert storage.read() == {"t": {"k": {"k": "k"}}}

    storage.write({"t": {}})

    assert storage.read() is None
    assert list(tmp_path.iterdir()) == []


async def test_one_process_at_a_time(data: Path) -> None:
    store = await Store.open(data, SCHEMA)

    with pytest.raises(StorageError, match="in use"):
        await Store.open(data, SCHEMA)
    await store.close()
    await (await Store.open(data, SCHEMA)).close()


async def test_temporary_files_are_ignored(data: Path) -> None:
    store = await Store.open(data, SCHEMA)
    await put(store, "reports", report("acme", "2024-01"))
    await store.close(checkpoint=False)
    (data / "journal" / ".0000000000000002.json.tmp").write_text('{"seq": 2, "wri')
    (data / "reports" / ".acme.json.tmp").write_text("{")

    store = await Store.open(data, SCHEMA)

    assert await store.get("reports", "acme", "2024-01") == report("acme", "2024-01")
    assert store.stats.seq == 1
    assert not (data / "reports" / ".acme.json.tmp").exists()
    await store.close()


async def test_a_corrupt_journal_file_is_named(data: Path) -> None:
    store = await Store.open(data, SCHEMA)
    await put(store, "partners", {"id": "acme"})
    await store.close(checkpoint=False)
    journal = data / "journal" / "0000000000000001.json"
    journal.write_text('{"seq": 1, "wri')

    with pytest.raises(StorageError, match=re.escape(str(journal))):
        await Store.open(data, SCHEMA)


async def test_a_corrupt_shard_file_is_named(data: Path) -> None:
    store = await Store.open(data, SCHEMA)
    await put(store, "partners", {"id": "acme"})
    await put(store, "reports", report("acme", "2024-01"))
    await store.close()
    (data / "reports" / "acme.json").write_text('{"reports": {')

    store = await Store.open(data, SCHEMA)
    with pytest.raises(StorageError, match=re.escape(str(data / "reports" / "acme.json"))):
        await store.get("reports", "acme", "2024-01")
    await store.close()
    [bucket] = (data / "partners").iterdir()
    bucket.write_text("[]")
    with pytest.raises(StorageError, match=re.escape(str(bucket))):
        await Store.open(data, SCHEMA)


async def test_a_missing_journal_file_is_named(data: Path) -> None:
    for _start in range(2):  # each opening starts a segment: 1.log, then 4.log
        store = await Store.open(data, SCHEMA)
        for number in range(3):
            await put(store, "partners", {"id": f"p{number}"})
        await store.close(checkpoint=False)
    assert sorted(p.name for p in (data / "journal").iterdir()) == [
        "0000000000000001.log",
        "0000000000000004.log",
    ]
    (data / "journal" / "0000000000000001.log").unlink()

    with pytest.raises(StorageError, match="transaction 1 is missing"):
        await Store.open(data, SCHEMA)


async def test_an_unexpected_file_is_named(data: Path) -> None:
    await (await Store.open(data, SCHEMA)).close()
    (data / "partners" / "notes.txt").write_text("hello")

    with pytest.raises(StorageError, match=re.escape("notes.txt")):
        await Store.open(data, SCHEMA)


async def test_an_interrupted_checkpoint_leaves_no_duplicate_audit(data: Path) -> None:
    store = await Store.open(data, SCHEMA)
    await put(store, "partners", {"id": "acme", "n": 1}, what="first")
    await put(store, "partners", {"id": "acme", "n": 2}, what="second")
    entries = await collect(store.audit())
    await store.close(checkpoint=False)
    # The segment was written, then the crash came before checkpoint.json.
    segment = data / "audit" / "0000000000000002.jsonl"
    segment.write_text("".join(json.dumps(entry) + "\n" for entry in entries))

    store = await Store.open(data, SCHEMA)
    await put(store, "partners", {"id": "acme", "n": 3}, what="third")
    await store.close()

    store = await Store.open(data, SCHEMA)
    assert [e["what"] async for e in store.audit()] == ["first", "second", "third"]
    await store.close()


async def test_a_failed_write_stops_the_store(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = await Store.open(data, SCHEMA)
    await put(store, "partners", {"id": "acme"})

    def disk_full(journal: Journal, records: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Journal, "append", disk_full)
    with pytest.raises(StorageError, match="No space left"):
        await put(store, "partners", {"id": "globex"})
    with pytest.raises(StorageError, match="no more writes"):
        store.begin("alice", NOW)
    assert await store.get("partners", "acme") == {"id": "acme"}
    assert await store.get("partners", "globex") is None
    with pytest.raises(StorageError, match="no more writes"):
        await store.close()
    monkeypatch.undo()

    store = await Store.open(data, SCHEMA)
    assert await store.count("partners") == 1
    await store.close()


async def test_a_failed_checkpoint_stops_the_store_and_loses_nothing(
    data: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def disk_full(self: FileDisk, shards: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileDisk, "write_shards", disk_full)
    store = await Store.open(data, SCHEMA, checkpoint_every=1)
    await put(store, "partners", {"id": "acme"})
    await put(store, "partners", {"id": "globex"})  # starts a checkpoint, which fails

    with pytest.raises(StorageError, match="no more writes"):
        await store.close()
    assert "checkpoint of" in caplog.text
    monkeypatch.undo()
    store = await Store.open(data, SCHEMA)
    assert await store.count("partners") == 2
    await store.close()


async def test_a_closed_store_refuses_work(store: Store) -> None:
    await store.close()
    await store.close()

    with pytest.raises(StorageError, match="closed"):
        store.begin("alice", NOW)
    with pytest.raises(StorageError, match="closed"):
        await store.get("partners", "acme")


def test_collection_names_and_keys_are_checked() -> None:
    with pytest.raises(ValueError):
        Collection("audit", key=("id",))
    with pytest.raises(ValueError):
        Collection("Partners", key=("id",))
    with pytest.raises(ValueError):
        Collection("partners", key=())
    with pytest.raises(ValueError):
        Collection("owned", key=("id",), owned=True).owner_shard("x" * 300)


async def test_a_data_directory_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")

    with pytest.raises(StorageError, match=re.escape(str(tmp_path / "taken"))):
        await Store.open(tmp_path / "taken", SCHEMA)


# Group commit: transactions ready together share one journal write


async def test_concurrent_commits_are_written_in_groups(data: Path) -> None:
    store = await Store.open(data, SCHEMA)
    await put(store, "partners", {"id": "acme", "n": 0}, what="first")
    writes: list[int] = []
    append = Journal.append

    def counting(journal: Journal, records: list[Any]) -> None:
        writes.append(len(records))
        append(journal, records)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Journal, "append", counting)

        async def bump(number: int) -> int:
            tx = store.begin(f"user{number}", NOW)
            tx.put("partners", {"id": "acme", "n": number}, what=f"bump {number}")
            tx.put("seen", {"id": f"m{number}"})
            return await tx.commit()

        seqs = await asyncio.gather(*(bump(number) for number in range(1, 51)))

    assert sorted(seqs) == list(range(2, 52))
    assert sum(writes) == 50
    assert len(writes) <= 3  # the first alone, then those that queued meanwhile
    assert await store.count("seen") == 50
    # Each audit entry's "before" is what the transaction before it left, also within a group.
    entries = [e async for e in store.audit()]
    assert [(e["before"]["n"], e["after"]["n"]) for e in entries[1:]] == [
        (number - 1, number) for number in range(1, 51)
    ]
    await store.close(checkpoint=False)

    store = await Store.open(data, SCHEMA)  # the groups replay as they were written
    assert await store.get("partners", "acme") == {"id": "acme", "n": 50}
    assert len([e async for e in store.audit()]) == 51
    await store.close()


async def test_a_conflict_is_found_against_a_group_not_yet_written(store: Store) -> None:
    await put(store, "partners", {"id": "acme", "n": 0})
    first = store.begin("alice", NOW)
    first.put("partners", {"id": "acme", "n": 1})
    second = store.begin("bob", NOW)
    assert await second.get("partners", "acme") == {"id": "acme", "n": 0}
    second.put("partners", {"id": "acme", "n": 2})

    writing = asyncio.create_task(first.commit())
    await asyncio.sleep(0)  # validated and queued, maybe not written yet
    with pytest.raises(Conflict):
        await second.commit()
    assert await writing == 2
    assert await store.get("partners", "acme") == {"id": "acme", "n": 1}


async def test_a_torn_last_group_is_cut_and_the_rest_kept(data: Path) -> None:
    store = await Store.open(data, SCHEMA)
    for number in range(3):
        await put(store, "partners", {"id": f"p{number}"})
    await store.close(checkpoint=False)
    [segment] = (data / "journal").iterdir()
    whole = segment.read_bytes()
    lines = whole.splitlines(keepends=True)
    segment.write_bytes(b"".join(lines[:2]) + lines[2][: len(lines[2]) // 2])  # a crash mid-write

    store = await Store.open(data, SCHEMA)
    assert [doc["id"] async for doc in store.scan("partners")] == ["p0", "p1"]
    assert segment.read_bytes() == b"".join(lines[:2])
    assert await put(store, "partners", {"id": "p3"}) == 3
    await store.close(checkpoint=False)
    store = await Store.open(data, SCHEMA)
    assert sorted([doc["id"] async for doc in store.scan("partners")]) == ["p0", "p1", "p3"]
    await store.close()


async def test_damage_before_a_good_group_is_an_error_naming_the_file(data: Path) -> None:
    store = await Store.open(data, SCHEMA)
    for number in range(3):
        await put(store, "partners", {"id": f"p{number}"})
    await store.close(checkpoint=False)
    [segment] = (data / "journal").iterdir()
    lines = segment.read_bytes().splitlines(keepends=True)
    segment.write_bytes(lines[0] + lines[1].replace(b"p1", b"q1") + lines[2])

    with pytest.raises(StorageError, match=re.escape(f"{segment} is corrupt")):
        await Store.open(data, SCHEMA)


async def test_journal_files_of_the_earlier_format_are_replayed(data: Path) -> None:
    store = await Store.open(data, SCHEMA)
    await put(store, "partners", {"id": "acme"}, what="applied")
    await store.close()
    older = {
        "seq": 2,
        "writes": [{"collection": "partners", "key": "globex", "doc": {"id": "globex"}}],
        "audit": [{"seq": 2, "what": "applied", "key": "globex"}],
    }
    (data / "journal" / "0000000000000002.json").write_text(json.dumps(older))

    store = await Store.open(data, SCHEMA)
    assert await store.get("partners", "globex") == {"id": "globex"}
    assert await put(store, "partners", {"id": "initech"}, what="applied") == 3
    await store.checkpoint()
    assert list((data / "journal").iterdir()) == []
    assert [e["key"] async for e in store.audit()] == ["acme", "globex", "initech"]
    await store.close()


async def test_a_transaction_run_exclusively_never_conflicts(store: Store) -> None:
    await put(store, "cursors", {"room": "r", "count": 0})
    stop = asyncio.Event()

    async def hammer() -> None:  # keeps changing what the other one reads
        while not stop.is_set():
            tx = store.begin("bot", NOW)
            cursor = await tx.get("cursors", "r")
            assert cursor is not None
            tx.put("cursors", cursor | {"count": cursor["count"] + 1})
            with contextlib.suppress(Conflict):
                await tx.commit()
            await asyncio.sleep(0)

    hammers = [asyncio.create_task(hammer()) for _ in range(5)]
    try:
        for _ in range(20):
            async with store.exclusive():
                tx = store.begin("alice", NOW)
                cursor = await tx.get("cursors", "r")
                assert cursor is not None
                await asyncio.sleep(0)  # the others get to run, but not to commit
                tx.put("cursors", cursor | {"alice": cursor.get("alice", 0) + 1})
                await tx.commit()
            for _ in range(10):
                await asyncio.sleep(0)  # the others commit between the exclusive runs
    finally:
        stop.set()
        await asyncio.gather(*hammers)
    cursor = await store.get("cursors", "r")
    assert cursor is not None and cursor["alice"] == 20 and cursor["count"] > 0
