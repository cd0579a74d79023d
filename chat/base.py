"""The one transport boundary: plain values in and out, and the `Transport` protocol.

The core sees only `Incoming` messages and hands back `Outgoing` ones; the Rocket.Chat
transport and the local console are two implementations of `Transport`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class RoomKind(StrEnum):
    """Rocket.Chat's room types (`t`)."""

    PUBLIC = "c"
    PRIVATE = "p"
    DIRECT = "d"
    LIVECHAT = "l"


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Room:
    id: str
    kind: RoomKind
    name: str = ""


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message a person wrote in a room the bot is in."""

    id: str
    room: Room
    user: User
    text: str
    ts: datetime
    thread: str | None = None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message the bot sends. `id` is chosen by the bot, so a resend can be recognised."""

    id: str
    room_id: str
    text: str
    thread: str | None = None
    attachments: tuple[Mapping[str, Any], ...] = field(default=())


class DeliveryError(Exception):
    """A message could not be delivered; `permanent` ones are dropped, others retried."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Transport(Protocol):
    """What the core needs of a chat transport."""

    @property
    def me(self) -> User:
        """The bot's own user (valid after `connect`)."""
        ...

    async def connect(self) -> None: ...

    def listen(self, since: Callable[[str], Awaitable[datetime | None]]) -> AsyncIterator[Incoming]:
        """Every new message once, in order within each room, until `disconnect`.

        `since(room_id)` tells up to when a room's messages have been handled, so that a
        transport that was away can fetch what it missed.
        """
        ...

    async def send(self, message: Outgoing) -> None:
        """Deliver `message`; delivering one with the same `id` twice posts it once."""
        ...

    async def disconnect(self) -> None: ...
