"""Rocket.Chat's REST API for acting: `rocketchat-API` calls run off the event loop.

Every call goes through `Rest.call`, which runs the blocking `rocketchat_API` method in a
worker thread, waits out a 429 until `X-RateLimit-Reset` or for a minute, whichever comes
first (holding back every call of that route meanwhile) and tries again, and after a 401
logs in again once (with a password; a personal access token cannot be renewed).

Logging in waits out a 429 the same way: the server limits `login` per IP like any other
route, before it knows who logs in, so a bot has no exemption there. A 401 that comes back
with a fresh token is not an expired token but a refusal (from 8.0 the server answers some
permission errors, `error-unauthorized`, with 401: `ApiClass.ts`, `applyBreakingChanges`): it
is raised as a permanent `RestError`, and the call is not tried again.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aiohttp
import requests
from rocketchat_API.APIExceptions.RocketExceptions import (
    RocketApiException,
    RocketAuthenticationException,
    RocketBadStatusCodeException,
    RocketConnectionException,
)
from rocketchat_API.rocketchat import RocketChat as RocketChatApi

from chat.base import Room, RoomKind, User

log = logging.getLogger(__name__)

HISTORY_PAGE = 100
# The reset is a moment on the server's clock: one far ahead of the bot's would otherwise
# hold a route for as long as the clocks disagree. Past this, the bot asks again.
MAX_RATE_LIMIT_WAIT = 60.0
HISTORY_PATHS = {
    RoomKind.PUBLIC: "channels.history",
    RoomKind.PRIVATE: "groups.history",
    RoomKind.DIRECT: "dm.history",
}
MEMBERS_PAGE = 100
MEMBERS_PATHS = {RoomKind.PUBLIC: "channels.members", RoomKind.PRIVATE: "groups.members"}
# The history routes that cut `count` down to the admin setting `API_Upper_Count_Limit`
# (default 100, which an admin may lower) through getPaginationItems
# (apps/meteor/app/api/server/helpers/getPaginationItems.ts): channels.history
# (v1/channels.ts) and dm.history (v1/im.ts). groups.history takes `count` as it is given
# (v1/groups.ts, every version up to 8.x).
CLAMPED_HISTORY = frozenset({RoomKind.PUBLIC, RoomKind.DIRECT})


class RateLimited(Exception):
    def __init__(self, reset_ms: float | None) -> None:
        super().__init__("too many requests")
        self.reset_ms = reset_ms


class Unauthorized(Exception):
    """The server refused the credentials or the token (401)."""

    def __init__(self, message: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.body = body or {}


class RestError(Exception):
    """Any other failure of a REST call; `permanent` when retrying cannot help."""

    def __init__(
        self, message: str, *, status: int | None = None, body: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body or {}

    @property
    def permanent(self) -> bool:
        return self.status is not None and 400 <= self.status < 500


class _Session(requests.Session):
    """Turns 429 and 401 into exceptions before rocketchat_API reads the body, so that
    the reset time in the headers is not lost."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        response = super().request(*args, **kwargs)
        if response.status_code == 429:
            reset = response.headers.get("X-RateLimit-Reset")
            raise RateLimited(float(reset) if reset and reset.isdigit() else None)
        if response.status_code == 401:
            raise Unauthorized(response.text[:200], _json_object(response.text))
        return response


def _json_object(text: str) -> dict[str, Any] | None:
    """An error answer's JSON body, if it is an object."""
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


@dataclass(frozen=True)
class Credentials:
    user: str | None = None
    password: str | None = None
    user_id: str | None = None
    token: str | None = None


def parse_ts(value: Any) -> datetime:
    """A message time as sent over DDP (`{"$date": ms}`) or REST (ISO 8601)."""
    if isinstance(value, dict):
        return datetime.fromtimestamp(value["$date"] / 1000, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def iso_ms(moment: datetime) -> str:
    """ISO 8601 with milliseconds and `Z`: no `+`, which rocketchat_API would not escape."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


class Rest:
    def __init__(
        self,
        url: str,
        credentials: Credentials,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """With an aiohttp `session`, replies are posted and history read with it; else with
        rocketchat-API."""
        self.url = url
        self.session = session
        self.credentials = credentials
        self.clock = clock
        self.sleep = sleep
        self._api: RocketChatApi | None = None
        self.me: User | None = None
        self.rate_limited = 0
        # The server limits each route as a whole: after a 429 no call of that route goes
        # out before the reset it announced (epoch seconds, by route).
        self._closed_until: dict[str, float] = {}
        self._relogging = asyncio.Lock()  # one new login for the calls refused together

    @property
    def token(self) -> tuple[str, str]:
        """(user id, auth token) for the realtime login and the aiohttp fast path."""
        assert self._api is not None
        return self._api.headers["X-User-Id"], self._api.headers["X-Auth-Token"]

    async def login(self) -> User:
        """Log in (waiting out 429s) and find out who the bot is."""
        self._api = await self._fresh_api()
        self._closed_until.clear()
        me = await self.call("me")
        self.me = User(me["_id"], me["username"], me.get("name", ""))
        return self.me

    async def _fresh_api(self) -> RocketChatApi:
        """A new login, tried again after each 429 once its reset has come (at most a bound)."""
        api: RocketChatApi = await self._retrying(
            "login", lambda: asyncio.to_thread(self._new_api), relogin=False
        )
        return api

    def _new_api(self) -> RocketChatApi:
        creds = self.credentials
        try:
            return RocketChatApi(
                user=creds.user,
                password=creds.password,
                user_id=creds.user_id,
                auth_token=creds.token,
                server_url=self.url,
                session=_Session(),
                timeout=30,
            )
        except RocketAuthenticationException:
            raise Unauthorized("the server refused the bot's login") from None
        except (RocketConnectionException, requests.RequestException) as err:
            raise RestError(f"cannot log in to {self.url}: {err}") from None

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a `rocketchat_API` method by name in a worker thread, waiting out rate limits."""
        return await self._retrying(
            method, lambda: asyncio.to_thread(self._call, method, args, kwargs)
        )

    async def _retrying(
        self, route: str, attempt: Callable[[], Awaitable[Any]], *, relogin: bool = True
    ) -> Any:
        """Run `attempt` until it is not refused: after a 429 (and until its reset) or after
        one 401 that a new login cures (`relogin`). A 401 with a fresh token is a refusal:
        a `RestError` with status 401 (permanent)."""
        relogged = False
        while True:
            closed_for = self._closed_until.get(route, 0.0) - self.clock().timestamp()
            if closed_for > 0:  # a call of this route was told to wait
                await self.sleep(closed_for)
            used = self._api
            try:
                return await attempt()
            except RateLimited as limited:
                self.rate_limited += 1
                reopens = self.clock().timestamp() + self.wait_for(limited.reset_ms)
                self._closed_until[route] = max(self._closed_until.get(route, 0.0), reopens)
            except Unauthorized as refused:
                if not relogin or self.credentials.password is None:
                    raise
                if relogged:
                    log.warning(
                        "%s refused with a fresh login (401, not an expired token): %s",
                        route,
                        refused,
                    )
                    raise RestError(
                        f"{route}: refused (401) with a fresh login: {refused}",
                        status=401,
                        body=refused.body,
                    ) from None
                await self._relogin(used)
                relogged = True

    async def _relogin(self, refused: RocketChatApi | None) -> None:
        """Log in again after a 401 with the login `refused`, unless another call already
        did: the calls that find the token expired together share one new login."""
        async with self._relogging:
            if self._api is refused:
                log.info("REST token refused; logging in again")
                self._api = await self._fresh_api()

    def _call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        assert self._api is not None
        try:
            result = getattr(self._api, method)(*args, **kwargs)
            # Paginated methods return generators that fetch pages as they are read:
            # read them here, in the worker thread.
            return list(result) if isinstance(result, Iterator) else result
        except RocketApiException as err:
            raise RestError(str(err), status=err.status_code, body=err.response_json) from None
        except RocketBadStatusCodeException as err:
            raise RestError(str(err), status=err.status_code) from None
        except requests.RequestException as err:
            raise RestError(f"{method}: {err}") from None

    def wait_for(self, reset_ms: float | None) -> float:
        """Seconds until a rate limit resets (at least a little, at most a minute, whatever
        the server's clock says)."""
        if reset_ms is None:
            return 1.0
        delay = reset_ms / 1000 - self.clock().timestamp()
        return min(max(delay, 0.05), MAX_RATE_LIMIT_WAIT)

    async def rooms(self) -> list[Room]:
        """The rooms the bot is in (its subscriptions)."""
        answer = await self.call("subscriptions_get")
        rooms = []
        for sub in answer.get("update", []):
            kind = sub.get("t")
            if kind in HISTORY_PATHS:
                rooms.append(Room(sub["rid"], RoomKind(kind), sub.get("name", "")))
        return rooms

    async def last_changes(self) -> dict[str, datetime | None] | None:
        """When each of the bot's rooms last changed (None: it never had a message), from
        `rooms.get`, or None if the server does not say.

        A room's `lm` is not enough: a reply that stays in its thread (`tmid` without
        `tshow`) does not move it, it only counts in `msgs`
        (apps/meteor/app/lib/server/lib/notifyUsersOnMessage.ts); but that count is an
        update of the room, and every update sets the room's `_updatedAt`
        (packages/models/src/models/BaseRaw.ts, `setUpdatedAt`). A room without `lm` never
        had a message outside a thread, so none in a thread either. Other changes (a member
        added, a topic set) move `_updatedAt` too: a history read for nothing, not a miss.
        """
        try:
            answer = await self.call("rooms_get")
        except RestError as err:
            log.info("rooms.get: %s; every room's history will be read", err)
            return None
        changes: dict[str, datetime | None] = {}
        for room in answer.get("update", []):
            stamps = [parse_ts(room[key]) for key in ("lm", "_updatedAt") if room.get(key)]
            changes[room["_id"]] = max(stamps) if room.get("lm") else None
        return changes

    async def history(self, room: Room, oldest: datetime) -> list[dict[str, Any]]:
        """Every message of `room` from `oldest` (inclusive) until the server's now (no `latest`:
        a bot clock behind the server's must not cut off its newest messages), oldest first.

        Read page by page, by offset. The answers say no total, and a route that cuts
        `count` down (`CLAMPED_HISTORY`) may answer a short page that is not the last: there
        only an empty page ends the reading. A private group's short page is its last
        (one call for a room with a few new messages, the common case after a fan-out).
        """
        route = HISTORY_PATHS[room.kind]
        messages: list[dict[str, Any]] = []
        while True:
            query = {
                "roomId": room.id,
                "oldest": iso_ms(oldest),
                "inclusive": "true",  # only ever sent as true: old servers read "false" as true
                "showThreadMessages": "true",  # channels and DMs hide thread replies without it
                "count": str(HISTORY_PAGE),
                "offset": str(len(messages)),
            }
            page = (await self._get(route, query)).get("messages") or []
            messages += page
            if not page or (len(page) < HISTORY_PAGE and room.kind not in CLAMPED_HISTORY):
                break
        unique = {message["_id"]: message for message in messages}
        return sorted(unique.values(), key=lambda message: parse_ts(message["ts"]))

    async def members(self, room: Room) -> list[str]:
        """The usernames of everyone in a channel or private group: `channels.members` /
        `groups.members` (apps/meteor/app/api/server/v1/channels.ts, v1/groups.ts, through
        `findUsersOfRoom`), page by page. `count` is cut down to `API_Upper_Count_Limit`
        (`getPaginationItems`), so a short page is not the end: the answer's `total` is."""
        route = MEMBERS_PATHS[room.kind]
        names: dict[str, None] = {}
        offset = 0
        while True:
            query = {"roomId": room.id, "count": str(MEMBERS_PAGE), "offset": str(offset)}
            answer = await self._get(route, query)
            page = answer.get("members") or []
            for member in page:
                if isinstance(member, dict) and isinstance(member.get("username"), str):
                    names[member["username"]] = None
            offset += len(page)
            total = answer.get("total")
            if not page or not isinstance(total, int) or offset >= total:
                return list(names)

    async def user_info(self, username: str) -> dict[str, Any]:
        """`users.info?username=`: the user's public fields (`_id`, `username`, `name`, ...).

        Not their `language`: the server projects `users.info` onto fixed fields
        (apps/meteor/app/lib/server/functions/getFullUserData.ts, `defaultFields` and, with
        `view-full-other-user-info`, `fullFields`), and `language` is in neither, for any
        caller, up to 8.x. A server that one day adds it is read as it is.
        """
        answer = await self._get("users.info", {"username": username})
        user = answer.get("user")
        if not isinstance(user, dict):
            raise RestError(f"users.info: no user in {str(answer)[:200]}")
        return user

    async def public_setting(self, name: str) -> Any:
        """The value of the public setting `name` (`settings.public?_id=`, v1/settings.ts:
        no login needed; only settings marked public), or None when the server has none."""
        answer = await self._get("settings.public", {"_id": name})
        for setting in answer.get("settings") or []:
            if isinstance(setting, dict) and setting.get("_id") == name:
                return setting.get("value")
        return None

    async def _get(self, route: str, query: dict[str, str]) -> Any:
        """A GET with aiohttp on the event loop when there is a session (a catch-up after a
        fan-out reads thousands of rooms, and a worker thread per call costs more CPU than
        the call), else through rocketchat-API in a worker thread."""
        if self.session is None:
            return await self._retrying(
                route, lambda: asyncio.to_thread(self._call, "call_api_get", (route,), query)
            )
        return await self._retrying(route, partial(self._request, "GET", route, query))

    async def send(self, message: dict[str, Any]) -> None:
        """`chat.sendMessage` with the client's `_id`; a message already sent is not an error.

        A server that already has the `_id` answers 400 (with a TypeError's text, see
        tests/emulator/endpoints.py), so after any 4xx the message is looked up by its id.
        """
        try:
            if self.session is None:
                await self.call("chat_send_message", message)
            else:
                await self._retrying(
                    "chat_send_message",
                    lambda: self._request("POST", "chat.sendMessage", {"message": message}),
                )
        except RestError as err:
            if err.permanent and await self.exists(message["_id"]):
                return
            raise

    async def _request(self, method: str, route: str, data: dict[str, Any]) -> Any:
        """A call with aiohttp on the event loop (`data`: the JSON body of a POST, the query
        of a GET): the reply path and the catch-up, where a worker thread costs more than
        the call itself (bench/bench_roundtrip.py has both figures)."""
        assert self.session is not None
        user_id, token = self.token
        headers = {"X-User-Id": user_id, "X-Auth-Token": token}
        body, query = (data, None) if method == "POST" else (None, data)
        try:
            async with self.session.request(
                method, f"{self.url}/api/v1/{route}", json=body, params=query, headers=headers
            ) as response:
                if response.status == 429:
                    reset = response.headers.get("X-RateLimit-Reset", "")
                    raise RateLimited(float(reset) if reset.isdigit() else None)
                if response.status == 401:
                    text = await response.text()
                    raise Unauthorized(text[:200], _json_object(text))
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise RestError(f"{route}: {err}") from None
        if response.status >= 400 or not isinstance(answer, dict) or not answer.get("success"):
            raise RestError(
                f"{route}: {response.status} {str(answer)[:200]}",
                status=response.status,
                body=answer if isinstance(answer, dict) else None,
            )
        return answer

    async def exists(self, message_id: str) -> bool:
        try:
            found = await self.call("chat_get_message", message_id)
        except RestError:
            return False
        return bool(found.get("message"))
