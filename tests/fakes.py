"""Small builders shared by the unit tests: messages, a settable clock, a test registry."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chat.base import Incoming, Room, RoomKind, User

BOT = User("bot-id", "partnerbot", "Partner Bot")
DM = Room("dm-alice", RoomKind.DIRECT, "alice")
GROUP = Room("room-acme", RoomKind.PRIVATE, "acme")
_ids = itertools.count(1)


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 26, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def user(name: str) -> User:
    return User(f"id-{name}", name, name.title())


def message(
    text: str,
    *,
    sender: str = "alice",
    room: Room = DM,
    id: str | None = None,
    thread: str | None = None,
) -> Incoming:
    return Incoming(
        id or f"msg{next(_ids)}",
        room,
        user(sender),
        text,
        datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
        thread,
    )
