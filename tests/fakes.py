"""Small builders shared by the unit tests: messages, a settable clock, a test registry."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chat.base import Incoming, NameTaken, Room, RoomKind, User
from workflows.listing import ListingCheck

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
    room: Room | None = None,
    id: str | None = None,
    thread: str | None = None,
) -> Incoming:
    """`sender` writes `text` in `room` (default: their DM with the bot)."""
    return Incoming(
        id or f"msg{next(_ids)}",
        room or Room(f"dm-{sender}", RoomKind.DIRECT, sender),
        user(sender),
        text,
        datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
        thread,
    )


class FakeChat:
    """`ChatActions` in memory: rooms are named after what was asked. The names in `taken`
    belong to rooms the bot did not make; `creators` says who made a room, by name (the bot,
    unless it says otherwise)."""

    me = BOT

    def __init__(self) -> None:
        self.groups: dict[str, tuple[str, ...]] = {}
        self.taken: set[str] = set()
        self.creators: dict[str, str | None] = {}
        self.uploads: dict[str, bytes] = {}  # by file name
        self.uploaded: list[tuple[str, str, str]] = []  # (room id, file name, description)
        self.languages: dict[str, str] = {}  # the users' chat languages, by username
        self.server: str | None = None  # the server's default language
        self.asked: list[str] = []  # the language look-ups, in order ("" for the server's)

    async def direct_room(self, username: str) -> str:
        return f"dm-{username}"

    async def room_named(self, name: str) -> str | None:
        return f"room-{name}" if name in self.groups else None

    async def room_creator(self, room_id: str) -> str | None:
        return self.creators.get(room_id.removeprefix("room-"), BOT.username)

    async def create_group(self, name: str, members: Sequence[str]) -> str:
        if name in self.taken:
            raise NameTaken(f"{name} is taken by a room that I did not make")
        self.groups.setdefault(name, tuple(members))  # a group the bot made stays as it is
        return f"room-{name}"

    async def add_members(self, room_id: str, usernames: Sequence[str]) -> None:
        name = room_id.removeprefix("room-")
        self.groups[name] = (
            *self.groups[name],
            *(u for u in usernames if u not in self.groups[name]),
        )

    async def remove_members(self, room_id: str, usernames: Sequence[str]) -> None:
        name = room_id.removeprefix("room-")
        self.groups[name] = tuple(u for u in self.groups[name] if u not in usernames)

    async def room_members(self, room_id: str) -> list[str]:
        return list(self.groups[room_id.removeprefix("room-")])

    async def upload(
        self, room_id: str, filename: str, chunks: AsyncIterator[bytes], *, description: str = ""
    ) -> None:
        self.uploads[filename] = b"".join([chunk async for chunk in chunks])
        self.uploaded.append((room_id, filename, description))

    async def user_language(self, username: str) -> str | None:
        self.asked.append(username)
        return self.languages.get(username)

    async def server_language(self) -> str | None:
        self.asked.append("")
        return self.server


class FakeWeb:
    """`PageChecker` without a network: every page mentions the vendor, unless told."""

    def __init__(self, mentions: bool = True) -> None:
        self.mentions = mentions
        self.checked: list[str] = []

    async def check(self, url: str) -> ListingCheck:
        self.checked.append(url)
        return ListingCheck.read(url, url, mentions=self.mentions)
