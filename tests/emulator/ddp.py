"""The realtime API: DDP over a WebSocket at `/websocket`.

Faithful to Meteor's `ddp-server` as Rocket.Chat runs it, and to Rocket.Chat's streamer:

* first frame `{"server_id":"0"}` (Meteor's stream server; the EE ddp-streamer sends
  `{"msg":"server_id","server_id":"0"}`, `ee/apps/ddp-streamer/src/Server.ts`: pass it as
  `greeting`); anything but `connect` first gets `{"msg":"error","reason":"Must connect first"}`.
* heartbeats: either side pings, the other pongs echoing `id`.  After `ping_interval` seconds
  without a frame from the client the server pings; after `ping_timeout` more it closes the
  socket with 4000 "TIMEOUT".  Defaults 30 + 30 s are the ddp-streamer's
  (`ee/apps/ddp-streamer/src/constants.ts`, `Client.ts`); Meteor's own server uses 15 + 15.
* `login` by resume token or password (plain or `{digest, algorithm: "sha-256"}`), answered
  `{id, token, tokenExpires: {"$date"}, type}`, then `{"msg":"updated"}`
  (`ee/apps/ddp-streamer/src/configureServer.ts`, `Server.ts`); failures as in `auth.py`.
  Unknown methods: 404 "Method '<name>' not found".
* `stream-room-messages` (`apps/meteor/server/modules/notifications/notifications.module.ts`):
  `__my_messages__` may be read by anyone, so it is `ready` even before login, but events are
  emitted only to a logged-in user who can access the room: members of private groups and
  DMs, and every user for public channels (`roomParticipant: false` when not a member).
  A room id as event name requires access at subscription time, else `nosub` "not-allowed".
  Each subscription is served on its own (`streamer.module.ts` keeps a set per event name),
  so two subscriptions deliver every message twice.  Other publications are not emulated and
  answer `nosub` 404 "Subscription '<name>' not found".
* events are `changed` frames with `args: [message, {roomParticipant, roomType, roomName}]`
  (`apps/meteor/server/modules/listeners/listeners.module.ts`); nothing is replayed after a
  reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from .auth import authenticate, meteor_error
from .faults import DdpLimits
from .model import JsonDict, Room, User, to_ejson
from .store import Store

STREAM = "stream-room-messages"
MY_MESSAGES = "__my_messages__"
SUPPORTED_VERSIONS = ("1", "pre2", "pre1")


@dataclass
class DdpOptions:
    ping_interval: float = 30.0
    ping_timeout: float = 30.0
    greeting: str = '{"server_id":"0"}'
    # (error, reason) for every failed login, as newer servers answer; None keeps Meteor's own
    # errors with only the bad-password case turned into 403 "User not found".
    login_error: tuple[int | str, str] | None = None


class Hub:
    """Open DDP connections and the publication of message events to them."""

    def __init__(self, store: Store, options: DdpOptions, limits: DdpLimits) -> None:
        self.store = store
        self.options = options
        self.limits = limits
        self.connections: list[Connection] = []

    async def publish(self, docs: list[JsonDict]) -> None:
        """Emit each document on `stream-room-messages`, like `watch.messages` does."""
        for doc in docs:
            room = self.store.rooms[doc["rid"]]
            wire = to_ejson(doc)
            for connection in list(self.connections):
                await connection.deliver(room, wire)

    def subscription_count(self, user: User, event_name: str) -> int:
        return sum(
            list(c.subs.values()).count(event_name)
            for c in self.connections
            if c.user is not None and c.user.id == user.id
        )

    def drop_all(self) -> None:
        for connection in list(self.connections):
            connection.abort()

    async def close_for_tokens(self, tokens: set[str]) -> None:
        """Meteor closes a connection whose login token is removed from the user."""
        for connection in list(self.connections):
            if connection.token in tokens:
                await connection.close(1000, "token removed")


class Connection:
    def __init__(self, hub: Hub, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.hub = hub
        self.ws = ws
        self.transport = request.transport
        self.session = hub.store.ids.id()
        self.connected = False
        self.user: User | None = None
        self.token: str | None = None
        self.subs: dict[str, str] = {}
        loop = asyncio.get_running_loop()
        self._time: Callable[[], float] = loop.time
        self.last_seen = self._time()
        self._lock = asyncio.Lock()

    # -- transport --------------------------------------------------------------------------

    async def send(self, frame: JsonDict) -> None:
        await self.send_text(json.dumps(frame, separators=(",", ":")))

    async def send_text(self, text: str) -> None:
        if self.ws.closed:
            return
        async with self._lock:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(text)

    def abort(self) -> None:
        """Drop the TCP connection without a close frame, as a crashed server or proxy does."""
        if self.transport is not None:
            self.transport.abort()

    async def close(self, code: int, message: str) -> None:
        await self.ws.close(code=code, message=message.encode())

    async def serve(self) -> None:
        await self.send_text(self.hub.options.greeting)
        watchdog = asyncio.create_task(self._watchdog())
        try:
            async for message in self.ws:
                if message.type != WSMsgType.TEXT:
                    continue
                self.last_seen = self._time()
                await self._receive(message.data)
        finally:
            watchdog.cancel()

    async def _watchdog(self) -> None:
        options = self.hub.options
        while not self.ws.closed:
            idle = self._time() - self.last_seen
            if idle < options.ping_interval:
                await asyncio.sleep(options.ping_interval - idle)
                continue
            await self.send({"msg": "ping"})
            pinged_at = self._time()
            await asyncio.sleep(options.ping_timeout)
            if self.last_seen < pinged_at:
                await self.close(4000, "TIMEOUT")
                return

    # -- protocol ---------------------------------------------------------------------------

    async def _receive(self, text: str) -> None:
        try:
            packet = json.loads(text)
        except ValueError:
            await self.send({"msg": "error", "reason": "Bad request"})
            return
        if not isinstance(packet, dict):
            await self.send({"msg": "error", "reason": "Bad request"})
            return
        if not self.connected:
            await self._handshake(packet)
            return
        kind = packet.get("msg")
        if kind == "ping":
            await self.send(_with_id({"msg": "pong"}, packet))
        elif kind == "pong":
            return
        elif kind == "method":
            await self._method(packet)
        elif kind == "sub":
            await self._subscribe(packet)
        elif kind == "unsub":
            await self._unsubscribe(packet)
        else:
            await self.send({"msg": "error", "reason": "Bad request", "offendingMessage": packet})

    async def _handshake(self, packet: JsonDict) -> None:
        if packet.get("msg") != "connect":
            reply = {"msg": "error", "reason": "Must connect first", "offendingMessage": packet}
            await self.send(reply)
            return
        if packet.get("version") not in SUPPORTED_VERSIONS:
            await self.send({"msg": "failed", "version": SUPPORTED_VERSIONS[0]})
            await self.close(1000, "unsupported DDP version")
            return
        self.connected = True
        await self.send({"msg": "connected", "session": self.session})

    async def _method(self, packet: JsonDict) -> None:
        method_id = packet.get("id")
        name = packet.get("method")
        params = packet.get("params", [])
        if not isinstance(method_id, str) or not isinstance(name, str):
            reply = {"msg": "error", "reason": "Malformed method invocation"}
            await self.send({**reply, "offendingMessage": packet})
            return
        params = params if isinstance(params, list) else []
        limited = self.hub.limits.take(name)
        if limited is not None:
            await self._result(method_id, error=limited)
        elif name == "login":
            await self._login(method_id, params[0] if params else {})
        elif name == "logout":
            self.user = self.token = None
            await self._result(method_id)
        else:
            await self._result(method_id, error=meteor_error(404, f"Method '{name}' not found"))

    async def _result(
        self, method_id: Any, result: Any = None, error: JsonDict | None = None
    ) -> None:
        frame: JsonDict = {"msg": "result", "id": method_id}
        if result is not None:
            frame["result"] = result
        if error is not None:
            frame["error"] = error
        await self.send(frame)
        await self.send({"msg": "updated", "methods": [method_id]})

    async def _login(self, method_id: Any, options: Any) -> None:
        outcome = authenticate(self.hub.store, options, self.hub.options.login_error)
        if isinstance(outcome, dict):
            await self._result(method_id, error=outcome)
            return
        self.user, self.token = outcome.user, outcome.token
        self.hub.store.touch()
        await self._result(method_id, result=outcome.result())

    async def _subscribe(self, packet: JsonDict) -> None:
        sub_id = str(packet.get("id"))
        name = str(packet.get("name"))
        params = packet.get("params")
        params = params if isinstance(params, list) else []
        if sub_id in self.subs:
            return  # Meteor ignores a second `sub` reusing a live id
        limited = self.hub.limits.take(name)
        if limited is not None:
            await self.send({"msg": "nosub", "id": sub_id, "error": limited})
            return
        if name != STREAM:
            error = meteor_error(404, f"Subscription '{name}' not found")
            await self.send({"msg": "nosub", "id": sub_id, "error": error})
            return
        event_name = str(params[0]) if params else ""
        refusal = self._refuse_stream(event_name)
        if refusal is not None:
            await self.send({"msg": "nosub", "id": sub_id, "error": refusal})
            return
        self.subs[sub_id] = event_name
        self.hub.store.touch()
        if len(params) > 1 and isinstance(params[1], dict) and params[1].get("useCollection"):
            fields = {"eventName": event_name}
            await self.send({"msg": "added", "collection": STREAM, "id": "id", "fields": fields})
        await self.send({"msg": "ready", "subs": [sub_id]})

    def _refuse_stream(self, event_name: str) -> JsonDict | None:
        if not event_name:
            return meteor_error("invalid-event-name")
        if event_name == MY_MESSAGES:
            return None
        room = self.hub.store.rooms.get(event_name)
        if room is None or not self.hub.store.can_access(self.user, room):
            return meteor_error("not-allowed")
        return None

    async def _unsubscribe(self, packet: JsonDict) -> None:
        sub_id = str(packet.get("id"))
        if self.subs.pop(sub_id, None) is not None:
            self.hub.store.touch()
        await self.send({"msg": "nosub", "id": sub_id})

    # -- events -----------------------------------------------------------------------------

    async def deliver(self, room: Room, wire: JsonDict) -> None:
        for event_name in list(self.subs.values()):
            args = self._event_args(event_name, room, wire)
            if args is None:
                continue
            fields = {"eventName": event_name, "args": args}
            await self.send({"msg": "changed", "collection": STREAM, "id": "id", "fields": fields})

    def _event_args(self, event_name: str, room: Room, wire: JsonDict) -> list[Any] | None:
        if event_name == room.id:
            return [wire]
        if event_name != MY_MESSAGES:
            return None
        if not self.hub.store.can_access(self.user, room) or self.user is None:
            return None
        meta: JsonDict = {"roomParticipant": self.user.id in room.members, "roomType": room.kind}
        if room.name is not None:
            meta["roomName"] = room.name
        return [wire, meta]


def _with_id(frame: JsonDict, packet: JsonDict) -> JsonDict:
    if "id" in packet:
        frame["id"] = packet["id"]
    return frame


async def websocket_handler(hub: Hub, request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    connection = Connection(hub, ws, request)
    hub.connections.append(connection)
    hub.store.touch()
    try:
        await connection.serve()
    finally:
        hub.connections.remove(connection)
        hub.store.touch()
    return ws
