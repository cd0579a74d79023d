"""The floor for bench_roundtrip: the least a bot on the same libraries can do.

It logs in with rocketchat-API, listens on aiohttp's WebSocket (DDP, `__my_messages__`)
and answers every message of someone else with `chat.sendMessage`, with the id
`<command id>r1` as partnerbot does: no parsing, no storage, no checks. The reply goes
out either with rocketchat-API in a worker thread (`thread`) or with aiohttp on the event
loop (`aiohttp`, what partnerbot does).

    python bench/echo_client.py URL USER PASSWORD thread|aiohttp
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import aiohttp
from rocketchat_API.rocketchat import RocketChat


async def main(url: str, user: str, password: str, path: str) -> None:
    api = await asyncio.to_thread(RocketChat, user=user, password=password, server_url=url)
    me, token = api.headers["X-User-Id"], api.headers["X-Auth-Token"]
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(url.replace("http", "ws", 1) + "/websocket")
        await ws.send_json({"msg": "connect", "version": "1", "support": ["1"]})
        await ws.send_json(
            {"msg": "method", "method": "login", "id": "1", "params": [{"resume": token}]}
        )
        await ws.send_json(
            {
                "msg": "sub",
                "id": "s",
                "name": "stream-room-messages",
                "params": ["__my_messages__", False],
            }
        )
        tasks = set()
        async for frame in ws:
            data = json.loads(frame.data)
            if data.get("msg") == "ping":
                await ws.send_json({"msg": "pong"})
            elif data.get("msg") == "ready":
                print("ready", flush=True)
            elif data.get("msg") == "changed":
                message = data["fields"]["args"][0]
                if message["u"]["_id"] != me and "editedAt" not in message:
                    reply = {"_id": message["_id"] + "r1", "rid": message["rid"], "msg": "echo"}
                    if path == "thread":
                        sending = asyncio.to_thread(api.chat_send_message, reply)
                    else:
                        sending = post(session, url, {"message": reply}, me, token)
                    task = asyncio.create_task(sending)
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)


async def post(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any], user_id: str, token: str
) -> None:
    headers = {"X-User-Id": user_id, "X-Auth-Token": token}
    async with session.post(
        f"{url}/api/v1/chat.sendMessage", json=body, headers=headers
    ) as response:
        await response.read()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
