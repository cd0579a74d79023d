"""The Rocket.Chat transport: listen over DDP, act over REST, catch up after every gap.

Listening (docs/protocol.md): one WebSocket, logged in with the REST token, subscribed
to `stream-room-messages` with `__my_messages__` exactly once per socket. When the socket
ends (a drop, a restart, an expired token) a supervisor reconnects with capped exponential
backoff and jitter, logs in again, subscribes again and then fetches each room's history
since the room's cursor, holding back live messages until that catch-up is done so that
each room's messages come out in order.

What counts as a new message is decided here, once: one in a room the bot is not a member
of is not (the stream also carries public channels it never joined; the catch-up reads
only its subscriptions), system messages (`t`) are not, a message `_id` already passed on
is not (edits, reactions and thread counters re-send it), and an update of a message this
process never saw live is not either (it is older than the connection, so the history
fetch owns it). A message that was edited is passed on marked `edited`, live or read back
from history alike; the dispatcher ignores it.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import random
import tempfile
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from chat.base import (
    ChatError,
    DeliveryError,
    Incoming,
    NameTaken,
    Outgoing,
    Room,
    RoomKind,
    Stopped,
    User,
)
from chat.ddp import DdpClosed, DdpConnection, DdpError
from chat.rest import Credentials, Rest, RestError, Unauthorized, parse_ts
from i18n import _

log = logging.getLogger(__name__)

STREAM = "stream-room-messages"
SEEN_IDS_KEPT = 100_000
UPDATE_FIELDS = ("reactions", "tcount", "tlm", "replies", "pinned")
# What an edited message carries (`updateMessage`). Older servers left `editedAt` out of
# history reads while Message_ShowEditedStatus was off, but not `editedBy`
# (apps/meteor/app/lib/server/methods/getChannelHistory.ts, when it still used `fetch()`).
EDIT_FIELDS = ("editedAt", "editedBy")
# `getValidRoomName` (apps/meteor/app/utils/server/lib/getValidRoomName.ts): the name is taken.
NAME_TAKEN = ("error-duplicate-channel-name", "error-archived-duplicate-name")
# groups.kick of a user who is not in the group (`removeUserFromRoomMethod`)
NOT_IN_ROOM = "error-user-not-in-room"
NAMED_KINDS = (RoomKind.PUBLIC, RoomKind.PRIVATE)  # a DM's subscription is named after a user
Since = Callable[[str], Awaitable[datetime | None]]


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with jitter: first retry within `first` seconds."""

    first: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return min(self.cap, self.first * 2.0**attempt) * rng.uniform(0.5, 1.0)


@dataclass
class Health:
    """What `/healthz` and `/metrics` report about the connection."""

    logged_in: bool = False
    subscribed: bool = False
    reconnects: int = 0

    @property
    def ready(self) -> bool:
        return self.logged_in and self.subscribed


class RocketChat:
    """A `Transport` for a Rocket.Chat server."""

    def __init__(
        self,
        url: str,
        credentials: Credentials,
        clock: Callable[[], datetime],
        *,
        catchup: timedelta,
        backoff: Backoff = Backoff(),
        ping_interval: float = 25.0,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = url.rstrip("/")
        self.clock = clock
        self.catchup = catchup
        self.backoff = backoff
        self.ping_interval = ping_interval
        self.rng = rng or random.Random()
        self.sleep = sleep
        self.rest = Rest(self.url, credentials, clock, sleep)
        self.health = Health()
        self._me: User | None = None
        self._session: aiohttp.ClientSession | None = None
        self._conn: DdpConnection | None = None
        self._queue: asyncio.Queue[Incoming | None] = asyncio.Queue()
        self._passed: OrderedDict[str, None] = OrderedDict()
        self._held: list[dict[str, Any]] | None = None  # live messages held during catch-up
        self._supervisor: asyncio.Task[None] | None = None
        self._connecting: asyncio.Task[User] | None = None
        self._stopping = False
        self._rooms_by_name: dict[str, str] = {}  # and "@user" for direct rooms
        self._user_ids: dict[str, str] = {}  # by username, for groups.invite and groups.kick
        self._kinds: dict[str, RoomKind] = {}  # the kind of each named room, by id
        self._creators: dict[str, str | None] = {}  # who created each room asked about, by id

    @property
    def me(self) -> User:
        if self._me is None:
            raise RuntimeError("not connected")
        return self._me

    async def connect(self) -> None:
        """Log in over REST, retrying while the server is unreachable or limits logins,
        until it answers or `stop` is called (then `Stopped`)."""
        self._session = aiohttp.ClientSession()
        self.rest.session = self._session  # replies go out on the loop, not in a thread
        if self._stopping:
            raise Stopped("stopped before the first login")
        self._connecting = asyncio.create_task(self._first_login())
        try:
            self._me = await self._connecting
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            raise Stopped("stopped before the first login") from None
        finally:
            self._connecting = None
        self.health.logged_in = True

    async def _first_login(self) -> User:
        attempt = 0
        while True:
            try:
                return await self.rest.login()
            except RestError as err:
                delay = self.backoff.delay(attempt, self.rng)
                log.warning("cannot log in (%s); retrying in %.1fs", err, delay)
                attempt += 1
                await self.sleep(delay)

    async def listen(self, since: Since) -> AsyncIterator[Incoming]:
        self._supervisor = asyncio.create_task(self._supervise(since))
        while True:
            message = await self._queue.get()
            if message is None:
                return
            yield message

    async def send(self, message: Outgoing) -> None:
        body: dict[str, Any] = {"_id": message.id, "rid": message.room_id, "msg": message.text}
        if message.thread is not None:
            body["tmid"] = message.thread
        if message.attachments:
            body["attachments"] = [dict(a) for a in message.attachments]
        try:
            await self.rest.send(body)
        except RestError as err:
            raise DeliveryError(str(err), permanent=err.permanent) from err
        except Unauthorized as err:
            raise DeliveryError(f"the server refused the bot's token: {err}") from err

    # Chat actions (`ChatActions`): REST look-ups, remembered once found

    async def direct_room(self, username: str) -> str:
        found = self._rooms_by_name.get("@" + username)
        if found is None:
            try:
                answer = await self.rest.call("dm_create", username)
            except RestError as err:
                raise ChatError(
                    _("I cannot write to {user}: {reason}").format(
                        user=f"@{username}", reason=_reason(err)
                    )
                ) from err
            room = answer.get("room") or {}
            found = self._rooms_by_name["@" + username] = room.get("rid") or room["_id"]
        return found

    async def room_named(self, name: str) -> str | None:
        """Among the bot's channels and private groups only: a DM's subscription bears the
        other user's username, so a user named like the room would otherwise get its
        messages. (Channel and group names are unique on the server, `getValidRoomName`.)"""
        if name not in self._rooms_by_name:
            await self._read_rooms()
        return self._rooms_by_name.get(name)

    async def _read_rooms(self) -> None:
        for room in await self.rest.rooms():
            if room.kind in NAMED_KINDS:
                self._rooms_by_name[room.name] = room.id
                self._kinds[room.id] = room.kind

    async def _kind(self, room_id: str) -> RoomKind:
        """Whether `room_id` is a channel or a private group (as `subscriptions.get` says;
        a room the bot is not in is taken for a private group, as the workgroups are)."""
        if room_id not in self._kinds:
            try:
                await self._read_rooms()
            except RestError as err:
                raise ChatError(
                    _("I could not read my rooms: {reason}").format(reason=_reason(err))
                ) from err
        return self._kinds.get(room_id, RoomKind.PRIVATE)

    async def room_creator(self, room_id: str) -> str | None:
        """`rooms.info?roomId=` (apps/meteor/app/api/server/v1/rooms.ts: `findRoomByIdOrName`,
        then `canAccessRoomAsync`, so any channel or private group the bot is in, whatever
        its kind, in one call; `isRoomsInfoProps` in packages/rest-typings/src/v1/rooms.ts
        takes `roomId` alone). The room's `u` is who created it
        (apps/meteor/app/lib/server/functions/createRoom.ts) and never changes: remembered
        for as long as the bot runs."""
        if room_id not in self._creators:
            try:
                answer = await self.rest.call("rooms_info", room_id=room_id)
            except RestError as err:
                raise ChatError(
                    _("I could not read the room {room}: {reason}").format(
                        room=room_id, reason=_reason(err)
                    )
                ) from err
            room = answer.get("room") or {}
            creator = (room.get("u") or {}).get("username")
            self._creators[room_id] = creator if isinstance(creator, str) and creator else None
        return self._creators[room_id]

    async def create_group(self, name: str, members: Sequence[str]) -> str:
        try:
            answer = await self.rest.call("groups_create", name, members=list(members))
        except RestError as err:
            if err.body.get("errorType") not in NAME_TAKEN:
                raise ChatError(
                    _("I could not create the group {name}: {reason}").format(
                        name=name, reason=_reason(err)
                    )
                ) from err
            existing = await self._group_made_by_me(name)  # before a crash, say
            if existing is None:
                raise NameTaken(f"{name} is taken by a room that I did not make") from err
            return existing
        room_id: str = answer["group"]["_id"]
        self._rooms_by_name[name] = room_id
        self._kinds[room_id] = RoomKind.PRIVATE
        return room_id

    async def _group_made_by_me(self, name: str) -> str | None:
        """The id of the private group `name` if the bot made it: the room's `u` is who
        created it (`apps/meteor/app/lib/server/functions/createRoom.ts`). A room the bot
        cannot see (`groups.info` answers error-room-not-found) is someone else's."""
        try:
            answer = await self.rest.call("groups_info", room_name=name)
        except RestError as err:
            if err.body.get("errorType") == "error-room-not-found":
                return None
            raise ChatError(
                _("I could not create the group {name}: {reason}").format(
                    name=name, reason=_reason(err)
                )
            ) from err
        group = answer.get("group") or {}
        creator = (group.get("u") or {}).get("_id")
        if creator != self.me.id or group.get("archived"):
            return None
        room_id: str = group["_id"]
        return room_id

    async def upload(
        self, room_id: str, filename: str, chunks: AsyncIterator[bytes], *, description: str = ""
    ) -> None:
        """Spool `chunks` to a temporary file, then `rooms.media/<rid>` and
        `rooms.mediaConfirm/<rid>/<fileId>`; the older `rooms.upload/<rid>` on a server that
        answers 404 to `rooms.media`.

        rocketchat-API posts with `requests`, which reads the whole file to build the
        multipart body, so the file is handed to it as bytes (a retry after a 429 or a 401
        sends them again; a file object would be at its end by then).
        """
        with tempfile.TemporaryFile(prefix="partnerbot-upload-") as spool:  # gone once closed
            batch = bytearray()  # a few chunks a write, not a worker thread per chunk
            async for chunk in chunks:
                batch += chunk
                if len(batch) >= 1 << 18:
                    await asyncio.to_thread(spool.write, batch)
                    batch.clear()
            await asyncio.to_thread(spool.write, batch)
            await asyncio.to_thread(spool.seek, 0)
            data = await asyncio.to_thread(spool.read)
        kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        file = (filename, data, kind)
        fields = {"description": description} if description else {}
        try:
            try:
                media = await self.rest.call("rooms_media", room_id, file)
            except RestError as err:
                if err.status != 404:
                    raise
                log.info("rooms.media is unknown to the server; using rooms.upload")
                await self.rest.call(
                    "call_api_post",
                    f"rooms.upload/{room_id}",
                    files={"file": file},
                    use_json=False,
                    **fields,
                )
                return
            await self.rest.call("rooms_media_confirm", room_id, media["file"]["_id"], **fields)
        except RestError as err:
            raise ChatError(
                _("I could not upload {file}: {reason}").format(file=filename, reason=_reason(err))
            ) from err

    async def add_members(self, room_id: str, usernames: Sequence[str]) -> None:
        """`groups.invite`, or `channels.invite` in a public channel (v1/channels.ts)."""
        public = await self._kind(room_id) is RoomKind.PUBLIC
        method = "channels_invite" if public else "groups_invite"
        await self._each_member(method, room_id, usernames, "add")

    async def remove_members(self, room_id: str, usernames: Sequence[str]) -> None:
        """`groups.kick`, or `channels.kick` in a public channel (`isChannelsKickProps`:
        `roomId` and `userId`, packages/rest-typings/src/v1/channels/ChannelsKickProps.ts)."""
        public = await self._kind(room_id) is RoomKind.PUBLIC
        method = "channels_kick" if public else "groups_kick"
        await self._each_member(method, room_id, usernames, "remove")

    async def room_members(self, room_id: str) -> list[str]:
        kind = await self._kind(room_id)
        try:
            return await self.rest.members(Room(room_id, kind))
        except RestError as err:
            raise ChatError(
                _("I could not list the members of {room}: {reason}").format(
                    room=room_id, reason=_reason(err)
                )
            ) from err

    async def _each_member(
        self, method: str, room_id: str, usernames: Sequence[str], verb: str
    ) -> None:
        """`groups.invite` / `groups.kick` with `roomId` and `userId`: servers 6.3 to 8.0
        refuse a body without `userId` (`isGroupsInviteProps`, `isGroupsKickProps` in
        `packages/rest-typings/src/v1/groups/BaseProps.ts`)."""
        for username in usernames:
            try:
                await self.rest.call(method, room_id, await self._user_id(username))
            except RestError as err:
                if method.endswith("_kick") and err.body.get("errorType") == NOT_IN_ROOM:
                    continue  # left by themselves: out, as asked
                self._user_ids.pop(username, None)  # looked up afresh next time
                text = (
                    _("I could not add {user}: {reason}")
                    if verb == "add"
                    else _("I could not remove {user}: {reason}")
                )
                raise ChatError(text.format(user=f"@{username}", reason=_reason(err))) from err

    async def _user_id(self, username: str) -> str:
        """A user's id (`users.info`), remembered: ids do not change."""
        found = self._user_ids.get(username)
        if found is None:
            answer = await self.rest.call("users_info", username=username)
            found = self._user_ids[username] = str(answer["user"]["_id"])
        return found

    async def user_language(self, username: str) -> str | None:
        """The user's `language` in `users.info`, which servers up to 8.x do not send to
        anyone but the user themselves (`Rest.user_info`): None there, and the server's
        default applies. `ChatError` when the server cannot be asked."""
        try:
            user = await self.rest.user_info(username)
        except RestError as err:
            raise ChatError(f"users.info {username}: {_reason(err)}") from err
        if isinstance(user.get("_id"), str):
            self._user_ids.setdefault(username, user["_id"])  # one call less for /contacts
        language = user.get("language")
        return language if isinstance(language, str) and language.strip() else None

    async def server_language(self) -> str | None:
        """The public setting `Language` (apps/meteor/server/settings/general.ts: public,
        default "": none, each user's browser decides)."""
        try:
            value = await self.rest.public_setting("Language")
        except RestError as err:
            raise ChatError(f"settings.public Language: {_reason(err)}") from err
        return value if isinstance(value, str) and value.strip() else None

    def stop(self) -> None:
        """Stop listening (SIGTERM): `listen` ends, while REST stays up so that the replies
        in hand can still be delivered before `disconnect`; a first login still being tried
        is given up (`connect` raises `Stopped`)."""
        self._stopping = True
        if self._connecting is not None:
            self._connecting.cancel()
        if self._supervisor is not None:
            self._supervisor.cancel()
        self._queue.put_nowait(None)

    async def disconnect(self) -> None:
        self.stop()
        if self._conn is not None:
            await self._conn.close()
        if self._session is not None:
            await self._session.close()

    # The connection and its supervisor

    async def _supervise(self, since: Since) -> None:
        attempt = 0
        while True:
            try:
                await self._serve_one_connection(since)
                attempt = 0  # it was up; the next drop starts the backoff afresh
            except DdpError as err:
                log.warning("realtime API refused: %s", err)
                if err.retry_after is not None:
                    await self.sleep(err.retry_after)
            except Unauthorized:
                log.warning("the server refused the bot's login; trying again")
            except (DdpClosed, RestError, aiohttp.ClientError, OSError) as err:
                log.warning("connection lost: %s", err)
            except Exception:  # a bug must not end listening for good: log it, reconnect
                log.exception("the realtime connection failed")
            self.health.subscribed = False
            self.health.reconnects += 1
            delay = self.backoff.delay(attempt, self.rng)
            attempt += 1
            log.info("reconnecting in %.2fs", delay)
            await self.sleep(delay)

    async def _serve_one_connection(self, since: Since) -> None:
        assert self._session is not None
        ws_url = self.url.replace("http", "ws", 1) + "/websocket"
        self._conn = conn = DdpConnection(
            self._session, ws_url, self._on_event, ping_interval=self.ping_interval
        )
        try:
            await conn.open()
            await self._login(conn)
            self._held = []
            await conn.subscribe(STREAM, "__my_messages__", False)
            self.health.subscribed = True
            await self._catch_up(since)
            held, self._held = self._held, None
            for raw in held:
                self._accept(raw, live=True)
            await conn.closed
        finally:
            self._held = None
            await conn.close()

    async def _login(self, conn: DdpConnection) -> None:
        try:
            await conn.call("login", {"resume": self.rest.token[1]})
        except DdpError as err:
            if err.retry_after is not None or self.rest.credentials.password is None:
                raise
            log.info("realtime login refused (%s); logging in over REST again", err)
            self.health.logged_in = False
            self._me = await self.rest.login()
            self.health.logged_in = True
            await conn.call("login", {"resume": self.rest.token[1]})

    async def _catch_up(self, since: Since) -> None:
        """Fetch what each room got since its cursor (within the window), thread replies
        included; a room that has not changed since then is skipped without a call
        (`rooms.get` says when each room last changed, see `Rest.last_changes`), so a quiet
        start with thousands of rooms costs two calls."""
        floor = self.clock() - self.catchup
        rooms = await self.rest.rooms()
        changed = await self.rest.last_changes()
        for room in rooms:
            cursor = await since(room.id)
            oldest = floor if cursor is None else max(cursor, floor)
            if changed is not None and room.id in changed:
                newest = changed[room.id]
                if newest is None or newest < oldest:
                    continue
            for raw in await self.rest.history(room, oldest):
                self._accept(raw, live=False, room=room)

    def _on_event(self, frame: dict[str, Any]) -> None:
        fields = frame.get("fields") or {}
        if frame.get("collection") != STREAM or fields.get("eventName") != "__my_messages__":
            return
        args = fields.get("args") or []
        if not args:
            return
        raw = dict(args[0])
        meta = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
        if meta.get("roomParticipant") is not True:
            # The stream also carries every public channel the bot may read but never
            # joined (apps/meteor/server/modules/notifications/notifications.module.ts,
            # `roomParticipant: false`), where anyone may post: not the bot's rooms.
            log.debug("stream: %r in %r, not a member: ignored", raw.get("_id"), raw.get("rid"))
            return
        log.debug("stream: %r in %r", raw.get("_id"), raw.get("rid"))
        raw["_room"] = meta
        if self._held is not None:
            self._held.append(raw)
        else:
            self._accept(raw, live=True)

    def _accept(self, raw: dict[str, Any], *, live: bool, room: Room | None = None) -> None:
        """Pass `raw` on if it is a new message a person wrote."""
        message_id = raw.get("_id")
        if not message_id or raw.get("t") or message_id in self._passed:
            return
        if live and any(raw.get(name) for name in UPDATE_FIELDS):
            return  # an update of a message this process never saw: history owns it
        ts = parse_ts(raw["ts"])
        if ts < self.clock() - self.catchup:
            return
        self._passed[message_id] = None
        if len(self._passed) > SEEN_IDS_KEPT:
            self._passed.popitem(last=False)
        self._queue.put_nowait(_incoming(raw, ts, room))


def _reason(err: RestError) -> str:
    error = err.body.get("error") or err.body.get("message")
    return str(error) if error else str(err)


def _incoming(raw: dict[str, Any], ts: datetime, room: Room | None) -> Incoming:
    if room is None:
        meta = raw.get("_room") or {}
        room = Room(raw["rid"], RoomKind(meta.get("roomType", "c")), meta.get("roomName", ""))
    sender = raw.get("u") or {}
    user = User(sender.get("_id", ""), sender.get("username", ""), sender.get("name", ""))
    edited = any(raw.get(name) for name in EDIT_FIELDS)
    return Incoming(raw["_id"], room, user, raw.get("msg", ""), ts, raw.get("tmid"), edited)
