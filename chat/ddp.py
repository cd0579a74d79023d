"""A small DDP client on aiohttp's WebSocket: connect, methods, subscriptions, pings.

Rocket.Chat's realtime API is DDP over `/websocket` (see docs/protocol.md). One
`DdpConnection` is one socket: when it ends, every pending call fails with `DdpClosed`
and `closed` resolves; reconnecting is the caller's business (a new connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any]], None]


class DdpClosed(ConnectionError):
    """The socket ended before the answer came."""


class DdpError(Exception):
    """The server answered a method or subscription with an error."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message") or error.get("reason") or str(error))
        self.error = error

    @property
    def code(self) -> Any:
        return self.error.get("error")

    @property
    def retry_after(self) -> float | None:
        """Seconds to wait for a `too-many-requests` error, else None."""
        if self.code != "too-many-requests":
            return None
        details = self.error.get("details") or {}
        return float(details.get("timeToReset", 1000)) / 1000


class DdpConnection:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        on_event: EventHandler,
        *,
        ping_interval: float = 25.0,
        timeout: float = 30.0,
    ) -> None:
        self._session = session
        self._url = url
        self._on_event = on_event
        self._ping_interval = ping_interval
        self._timeout = timeout
        self._ids = (str(n) for n in itertools.count(1))
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def open(self) -> None:
        """Open the socket and do the DDP handshake."""
        self._ws = await self._session.ws_connect(
            self._url,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5.0),
            autoping=True,
            heartbeat=None,
        )
        connected = self._expect("connected")
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._keepalive())]
        await self._send({"msg": "connect", "version": "1", "support": ["1"]})
        await self._wait(connected)

    async def call(self, method: str, *params: Any) -> Any:
        """Call a DDP method and return its result; raises `DdpError` or `DdpClosed`."""
        call_id = next(self._ids)
        answer = self._expect(call_id)
        await self._send({"msg": "method", "method": method, "id": call_id, "params": list(params)})
        return await self._wait(answer)

    async def subscribe(self, name: str, *params: Any) -> str:
        """Subscribe and wait until the server says it is ready; returns the subscription id."""
        sub_id = f"sub-{next(self._ids)}"
        ready = self._expect(sub_id)
        await self._send({"msg": "sub", "id": sub_id, "name": name, "params": list(params)})
        await self._wait(ready)
        return sub_id

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._ws is not None:
            await self._ws.close()
        self._finish()

    def _expect(self, key: str) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        return future

    async def _wait(self, future: asyncio.Future[Any]) -> Any:
        try:
            return await asyncio.wait_for(asyncio.shield(future), self._timeout)
        except TimeoutError:
            await self.close()
            raise DdpClosed("no answer from the server") from None

    async def _send(self, frame: dict[str, Any]) -> None:
        if self._ws is None or self._ws.closed:
            raise DdpClosed("the socket is closed")
        try:
            await self._ws.send_str(json.dumps(frame))
        except (ConnectionError, aiohttp.ClientError) as err:
            raise DdpClosed(str(err)) from err

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for frame in self._ws:
                if frame.type is not aiohttp.WSMsgType.TEXT:
                    break
                message = json.loads(frame.data)
                if message.get("msg") == "ping":  # answered at once, echoing its id
                    pong = {"msg": "pong", **({"id": message["id"]} if "id" in message else {})}
                    await self._send_quietly(pong)
                else:
                    self._receive(message)
        except (ConnectionError, aiohttp.ClientError, json.JSONDecodeError) as err:
            log.warning("realtime socket failed: %s", err)
        finally:
            self._finish()

    def _receive(self, frame: dict[str, Any]) -> None:
        kind = frame.get("msg")
        if kind == "pong":
            self._resolve(frame.get("id", ""), None)
        elif kind == "connected":
            self._resolve("connected", frame.get("session"))
        elif kind == "failed":
            self._reject("connected", {"error": "failed", "message": "DDP version refused"})
        elif kind == "result":
            if "error" in frame:
                self._reject(frame["id"], frame["error"])
            else:
                self._resolve(frame["id"], frame.get("result"))
        elif kind == "ready":
            for sub_id in frame.get("subs", []):
                self._resolve(sub_id, None)
        elif kind == "nosub":
            self._reject(frame["id"], frame.get("error") or {"error": "nosub"})
        elif kind == "changed":
            self._on_event(frame)

    def _resolve(self, key: str, value: Any) -> None:
        future = self._pending.pop(key, None)
        if future is not None and not future.done():
            future.set_result(value)

    def _reject(self, key: str, error: dict[str, Any]) -> None:
        future = self._pending.pop(key, None)
        if future is not None and not future.done():
            future.set_exception(DdpError(error))

    async def _send_quietly(self, frame: dict[str, Any]) -> None:
        with contextlib.suppress(DdpClosed):
            await self._send(frame)

    async def _keepalive(self) -> None:
        """Ping the server so that neither it nor a proxy closes an idle socket."""
        while True:
            await asyncio.sleep(self._ping_interval)
            try:
                await self.call_ping()
            except DdpClosed:
                return

    async def call_ping(self) -> None:
        ping_id = f"ping-{next(self._ids)}"
        pong = self._expect(ping_id)
        await self._send({"msg": "ping", "id": ping_id})
        await self._wait(pong)

    def _finish(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(DdpClosed("the socket closed"))
        self._pending.clear()
        if not self.closed.done():
            self.closed.set_result(None)
