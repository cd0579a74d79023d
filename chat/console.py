"""The local console: a chat in the terminal, for trying the bot without a server.

Each line typed is a message from the current user in the current room; lines starting
with `:` steer the console (`:as maria`, `:room acme`, `:dm`, `:time`, `:lang`, `:help`,
`:quit`). `:lang pt-BR` (or `--lang`) is the language the chat says its users chose, as a
Rocket.Chat user's own setting is; the console's own lines are written in it too.
The bot's replies are printed. `:time 2026-12-01T09:00` moves the console's clock there (in
the configured zone) and lets the bot send what is due then, so a month's reminders can be
seen in a minute. With input piped in, each line is answered before the next is read,
and the console ends at the end of the input, so a session can be scripted.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from chat.base import Incoming, Outgoing, Room, RoomKind, User
from chat.clock import Clock
from i18n import LANGUAGES, N_, _, language_tag, speaking

UTC_ZONE = ZoneInfo("UTC")
BOT = User(id="partnerbot", username="partnerbot", name="Partner Bot")
CONSOLE_HELP = N_(
    """console commands:
  :as USER     speak as another user
  :room NAME   go to the room NAME (created when first used)
  :dm          go back to your direct chat with the bot
  :time [WHEN] show the time, or move the clock to WHEN (2026-12-01T09:00, in the
               bot's time zone) and send the reminders due then
  :lang [LANG] show the language, or change it to LANG (en, pt-BR or es)
  :quit        leave (so does the end of the input)"""
)


class Console:
    """A `Transport` over a text stream in and a text stream out."""

    def __init__(
        self,
        user: str,
        room: str | None,
        clock: Callable[[], datetime],
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        zone: ZoneInfo = UTC_ZONE,
        language: str = "en",
    ) -> None:
        """`clock`: a `Clock` can be moved with `:time`; `zone` is how times are typed;
        `language`: the users' language (one of `i18n.LANGUAGES`), `:lang` changes it."""
        self._language = language
        self._members: dict[str, set[str]] = {}  # by room id: who the bot put in it
        self._clock = clock
        self._zone = zone
        self._in = stdin
        self._out = stdout
        self._user = _user(user)
        self._rooms: dict[str, Room] = {}
        self._room = self._group(room) if room else self._dm(self._user)
        self.settle: Callable[[], Awaitable[None]] | None = None  # set by the wiring
        self.on_time_moved: Callable[[], Awaitable[object]] | None = None  # set by the wiring
        self.on_language_changed: Callable[[], object] | None = None  # set by the wiring

    @property
    def me(self) -> User:
        return BOT

    async def connect(self) -> None:
        with speaking(self._language):
            self._print(
                _(
                    "partnerbot console: you are @{user} in {room}; type :help for console commands"
                ).format(user=self._user.username, room=self._label(self._room))
            )

    async def listen(
        self, since: Callable[[str], Awaitable[datetime | None]] | None = None
    ) -> AsyncIterator[Incoming]:
        interactive = self._in.isatty()
        while True:
            if interactive:
                with speaking(self._language):
                    label = self._label(self._room)
                self._out.write(f"{self._user.username}@{label}> ")
                self._out.flush()
            line = await asyncio.to_thread(self._in.readline)
            if not line:
                return
            text = line.rstrip("\n")
            if text.startswith(":time"):
                await self._time(text[len(":time") :].strip())
                continue
            if text.startswith(":"):
                if not self._steer(text):
                    return
                continue
            if not text.strip():
                continue
            yield Incoming(uuid.uuid4().hex, self._room, self._user, text, self._clock())
            if self.settle is not None:
                await self.settle()

    async def _time(self, when: str) -> None:
        """Show the clock, or move it to `when` and let the bot do what is due then."""
        if when:
            if not isinstance(self._clock, Clock):
                self._say(lambda: _("this console's clock cannot be moved"))
                return
            try:
                moment = datetime.fromisoformat(when)
            except ValueError:
                self._say(
                    lambda: _("{when} is not a time; write it as 2026-12-01T09:00").format(
                        when=repr(when)
                    )
                )
                return
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self._zone)
            self._clock.set(moment)
        moment = self._clock().astimezone(self._zone)
        self._say(lambda: _("(the time is {time})").format(time=f"{moment:%Y-%m-%d %H:%M %Z}"))
        if when and self.on_time_moved is not None:
            await self.on_time_moved()
            if self.settle is not None:
                await self.settle()

    async def send(self, message: Outgoing) -> None:
        room = self._known(message.room_id)
        with speaking(self._language):
            label = self._label(room) if room else message.room_id
        where = "" if room == self._room else f"[{label}] "
        text = message.text
        for attachment in message.attachments:
            buttons = [f"[{a['text']}: {a['msg']}]" for a in attachment.get("actions", ())]
            text += "\n" + " ".join(buttons)
        lines = text.splitlines() or [""]
        self._print(f"{where}{BOT.username}> {lines[0]}")
        for line in lines[1:]:
            self._print(f"    {line}")

    async def direct_room(self, username: str) -> str:
        return self._dm(_user(username)).id

    async def user_language(self, username: str) -> str | None:
        return self._language  # everyone in the console chose the console's language

    async def server_language(self) -> str | None:
        return None

    async def room_named(self, name: str) -> str | None:
        return self._group(name).id  # in the console every room exists

    async def room_creator(self, room_id: str) -> str | None:
        return BOT.username  # in the console every room is the bot's

    async def create_group(self, name: str, members: Sequence[str]) -> str:
        room = self._group(name)
        self._members.setdefault(room.id, set()).update(members)
        with speaking(self._language):
            self._print(
                _("(partnerbot made the private group #{name} with {members})").format(
                    name=name, members=", ".join("@" + member for member in members)
                )
            )
        return room.id

    async def add_members(self, room_id: str, usernames: Sequence[str]) -> None:
        self._members.setdefault(room_id, set()).update(usernames)
        with speaking(self._language):
            self._print(
                _("(partnerbot added {users} to {room})").format(
                    users=", ".join("@" + u for u in usernames), room=room_id
                )
            )

    async def remove_members(self, room_id: str, usernames: Sequence[str]) -> None:
        self._members.setdefault(room_id, set()).difference_update(usernames)
        with speaking(self._language):
            self._print(
                _("(partnerbot removed {users} from {room})").format(
                    users=", ".join("@" + u for u in usernames), room=room_id
                )
            )

    async def room_members(self, room_id: str) -> list[str]:
        """The bot and whoever it put in the room during this session."""
        return [BOT.username, *sorted(self._members.get(room_id, ()))]

    async def upload(
        self, room_id: str, filename: str, chunks: AsyncIterator[bytes], *, description: str = ""
    ) -> None:
        """Saves the file in a new folder of its own under the system's temporary directory
        (kept, for you to open) and says where."""
        name = Path(filename).name
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="partnerbot-upload-"))
        path = folder / (name if name not in ("", ".", "..") else "file")
        try:
            out = await asyncio.to_thread(path.open, "wb")
            try:
                batch = bytearray()  # a few chunks a write, not a worker thread per chunk
                async for chunk in chunks:
                    batch += chunk
                    if len(batch) >= 1 << 18:
                        await asyncio.to_thread(out.write, batch)
                        batch.clear()
                await asyncio.to_thread(out.write, batch)
            finally:
                await asyncio.to_thread(out.close)
        except BaseException:
            await asyncio.to_thread(shutil.rmtree, folder, True)  # no half-written file left
            raise
        with speaking(self._language):
            self._print(_("(partnerbot uploaded {name}: {path})").format(name=path.name, path=path))
        if description:
            self._print(f"    {description}")

    async def disconnect(self) -> None:
        self._out.flush()

    def _steer(self, text: str) -> bool:
        with speaking(self._language):
            go_on = self._steer_in_language(text)
        return go_on

    def _steer_in_language(self, text: str) -> bool:
        verb, _space, arg = text[1:].strip().partition(" ")
        arg = arg.strip()
        if verb in ("quit", "q", "exit"):
            return False
        if verb == "as" and arg:
            self._user = _user(arg)
            if self._room.kind is RoomKind.DIRECT:
                self._room = self._dm(self._user)
        elif verb == "room" and arg:
            self._room = self._group(arg)
        elif verb == "dm":
            self._room = self._dm(self._user)
        elif verb == "help":
            self._print(_(CONSOLE_HELP))
            return True
        elif verb == "lang":
            self._lang(arg)
            return True
        else:
            self._print(
                _("unknown console command {command}; type :help").format(command=repr(text))
            )
            return True
        self._print(
            _("(you are @{user} in {room})").format(
                user=self._user.username, room=self._label(self._room)
            )
        )
        return True

    def _lang(self, arg: str) -> None:
        """Show the users' language, or change it to `arg`; said in the language in force."""
        offered = ", ".join(LANGUAGES)
        if not arg:
            self._print(
                _("(the language is {language}; offered: {languages})").format(
                    language=self._language, languages=offered
                )
            )
            return
        tag = language_tag(arg)
        if tag is None:
            self._print(
                _("{language} is not offered; choose one of {languages}").format(
                    language=repr(arg), languages=offered
                )
            )
            return
        self._language = tag
        if self.on_language_changed is not None:
            self.on_language_changed()
        with speaking(tag):
            self._print(_("(the language is now {language})").format(language=tag))

    def _dm(self, user: User) -> Room:
        return self._remember(Room(f"dm-{user.username}", RoomKind.DIRECT, user.username))

    def _group(self, name: str) -> Room:
        return self._remember(Room(f"room-{name.lstrip('#')}", RoomKind.PRIVATE, name.lstrip("#")))

    def _known(self, room_id: str) -> Room | None:
        """The room with this id: one seen here, or one named in a stored id."""
        if room_id in self._rooms:
            return self._rooms[room_id]
        if room_id.startswith("dm-"):
            return self._dm(_user(room_id.removeprefix("dm-")))
        if room_id.startswith("room-"):
            return self._group(room_id.removeprefix("room-"))
        return None

    def _remember(self, room: Room) -> Room:
        return self._rooms.setdefault(room.id, room)

    @staticmethod
    def _label(room: Room) -> str:
        """The room as the console names it, in the language in force."""
        if room.kind is RoomKind.DIRECT:
            return _("DM of @{user}").format(user=room.name)
        return f"#{room.name}"

    def _say(self, make: Callable[[], str]) -> None:
        """Print the line `make` writes in the console's language."""
        with speaking(self._language):
            self._print(make())

    def _print(self, line: str) -> None:
        self._out.write(line + "\n")
        self._out.flush()


def _user(name: str) -> User:
    username = name.strip().lstrip("@").lower()
    return User(id=f"user-{username}", username=username)
