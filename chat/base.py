"""The one transport boundary: plain values in and out, and the `Transport` protocol.

The core sees only `Incoming` messages and hands back `Outgoing` ones; the Rocket.Chat
transport and the local console are two implementations of `Transport`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
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
    """A message a person wrote in a room the bot is in; `edited` once it was changed after
    it was sent (then `text` is the changed text)."""

    id: str
    room: Room
    user: User
    text: str
    ts: datetime
    thread: str | None = None
    edited: bool = False


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


class ChatError(Exception):
    """A chat action failed in a way the user should hear about (no permission, ...)."""


class NameTaken(ChatError):
    """The room name asked for belongs to a room that the bot did not make."""


class Stopped(Exception):
    """The transport was stopped (SIGTERM) before `connect` was through."""


class ChatActions(Protocol):
    """What a command may ask of the chat beyond replying. Each action is idempotent, so a
    command handled again after a crash may ask again."""

    @property
    def me(self) -> User:
        """The bot's own user (valid after `connect`)."""
        ...

    async def direct_room(self, username: str) -> str:
        """The id of the bot's direct-message room with `username` (made if needed)."""
        ...

    async def room_named(self, name: str) -> str | None:
        """The id of the channel or private group called `name` that the bot is in, or None.

        Never a direct-message room, though the server names each after the other user.
        """
        ...

    async def room_creator(self, room_id: str) -> str | None:
        """The username of who created the channel or private group `room_id` (the room's
        `u`), or None when the server records nobody; `ChatError` when it will not say.

        A name can be taken by anyone first: this says whether the room is one to trust.
        """
        ...

    async def create_group(self, name: str, members: Sequence[str]) -> str:
        """Make the private group `name` with these usernames and the bot; its room id.

        A group of that name that the bot made itself (before a crash, say) is returned as
        it is; a name taken by any other room raises `NameTaken`, whoever is in that room;
        any other failure raises `ChatError` with the reason.
        """
        ...

    async def add_members(self, room_id: str, usernames: Sequence[str]) -> None:
        """Invite these users to the private group, or to the channel (a room found with
        `room_named`); members already in it are fine."""
        ...

    async def remove_members(self, room_id: str, usernames: Sequence[str]) -> None:
        """Take these users out of the private group or channel (ones not in it are fine)."""
        ...

    async def room_members(self, room_id: str) -> list[str]:
        """The usernames of everyone in the channel or private group `room_id` (the bot
        included), all of them however many; `ChatError` when the server will not say."""
        ...

    async def upload(
        self, room_id: str, filename: str, chunks: AsyncIterator[bytes], *, description: str = ""
    ) -> None:
        """Post a file called `filename` in the room, its bytes read from `chunks` to the end.

        The transport spools the chunks to a temporary file of its own (deleted afterwards)
        before sending, so that the caller builds the file piece by piece in bounded memory
        and opens no file itself. A failure raises `ChatError` with the server's reason.
        Not idempotent: asked again after a crash, the file is posted again.
        """
        ...

    async def user_language(self, username: str) -> str | None:
        """The language `username` chose in the chat (`pt-BR`, `es`, ... as the server
        writes it), or None when they chose none or the server does not say."""
        ...

    async def server_language(self) -> str | None:
        """The server's default language, or None when it has none (each user's browser)."""
        ...


class Transport(ChatActions, Protocol):
    """What the core needs of a chat transport."""

    async def connect(self) -> None:
        """Reach the server, trying again until it answers; `Stopped` if stopped first."""
        ...

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
