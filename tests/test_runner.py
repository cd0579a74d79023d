"""The runner: rooms run side by side, a room's commands in order, listening never waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

from chat.base import DeliveryError, Incoming, Outgoing, Room, RoomKind, User
from config import Settings
from engine.dispatch import Dispatcher
from engine.framework import Command, Context, Role
from engine.outbox import Outbox
from engine.registry import Registry
from engine.runner import Runner
from storage import SCHEMA, Store
from tests.fakes import BOT, Clock, FakeChat, FakeWeb, message

ROOM_A = Room("room-a", RoomKind.PRIVATE, "a")
ROOM_B = Room("room-b", RoomKind.PRIVATE, "b")


class QueueTransport:
    """A transport fed by the test, recording what is sent."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[Incoming | None] = asyncio.Queue()
        self.sent: list[Outgoing] = []
        self.sent_event = asyncio.Event()

    @property
    def me(self) -> User:
        return BOT

    async def connect(self) -> None:
        return None

    async def listen(
        self, since: Callable[[str], Awaitable[datetime | None]]
    ) -> AsyncIterator[Incoming]:
        while (item := await self.incoming.get()) is not None:
            yield item

    async def send(self, out: Outgoing) -> None:
        self.sent.append(out)
        self.sent_event.set()

    async def disconnect(self) -> None:
        return None

    async def direct_room(self, username: str) -> str:
        return f"dm-{username}"

    async def room_named(self, name: str) -> str | None:
        return None

    async def room_creator(self, room_id: str) -> str | None:
        return BOT.username

    async def create_group(self, name: str, members: object) -> str:
        return f"room-{name}"

    async def add_members(self, room_id: str, usernames: object) -> None:
        return None

    async def remove_members(self, room_id: str, usernames: object) -> None:
        return None

    async def room_members(self, room_id: str) -> list[str]:
        return []

    async def upload(
        self, room_id: str, filename: str, chunks: AsyncIterator[bytes], *, description: str = ""
    ) -> None:
        async for _chunk in chunks:
            pass

    async def user_language(self, username: str) -> str | None:
        return None

    async def server_language(self) -> str | None:
        return None

    async def sent_text(self, text: str) -> None:
        async with asyncio.timeout(5):  # fail, do not hang, if it never comes
            while not any(out.text == text for out in self.sent):
                self.sent_event.clear()
                await self.sent_event.wait()


async def test_a_slow_command_holds_its_room_only() -> None:
    release = asyncio.Event()

    async def slow(ctx: Context) -> None:
        """Waits until the test releases it."""
        await release.wait()
        ctx.reply(f"slow {ctx.args.words[0]}")

    async def fast(ctx: Context) -> None:
        """Answers at once."""
        ctx.reply(f"fast {ctx.args.words[0]}")

    commands = [
        Command(
            name=name,
            summary=name,
            usage="<n>",
            example=f"/{name} 1",
            roles=frozenset({Role.ANYONE}),
            handler=handler,
            private=False,  # answered in the room it was typed in
        )
        for name, handler in (("slow", slow), ("fast", fast))
    ]
    store = await Store.open(None, SCHEMA)
    transport = QueueTransport()

    def make(me: User, outbox: Outbox) -> Dispatcher:
        return Dispatcher(
            Registry(commands), store, Settings(), Clock(), me, FakeChat(), FakeWeb(), outbox
        )

    runner = Runner(transport, store, make, Clock())
    running = asyncio.create_task(runner.run())
    transport.incoming.put_nowait(message("/slow 1", room=ROOM_A, sender="alice"))
    transport.incoming.put_nowait(message("/fast 2", room=ROOM_A, sender="bob"))
    transport.incoming.put_nowait(message("/fast 3", room=ROOM_B, sender="alice"))
    await transport.sent_text("fast 3")  # room B is not held up by room A
    assert [out.text for out in transport.sent] == ["fast 3"]  # room A keeps its order
    release.set()
    await transport.sent_text("fast 2")
    assert [out.text for out in transport.sent] == ["fast 3", "slow 1", "fast 2"]
    transport.incoming.put_nowait(None)
    await running
    await store.close()


class AwayTransport(QueueTransport):
    """A server that takes no message: every send fails, as if it were away."""

    async def send(self, out: Outgoing) -> None:
        raise DeliveryError("the server is away")


async def test_a_stop_does_not_hang_on_a_server_that_is_away() -> None:
    async def ask(ctx: Context) -> None:
        ctx.reply("an answer that changes nothing")

    async def keep(ctx: Context) -> None:
        ctx.tx.put("terms", {"partner": "acme", "rates": {}})
        ctx.reply("kept")

    commands = [
        Command(
            name=name,
            summary=name,
            usage="",
            example=f"/{name}",
            roles=frozenset({Role.ANYONE}),
            handler=handler,
            private=False,  # answered in the room it was typed in
        )
        for name, handler in (("ask", ask), ("keep", keep))
    ]
    store = await Store.open(None, SCHEMA)
    transport = AwayTransport()

    def make(me: User, outbox: Outbox) -> Dispatcher:
        return Dispatcher(
            Registry(commands), store, Settings(), Clock(), me, FakeChat(), FakeWeb(), outbox
        )

    runner = Runner(transport, store, make, Clock(), shutdown_grace=0.05)
    asked, kept = message("/ask", room=ROOM_A), message("/keep", room=ROOM_B)
    for item in (asked, kept, None):
        transport.incoming.put_nowait(item)
    await asyncio.wait_for(runner.run(), 5)
    # the stored reply waits in the outbox; the question will be handled again (its record
    # is not stored and the cursor of its room stays before it)
    assert [doc["text"] async for doc in store.scan("outbox")] == ["kept"]
    assert await store.get("seen", kept.id) is not None
    assert await store.get("seen", asked.id) is None
    assert [doc["room"] async for doc in store.scan("cursors")] == [ROOM_B.id]
    await store.close()
