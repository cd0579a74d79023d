"""`RocketChatEmulator`: the aiohttp server, the test helpers, the faults and the observers."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from .ddp import MY_MESSAGES, DdpOptions, Hub, websocket_handler
from .endpoints import routes
from .faults import REST_INTERVAL_DEFAULT_MS, REST_LIMIT_DEFAULT, DdpLimits, RestLimits
from .model import Ids, JsonDict, Room, RoomKind, Upload, User, rest_doc
from .rest import RestApi, RestCall
from .store import Store

MessagePredicate = Callable[[JsonDict], bool]
UserRef = str | User
RoomRef = str | Room

RECORD_ENV = "EMULATOR_REST_RECORD"  # a file to record every REST request in (JSON Lines)

# What nginx answers while its upstream is down (`connect() failed (111: Connection refused)`).
_BAD_GATEWAY = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class RocketChatEmulator:
    """An in-memory Rocket.Chat server on 127.0.0.1: REST under /api/v1, DDP at /websocket."""

    def __init__(
        self,
        *,
        port: int = 0,
        ping_interval: float = 30.0,
        ping_timeout: float = 30.0,
        greeting: str = '{"server_id":"0"}',
        login_error: tuple[int | str, str] | None = None,
        seed: int | None = None,
        clock: Callable[[], float] | None = None,
        record: Path | None = None,
    ) -> None:
        """`record` (or else the file named by $EMULATOR_REST_RECORD): append each REST
        request to it as a JSON line of method, route, query, body, status and user."""
        self._port = port
        self.store = Store(Ids(seed), clock)
        self._ddp_limits = DdpLimits()
        options = DdpOptions(ping_interval, ping_timeout, greeting, login_error)
        self.hub = Hub(self.store, options, self._ddp_limits)
        self._rest_limits = RestLimits(lambda: self.store.now().ms)
        self.rest = RestApi(self.store, self._rest_limits, self.hub.publish)
        self.rest.login_error = login_error
        recording = record or os.environ.get(RECORD_ENV)
        self.rest.record = Path(recording) if recording else None
        self._runner: web.AppRunner | None = None
        self._url = ""
        self._refuse_until = 0.0
        self._refuse_status = 502

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:40123` (empty before `start`)."""
        return self._url

    @property
    def ws_url(self) -> str:
        return self._url.replace("http://", "ws://", 1) + "/websocket"

    async def start(self) -> str:
        app = web.Application(
            middlewares=[self._refusal_middleware], client_max_size=110 * 1024 * 1024
        )
        self.rest.add_routes(app, routes())
        app.router.add_get("/websocket", self._websocket)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"
        return self._url

    async def stop(self) -> None:
        self.hub.drop_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> RocketChatEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        return await websocket_handler(self.hub, request)

    @web.middleware
    async def _refusal_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        if asyncio.get_running_loop().time() < self._refuse_until:
            return self._refusal(request)
        response: web.StreamResponse = await handler(request)
        return response

    def _refusal(self, request: web.Request) -> web.StreamResponse:
        if self._refuse_status == 0 and request.transport is not None:
            request.transport.abort()
        if self._refuse_status == 502:
            return web.Response(status=502, text=_BAD_GATEWAY, content_type="text/html")
        return web.Response(status=self._refuse_status or 503, text="Service Unavailable")

    # -- state set-up -----------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        password: str = "password",
        name: str | None = None,
        roles: Iterable[str] = ("user",),
        language: str = "",
    ) -> User:
        """A user account; give the bot `roles=("bot",)` for the real bot's permissions;
        `language` is the one they chose in their preferences."""
        user = self.store.add_user(username, password, name or username, roles)
        user.language = language
        return user

    def add_room(self, name: str, kind: RoomKind = "p", members: Iterable[UserRef] = ()) -> Room:
        """A channel (`c`) or private group (`p`); the first member is its owner."""
        if kind == "d":
            raise ValueError("use dm() for direct messages")
        return self.store.add_room(name, kind, [self.store.user(m) for m in members])

    def dm(self, user_a: UserRef, user_b: UserRef) -> Room:
        """The direct-message room of two users (created once, like `im.create`)."""
        return self.store.direct_room(self.store.user(user_a), self.store.user(user_b))

    async def add_member(self, room: RoomRef, user: UserRef, by: UserRef | None = None) -> None:
        """Add a member, posting `au` (added by `by`) or `uj` (joined) like the server."""
        target, member = self.store.room(room), self.store.user(user)
        if not self.store.join(target, member):
            return
        if by is None:
            notice = self.store.system_message("uj", target, member)
        else:
            notice = self.store.system_message("au", target, self.store.user(by), member.username)
        await self.hub.publish(self.store.insert(notice))

    def set_setting(self, name: str, value: Any) -> None:
        """Change an administration setting, e.g. `API_Upper_Count_Limit` (`store.py` lists
        the ones emulated, with their defaults)."""
        if name not in self.store.settings:
            raise KeyError(f"setting {name!r} is not emulated")
        self.store.settings[name] = value

    def issue_token(self, user: UserRef) -> str:
        """A login token for `user`, as a personal access token would be."""
        return self.store.issue_token(self.store.user(user)).token

    # -- acting as humans ---------------------------------------------------------------------

    async def post(
        self, username: UserRef, room: RoomRef, text: str, tmid: str | None = None
    ) -> JsonDict:
        """Post as a user: stored, then broadcast on the stream exactly as the server does."""
        user, target = self.store.user(username), self.store.room(room)
        if not self.store.can_access(user, target):
            raise ValueError(f"{user.username} is not in {target.name or target.id}")
        extra = {"tmid": self.store.thread_root(tmid)} if tmid else None
        doc = self.store.build_message(user, target, text, extra)
        await self.hub.publish(self.store.insert(doc))
        return rest_doc(doc)

    async def thread_reply(self, parent_id: str, username: UserRef, text: str) -> JsonDict:
        """Reply in a thread: the parent's `tcount`/`tlm`/`replies` change and it is re-sent."""
        parent = self.store.message(parent_id)
        return await self.post(username, parent["rid"], text, tmid=parent_id)

    async def edit(self, message_id: str, new_text: str, editor: UserRef | None = None) -> JsonDict:
        """Edit a message (by its author unless `editor`): the same `_id` is sent again."""
        doc = self.store.message(message_id)
        user = self.store.user(editor or doc["u"]["_id"])
        await self.hub.publish([self.store.edit(doc, new_text, user)])
        return rest_doc(doc)

    async def react(self, message_id: str, username: UserRef, emoji: str) -> JsonDict:
        """Toggle a reaction: the message, with `reactions`, is sent again."""
        doc = self.store.message(message_id)
        await self.hub.publish([self.store.react(doc, self.store.user(username), emoji)])
        return rest_doc(doc)

    # -- faults ---------------------------------------------------------------------------------

    def drop_sockets(self) -> None:
        """Cut every WebSocket at the TCP level, without a close frame."""
        self.hub.drop_all()

    def refuse_connections(self, seconds: float, status: int = 502) -> None:
        """For `seconds`, answer every HTTP and WebSocket request like a proxy whose upstream
        is down: 502 (nginx's page), another status, or 0 to reset the connection."""
        self._refuse_status = status
        self._refuse_until = asyncio.get_running_loop().time() + seconds

    def accept_connections(self) -> None:
        self._refuse_until = 0.0

    async def restart(self, downtime: float = 0.0) -> None:
        """A server restart: sockets dropped, DDP sessions and limiter counters forgotten,
        data and login tokens kept; optionally refuse connections for `downtime` seconds."""
        dropped = list(self.hub.connections)
        self.hub.drop_all()
        self._rest_limits.reset()
        if downtime > 0:
            self.refuse_connections(downtime)
        await self.wait_until(lambda: not any(c in self.hub.connections for c in dropped))

    def rate_limit(
        self, route: str, calls: int = 1, reset_ms: int = 60_000, limit: int = REST_LIMIT_DEFAULT
    ) -> None:
        """Answer the next `calls` calls of `route` (e.g. "chat.postMessage") with 429.

        Each carries the real body and `X-RateLimit-*` headers, with the reset `reset_ms`
        after this call.  Calls made before an announced reset are counted in `early_calls`.
        """
        self._rest_limits.script(route, calls, reset_ms, limit)

    def rate_limit_ratio(
        self,
        route: str,
        ratio: float,
        seed: int = 0,
        reset_ms: int = 1_000,
        limit: int = REST_LIMIT_DEFAULT,
    ) -> None:
        """Answer that share of `route`'s calls with 429, drawn from a seeded generator."""
        self._rest_limits.ratio(route, ratio, seed, reset_ms, limit)

    def enable_rate_limiter(
        self, calls: int = REST_LIMIT_DEFAULT, interval_ms: int = REST_INTERVAL_DEFAULT_MS
    ) -> None:
        """Turn on the server's own limiter: `calls` per route per window, headers on every
        answer, exempt for users with role admin, bot or app (`api-bypass-rate-limit`)."""
        self._rest_limits.real_limit = calls
        self._rest_limits.real_interval_ms = interval_ms

    def disable_rate_limiter(self) -> None:
        self._rest_limits.real_limit = None
        self._rest_limits.windows.clear()

    def refuse_as_unauthorized(self, route: str, calls: int = 1) -> None:
        """Answer the next `calls` calls of `route` as an 8.0 server answers a permission
        error: 401 `{"success": false, "error": "... [error-unauthorized]"}`, whatever the
        token (a fresh login does not change it)."""
        self.rest.unauthorized_calls[route] = calls
        self.store.touch()

    def delay(self, route: str, seconds: float) -> None:
        """Hold every call of `route` for `seconds` before answering (0 removes the delay)."""
        self.rest.delays[route] = seconds

    def ddp_rate_limit(self, name: str, calls: int = 1, time_to_reset_ms: int = 60_000) -> None:
        """Answer the next `calls` DDP calls of method (or subscription) `name` with Meteor's
        `too-many-requests` error carrying `details.timeToReset`."""
        self._ddp_limits.script(name, calls, time_to_reset_ms)

    async def expire_token(self, username: UserRef, token: str | None = None) -> None:
        """Remove the user's login tokens (or one): REST answers 401, DDP resume fails, and
        sockets logged in with them are closed, as Meteor does when a token goes away."""
        user = self.store.user(username)
        removed = {t.token for t in user.tokens if token is None or t.token == token}
        user.tokens = [t for t in user.tokens if t.token not in removed]
        self.store.touch()
        await self.hub.close_for_tokens(removed)

    # -- observation ----------------------------------------------------------------------------

    def messages(self, room: RoomRef) -> list[JsonDict]:
        """Stored messages of a room, oldest first, as REST shows them."""
        return [rest_doc(doc) for doc in self.store.in_room(self.store.room(room))]

    def sent_by(self, username: UserRef) -> list[JsonDict]:
        """Every stored message whose author is `username`, oldest first."""
        user_id = self.store.user(username).id
        return [doc for doc in self._all_messages() if doc["u"]["_id"] == user_id]

    def message(self, message_id: str) -> JsonDict:
        return rest_doc(self.store.message(message_id))

    # The `timeout` arguments below (ASYNC109) are the interface the tests are written to.
    async def wait_for(
        self,
        predicate: MessagePredicate,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JsonDict:
        """The first stored message satisfying `predicate`, awaiting changes until one does."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    found = next((d for d in self._all_messages() if predicate(d)), None)
                    if found is not None:
                        return found
                    await self.store.wait_change()
        except TimeoutError:
            recent = [(d["u"]["username"], d["msg"]) for d in self._all_messages()[-5:]]
            raise TimeoutError(f"no message matched within {timeout}s; last: {recent}") from None

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Await any state change until `condition()` holds (connections, subscriptions,
        REST calls, messages...)."""
        async with asyncio.timeout(timeout):
            while not condition():
                await self.store.wait_change()

    def rest_calls(self, route: str | None = None) -> int:
        """How many REST calls reached `route` (all routes when None), faults included."""
        if route is None:
            return sum(self.rest.calls.values())
        return self.rest.calls.get(route, 0)

    @property
    def rest_log(self) -> list[RestCall]:
        """Every answered REST call: method, route, status, username."""
        return list(self.rest.log)

    def early_calls(self, route: str) -> int:
        """Calls of `route` that arrived before a reset announced by a 429."""
        return self._rest_limits.early_calls.get(route, 0)

    def active_subscriptions(self, username: UserRef, event_name: str = MY_MESSAGES) -> int:
        """Live `stream-room-messages` subscriptions of that user for `event_name`."""
        return self.hub.subscription_count(self.store.user(username), event_name)

    def connections(self, username: UserRef | None = None) -> int:
        """Open DDP connections, or those logged in as `username`."""
        if username is None:
            return len(self.hub.connections)
        user_id = self.store.user(username).id
        return sum(1 for c in self.hub.connections if c.user is not None and c.user.id == user_id)

    def uploads(self, room: RoomRef | None = None) -> list[Upload]:
        """Uploaded files (bytes in `.data`), optionally of one room."""
        rid = self.store.room(room).id if room is not None else None
        return [u for u in self.store.uploads.values() if rid is None or u.rid == rid]

    def _all_messages(self) -> list[JsonDict]:
        docs = sorted(self.store.messages.values(), key=lambda d: d["ts"])
        return [rest_doc(doc) for doc in docs]
