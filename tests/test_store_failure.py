"""A failed disk is visible and recoverable: once a write fails, the store takes no more
work, `/healthz` answers 503, the bot stops with an error after saying why in its log (so
that its supervisor restarts it), and nothing acknowledged is lost: after the restart the
commands answered before are there once, and the command whose write failed is handled
again and answered once.

The disk fills up in-process: `storage.journal`'s `os` is replaced by one whose writes
take only the bytes left and then fail with ENOSPC, leaving a torn group in the journal,
as a full disk does.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import bot
import storage.journal
from chat.base import Incoming, Room, RoomKind
from chat.clock import Clock as SystemClock
from chat.health import serve_health
from config import Settings
from engine.dispatch import Dispatcher
from engine.outbox import Outbox
from engine.registry import Registry
from engine.runner import Runner
from storage import SCHEMA, StorageError, Store
from tests.botprocess import BOT_PASSWORD, free_port
from tests.emulator import RocketChatEmulator
from tests.fakes import Clock, FakeChat, FakeWeb, user
from tests.test_runner import QueueTransport

APPLY = (
    '/onboard company="{company}" type=hosting website=https://{slug}.example '
    "email=partners@{slug}.example"
)
SETTINGS = Settings(managers=frozenset({"maria"}))
WAIT = 60.0


def apply(company: str) -> str:
    return APPLY.format(company=company, slug=company.lower())


class FillingDisk:
    """`os` for `storage.journal`: with `room` set, writes take at most that many bytes
    more, then fail with ENOSPC."""

    def __init__(self) -> None:
        self.room: int | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def write(self, fd: int, data: bytes | memoryview) -> int:
        if self.room is None:
            return os.write(fd, data)
        if self.room == 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written = os.write(fd, bytes(data[: self.room]))
        self.room -= written
        return written


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> FillingDisk:
    filling = FillingDisk()
    monkeypatch.setattr(storage.journal, "os", filling)
    return filling


async def _partner_ids(store: Store) -> list[str]:
    return [doc["id"] async for doc in store.scan("partners")]


# --- the store ---------------------------------------------------------------------------


async def test_a_failed_write_is_not_acknowledged_and_stops_the_store(
    tmp_path: Path, disk: FillingDisk
) -> None:
    store = await Store.open(tmp_path, SCHEMA)
    now = Clock()()
    first = store.begin("alice", now)
    first.put("cursors", {"room": "r1", "ts": now.isoformat()})
    await first.commit()
    assert store.failure is None
    disk.room = 10  # the next group is torn after 10 bytes
    second = store.begin("bob", now)
    second.put("cursors", {"room": "r2", "ts": now.isoformat()})
    with pytest.raises(StorageError, match="No space left on device"):
        await second.commit()
    assert isinstance(store.failure, StorageError)
    assert isinstance(store.failure.__cause__, OSError)
    assert store.failure.__cause__.errno == errno.ENOSPC
    assert await asyncio.wait_for(store.failed(), 1) is store.failure
    with pytest.raises(StorageError, match="takes no more writes"):
        store.begin("carol", now)
    with pytest.raises(StorageError):
        await store.close()
    disk.room = None  # space is back
    store = await Store.open(tmp_path, SCHEMA)
    assert await store.get("cursors", "r1") is not None
    assert await store.get("cursors", "r2") is None  # never acknowledged
    third = store.begin("carol", now)
    third.put("cursors", {"room": "r3", "ts": now.isoformat()})
    await third.commit()
    await store.close()


# --- the runner --------------------------------------------------------------------------


def _message(number: int, sender: str, text: str) -> Incoming:
    room = Room(f"dm-{sender}", RoomKind.DIRECT, sender)
    return Incoming(f"m{number}", room, user(sender), text, Clock()())


def _runner(store: Store, transport: QueueTransport) -> Runner:
    registry = Registry.discover()

    def dispatcher(me: Any, outbox: Outbox) -> Dispatcher:
        return Dispatcher(registry, store, SETTINGS, Clock(), me, FakeChat(), FakeWeb(), outbox)

    return Runner(transport, store, dispatcher, Clock())


async def test_the_runner_stops_with_an_error_and_loses_nothing_acknowledged(
    tmp_path: Path, disk: FillingDisk, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = _message(1, "alice", apply("Acme")), _message(2, "bob", apply("Bobco"))
    store = await Store.open(tmp_path, SCHEMA)
    transport = QueueTransport()
    running = asyncio.create_task(_runner(store, transport).run())
    transport.incoming.put_nowait(alice)
    await _first_text(transport)
    disk.room = 0  # the disk is full
    transport.incoming.put_nowait(bob)
    with (
        caplog.at_level(logging.CRITICAL, logger="engine.runner"),
        pytest.raises(StorageError, match="stopped after a failed write"),
    ):
        await asyncio.wait_for(running, 5)  # it stops by itself, it does not hang
    assert "a write to the data directory failed" in caplog.text
    assert {out.id[:3] for out in transport.sent} == {"m1r"}  # bob's command is not answered
    alice_replies = len(transport.sent)
    with pytest.raises(StorageError):
        await store.close()

    disk.room = None  # the supervisor starts the bot again, the disk fixed
    store = await Store.open(tmp_path, SCHEMA)
    assert await _partner_ids(store) == ["acme"]  # acknowledged, so on disk
    transport = QueueTransport()
    running = asyncio.create_task(_runner(store, transport).run())
    for message in (alice, bob):  # the catch-up fetches both again: alice's was handled
        transport.incoming.put_nowait(message)
    transport.incoming.put_nowait(None)
    await asyncio.wait_for(running, 5)
    # bob's replies once; alice's again only if still in the outbox, with the same ids
    # (which the server recognises), never from handling her command twice
    resent = [out.id for out in transport.sent]
    assert [i for i in resent if i.startswith("m2r")] == [f"m2r{n}" for n in (1, 2)]
    assert {i for i in resent if not i.startswith("m2r")} <= {f"m1r{n}" for n in (1, 2)}
    assert alice_replies == 2
    assert sorted(await _partner_ids(store)) == ["acme", "bobco"]
    await store.close()


async def _first_text(transport: QueueTransport) -> str:
    async with asyncio.timeout(5):
        while not transport.sent:
            transport.sent_event.clear()
            await transport.sent_event.wait()
    return transport.sent[0].text


# --- /healthz ----------------------------------------------------------------------------


async def test_healthz_answers_503_as_soon_as_the_store_has_failed(
    tmp_path: Path, disk: FillingDisk
) -> None:
    store = await Store.open(tmp_path, SCHEMA)
    port = free_port()

    async def metrics() -> str:
        return ""

    health = await serve_health(
        port, lambda: bot.health_problem(lambda: True, store), metrics, host="127.0.0.1"
    )
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as answer:
                assert answer.status == 200
            disk.room = 0
            tx = store.begin("alice", Clock()())
            tx.put("cursors", {"room": "r1", "ts": Clock()().isoformat()})
            with pytest.raises(StorageError):
                await tx.commit()
            async with http.get(url) as answer:
                assert answer.status == 503
                assert "a write to the data directory failed" in await answer.text()
    finally:
        await health.cleanup()
        with pytest.raises(StorageError):
            await store.close()
    assert bot.health_problem(lambda: False, await Store.open(None, SCHEMA)) == (
        "not connected to Rocket.Chat"
    )


# --- the bot, in-process, against the emulator -------------------------------------------


@pytest.fixture
async def emu() -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator(seed=5) as emulator:
        emulator.add_user("partnerbot", BOT_PASSWORD, name="Partner Bot", roles=("bot",))
        for name in ("alice", "bob", "maria"):
            emulator.add_user(name, "pw")
        yield emulator


@pytest.mark.slow
async def test_the_bot_stops_and_a_restart_answers_what_failed(
    emu: RocketChatEmulator, tmp_path: Path, disk: FillingDisk
) -> None:
    settings = Settings(
        url=emu.url,
        user="partnerbot",
        password=BOT_PASSWORD,
        managers=frozenset({"maria"}),
        data=tmp_path / "data",
    )

    def subscribed() -> bool:
        return emu.active_subscriptions("partnerbot") == 1

    def reply_to(command: dict[str, Any]) -> list[dict[str, Any]]:
        return [m for m in emu.sent_by("partnerbot") if m["_id"] == command["_id"] + "r1"]

    running = asyncio.create_task(bot.serve_rocketchat(settings, SystemClock()))
    try:
        await emu.wait_until(subscribed, timeout=WAIT)
        first = await emu.post("alice", emu.dm("alice", "partnerbot").id, apply("Acme"))
        await emu.wait_until(lambda: bool(reply_to(first)), timeout=WAIT)
        disk.room = 0
        second = await emu.post("bob", emu.dm("bob", "partnerbot").id, apply("Bobco"))
        with pytest.raises(StorageError, match="stopped after a failed write"):
            await asyncio.wait_for(running, WAIT)
        assert reply_to(second) == []
    finally:
        running.cancel()
    disk.room = None
    await emu.wait_until(lambda: not subscribed(), timeout=WAIT)
    restarted = asyncio.create_task(bot.serve_rocketchat(settings, SystemClock()))
    try:
        await emu.wait_until(lambda: bool(reply_to(second)), timeout=WAIT)
        assert len(reply_to(first)) == 1 and len(reply_to(second)) == 1
        assert "Bobco" in reply_to(second)[0]["msg"]
    finally:
        stoppable = callable(signal.getsignal(signal.SIGTERM))  # the bot's handler is in place
        if stoppable and not restarted.done():
            os.kill(os.getpid(), signal.SIGTERM)  # the bot's own way to stop
        else:
            restarted.cancel()
    assert await asyncio.wait_for(restarted, WAIT) == 0
