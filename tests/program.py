"""A harness for the partner-program commands: the real dispatcher and registry over an
in-memory store, with fake chat actions and web checks, and a clock the test moves."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chat.base import Incoming, Outgoing, Room, RoomKind
from config import Settings
from engine.dispatch import Dispatcher
from engine.framework import Languages
from engine.registry import Registry
from storage import Store
from tests.fakes import BOT, Clock, FakeChat, FakeWeb, user

SETTINGS = Settings(managers=frozenset({"maria", "joao"}))


@dataclass
class Said:
    """What the bot said after one message: the replies in that room, and the rest."""

    status: str
    here: list[str]
    elsewhere: dict[str, list[str]] = field(default_factory=dict)
    attachments: list[Mapping[str, Any]] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)  # every message, as sent

    @property
    def text(self) -> str:
        return "\n".join(self.here)


class Program:
    def __init__(
        self, store: Store, settings: Settings = SETTINGS, languages: Languages | None = None
    ) -> None:
        """`languages`: whose language each message is in (default: everyone English)."""
        self.store = store
        self.clock = Clock()
        self.chat = FakeChat()
        self.web = FakeWeb()
        self.dispatcher = Dispatcher(
            Registry.discover(),
            store,
            settings,
            self.clock,
            BOT,
            self.chat,
            self.web,
            languages=languages,
        )
        self._ids = itertools.count(1)

    def message(
        self, sender: str, text: str, room: str | Room | None = None, thread: str | None = None
    ) -> Incoming:
        """The message `sender` writes in `room` (as `say`), not yet handled."""
        where = (
            Room(f"dm-{sender}", RoomKind.DIRECT, sender)
            if room is None
            else Room(f"room-{room}", RoomKind.PRIVATE, room)
            if isinstance(room, str)
            else room
        )
        return Incoming(f"m{next(self._ids)}", where, user(sender), text, self.clock(), thread)

    async def say(
        self, sender: str, text: str, room: str | Room | None = None, thread: str | None = None
    ) -> Said:
        """`sender` writes `text` in `room` (default: their DM with the bot; a name is a
        private group's)."""
        message = self.message(sender, text, room, thread)
        where = message.room
        outcome = await self.dispatcher.handle(message)
        for action in outcome.followups:  # as the runner does, once the replies are out
            await action()
        said = Said(outcome.status, [], sent=list(outcome.replies))
        for out in outcome.replies:
            if out.room_id == where.id:
                said.here.append(out.text)
            else:
                said.elsewhere.setdefault(out.room_id, []).append(out.text)
            said.attachments.extend(out.attachments)
        return said

    async def say_all(self, steps: list[tuple[str, str]]) -> None:
        """Each (sender, text) in turn, in the sender's DM; each must be carried out."""
        for sender, text in steps:
            said = await self.say(sender, text)
            assert said.status == "done", (text, said.text)

    async def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Everything the program stores (not the bot's bookkeeping)."""
        return {
            name: [doc async for doc in self.store.scan(name)] for name in ("partners", "members")
        }
