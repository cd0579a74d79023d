"""The Rocket.Chat emulator, exercised with a plain aiohttp client over REST and DDP.

No test sleeps: each awaits a frame, a response or an emulator condition.  To show that a
frame did *not* come, a test sends a DDP ping and checks the pong is the next frame (the
server writes frames in order, and publishes before it answers).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from rocketchat_API.rocketchat import RocketChat

from tests.emulator import RocketChatEmulator

Frame = dict[str, Any]
Headers = dict[str, str]

LOGGED_OUT_BODY = {
    "success": False,
    "error": "You must be logged in to do this.",
    "status": "error",
    "message": "You must be logged in to do this.",
}


class Ddp:
    """A minimal DDP client: answers server pings, reads frames in order."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = 0

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, emu: RocketChatEmulator) -> Ddp:
        client = cls(await session.ws_connect(emu.ws_url))
        assert await client.raw() == {"server_id": "0"}
        await client.send({"msg": "connect", "version": "1", "support": ["1"]})
        connected = await client.next()
        assert connected["msg"] == "connected" and len(connected["session"]) == 17
        return client

    def new_id(self) -> str:
        self._ids += 1
        return str(self._ids)

    async def send(self, frame: Frame) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def raw(self) -> Frame:
        message = await asyncio.wait_for(self.ws.receive(), 5)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        frame: Frame = json.loads(message.data)
        return frame

    async def next(self) -> Frame:
        """The next frame that is not a server ping (pings are answered)."""
        while True:
            frame = await self.raw()
            if frame.get("msg") != "ping":
                return frame
            await self.send({"msg": "pong"})

    async def call(self, method: str, *params: Any) -> Frame:
        call_id = self.new_id()
        await self.send({"msg": "method", "method": method, "id": call_id, "params": list(params)})
        result = await self.next()
        assert result["msg"] == "result" and result["id"] == call_id
        assert await self.next() == {"msg": "updated", "methods": [call_id]}
        return result

    async def login_password(self, username: str, password: str) -> Frame:
        digest = hashlib.sha256(password.encode()).hexdigest()
        credentials = {"digest": digest, "algorithm": "sha-256"}
        return await self.call("login", {"user": {"username": username}, "password": credentials})

    async def subscribe(self, sub_id: str, event: str = "__my_messages__") -> Frame:
        await self.send(
            {"msg": "sub", "id": sub_id, "name": "stream-room-messages", "params": [event, False]}
        )
        return await self.next()

    async def sync(self) -> None:
        """Assert no frame is pending: a ping's pong comes back first."""
        ping_id = self.new_id()
        await self.send({"msg": "ping", "id": ping_id})
        assert await self.next() == {"msg": "pong", "id": ping_id}


@pytest.fixture
async def emu() -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator(seed=7) as server:
        server.add_user("bot", "pass", name="Partner Bot", roles=["bot"])
        server.add_user("alice", "pw", name="Alice")
        server.add_room("acme", "p", ["bot", "alice"])
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def rest_login(
    http: aiohttp.ClientSession, emu: RocketChatEmulator, user: str = "bot", password: str = "pass"
) -> Headers:
    async with http.post(f"{emu.url}/api/v1/login", json={"user": user, "password": password}) as r:
        assert r.status == 200
        data = (await r.json())["data"]
    return {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}


async def get(
    http: aiohttp.ClientSession, emu: RocketChatEmulator, route: str, headers: Headers, **query: str
) -> tuple[int, Frame]:
    async with http.get(f"{emu.url}/api/v1/{route}", params=query, headers=headers) as r:
        return r.status, await r.json()


async def post(
    http: aiohttp.ClientSession, emu: RocketChatEmulator, route: str, headers: Headers, body: Frame
) -> tuple[int, Frame]:
    async with http.post(f"{emu.url}/api/v1/{route}", json=body, headers=headers) as r:
        return r.status, await r.json()


async def logged_in_ddp(
    http: aiohttp.ClientSession, emu: RocketChatEmulator, user: str = "bot", password: str = "pass"
) -> Ddp:
    client = await Ddp.connect(http, emu)
    assert "result" in await client.login_password(user, password)
    return client


# -- login ------------------------------------------------------------------------------------


async def test_rest_login_with_password_then_with_resume_token(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    headers = await rest_login(http, emu)
    status, me = await get(http, emu, "me", headers)
    assert status == 200 and me["username"] == "bot" and me["success"] is True

    resume = {"resume": headers["X-Auth-Token"]}
    status, body = await post(http, emu, "login", {}, resume)
    assert status == 200 and body["data"]["authToken"] == headers["X-Auth-Token"]

    status, body = await post(http, emu, "login", {}, {"user": "bot", "password": "nope"})
    assert status == 401
    assert body == {
        "success": False,
        "error": "Unauthorized",
        "status": "error",
        "message": "Unauthorized",
    }


async def test_ddp_login_by_digest_and_by_resume_token(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    client = await Ddp.connect(http, emu)
    result = (await client.login_password("bot", "pass"))["result"]
    assert result["id"] == emu.store.user("bot").id and result["type"] == "password"
    assert isinstance(result["tokenExpires"]["$date"], int)

    second = await Ddp.connect(http, emu)
    resumed = await second.call("login", {"resume": result["token"]})
    assert resumed["result"]["type"] == "resume" and resumed["result"]["token"] == result["token"]

    refused = await second.login_password("bot", "wrong")
    assert refused["error"] == {
        "isClientSafe": True,
        "error": 403,
        "reason": "User not found",
        "message": "User not found [403]",
        "errorType": "Meteor.Error",
    }


async def test_ddp_pings_both_ways_and_closes_a_silent_socket(http: aiohttp.ClientSession) -> None:
    async with RocketChatEmulator(ping_interval=0.05, ping_timeout=0.05) as emu:
        client = await Ddp.connect(http, emu)
        await client.send({"msg": "ping", "id": "p1"})
        assert await client.raw() == {"msg": "pong", "id": "p1"}
        assert await client.raw() == {"msg": "ping"}  # the server pings an idle client
        closing = await asyncio.wait_for(client.ws.receive(), 5)  # ...and we do not answer
        assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == 4000
        assert closing.extra == "TIMEOUT"


# -- the message stream -------------------------------------------------------------------------


async def test_human_and_bot_messages_arrive_on_the_stream(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    client = await logged_in_ddp(http, emu)
    assert await client.subscribe("s1") == {"msg": "ready", "subs": ["s1"]}
    assert emu.active_subscriptions("bot") == 1

    sent = await emu.post("alice", "acme", "@bot help")
    frame = await client.next()
    assert frame["msg"] == "changed" and frame["collection"] == "stream-room-messages"
    assert frame["id"] == "id" and frame["fields"]["eventName"] == "__my_messages__"
    message, meta = frame["fields"]["args"]
    assert meta == {"roomParticipant": True, "roomType": "p", "roomName": "acme"}
    assert message["_id"] == sent["_id"] and message["msg"] == "@bot help"
    assert message["u"] == {"_id": emu.store.user("alice").id, "username": "alice", "name": "Alice"}
    assert isinstance(message["ts"]["$date"], int) and isinstance(sent["ts"], str)
    assert message["mentions"][0]["username"] == "bot"

    headers = await rest_login(http, emu)
    body = {"roomId": sent["rid"], "text": "hello"}
    status, reply = await post(http, emu, "chat.postMessage", headers, body)
    assert status == 200 and reply["success"] is True
    own = await client.next()  # the bot sees its own message, as on a real server
    assert own["fields"]["args"][0]["_id"] == reply["message"]["_id"]
    assert own["fields"]["args"][0]["u"]["username"] == "bot"


async def test_subscribing_twice_delivers_every_message_twice(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    client = await logged_in_ddp(http, emu)
    await client.subscribe("a")
    await client.subscribe("b")
    assert emu.active_subscriptions("bot") == 2
    sent = await emu.post("alice", "acme", "once")
    first, second = await client.next(), await client.next()
    assert first["fields"]["args"][0]["_id"] == second["fields"]["args"][0]["_id"] == sent["_id"]
    await client.sync()


async def test_edit_reaction_and_thread_reply_resend_the_same_id(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    client = await logged_in_ddp(http, emu)
    await client.subscribe("s")
    sent = await emu.post("alice", "acme", "frist")
    await client.next()

    await emu.edit(sent["_id"], "first")
    edited = (await client.next())["fields"]["args"][0]
    assert edited["_id"] == sent["_id"] and edited["msg"] == "first"
    assert edited["editedBy"]["username"] == "alice" and "$date" in edited["editedAt"]

    await emu.react(sent["_id"], "bot", "thumbsup")
    reacted = (await client.next())["fields"]["args"][0]
    assert reacted["_id"] == sent["_id"]
    assert reacted["reactions"] == {":thumbsup:": {"usernames": ["bot"]}}

    reply = await emu.thread_reply(sent["_id"], "alice", "in thread")
    assert (await client.next())["fields"]["args"][0]["tmid"] == sent["_id"]
    parent = (await client.next())["fields"]["args"][0]
    assert parent["_id"] == sent["_id"] and parent["tcount"] == 1
    assert parent["tlm"]["$date"] == emu.store.message(reply["_id"])["ts"].ms


async def test_public_channel_messages_reach_non_members(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    emu.add_room("lobby", "c", ["alice"])
    client = await logged_in_ddp(http, emu)
    await client.subscribe("s")
    await emu.post("alice", "lobby", "hi all")
    meta = (await client.next())["fields"]["args"][1]
    assert meta == {"roomParticipant": False, "roomType": "c", "roomName": "lobby"}


async def test_subscriptions_refused_or_silent(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    secret = emu.add_room("secret", "p", ["alice"])
    client = await Ddp.connect(http, emu)
    # __my_messages__ may be read by anyone: ready, but nothing is emitted before login.
    assert await client.subscribe("early") == {"msg": "ready", "subs": ["early"]}
    await emu.post("alice", "acme", "unseen")
    await client.sync()

    await client.login_password("bot", "pass")
    refused = await client.subscribe("r", secret.id)
    assert refused["msg"] == "nosub" and refused["error"]["error"] == "not-allowed"
    await client.send({"msg": "sub", "id": "x", "name": "stream-notify-user", "params": []})
    unknown = await client.next()
    assert unknown["error"]["reason"] == "Subscription 'stream-notify-user' not found"


# -- faults -------------------------------------------------------------------------------------


async def test_expired_token_gets_401_and_fails_resume(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    headers = await rest_login(http, emu)
    client = await Ddp.connect(http, emu)
    await client.call("login", {"resume": headers["X-Auth-Token"]})

    await emu.expire_token("bot")
    status, body = await get(http, emu, "me", headers)
    assert status == 401 and body == LOGGED_OUT_BODY
    closed = await asyncio.wait_for(client.ws.receive(), 5)  # its socket is closed
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)

    fresh = await Ddp.connect(http, emu)
    failed = await fresh.call("login", {"resume": headers["X-Auth-Token"]})
    assert failed["error"]["error"] == 403
    assert failed["error"]["reason"] == "You've been logged out by the server. Please log in again."


async def test_rate_limit_answers_429_with_headers(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    headers = await rest_login(http, emu)
    room_id = emu.store.room("acme").id
    emu.rate_limit("chat.postMessage", calls=1, reset_ms=4_000)
    body = {"roomId": room_id, "text": "hi"}
    async with http.post(
        f"{emu.url}/api/v1/chat.postMessage", json=body, headers=headers
    ) as response:
        assert response.status == 429
        assert await response.json() == {
            "success": False,
            "error": "Error, too many requests. Please slow down. You must wait 4 seconds "
            "before trying this endpoint again. [error-too-many-requests]",
        }
        assert response.headers["X-RateLimit-Limit"] == "10"
        assert response.headers["X-RateLimit-Remaining"] == "0"
        reset = int(response.headers["X-RateLimit-Reset"])
        assert 0 < reset - emu.store.now().ms <= 4_000
    assert emu.messages("acme") == []

    status, _ = await post(http, emu, "chat.postMessage", headers, body)
    assert status == 200 and emu.early_calls("chat.postMessage") == 1
    assert emu.rest_calls("chat.postMessage") == 2


async def test_server_limiter_counts_per_route_and_exempts_bots(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    emu.enable_rate_limiter(calls=2)
    alice = await rest_login(http, emu, "alice", "pw")  # login is limited too: 1 of 2
    statuses = [(await get(http, emu, "me", alice))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]
    bot = await rest_login(http, emu)  # second login call: still allowed
    assert [(await get(http, emu, "me", bot))[0] for _ in range(3)] == [200, 200, 200]


async def test_rate_limit_ratio_is_reproducible(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    headers = await rest_login(http, emu)

    async def statuses() -> list[int]:
        return [(await get(http, emu, "me", headers))[0] for _ in range(12)]

    emu.rate_limit_ratio("me", 0.5, seed=3)
    first = await statuses()
    emu.rate_limit_ratio("me", 0.5, seed=3)
    assert await statuses() == first and {200, 429} <= set(first)


async def test_ddp_method_rate_limit_error(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    emu.ddp_rate_limit("login", calls=1, time_to_reset_ms=53_009)
    client = await Ddp.connect(http, emu)
    limited = await client.login_password("bot", "pass")
    assert limited["error"]["error"] == "too-many-requests"
    assert limited["error"]["details"] == {"timeToReset": 53_009}
    assert "You must wait 54 seconds" in limited["error"]["reason"]
    assert "result" in await client.login_password("bot", "pass")


async def test_drop_sockets_and_nothing_is_replayed(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    client = await logged_in_ddp(http, emu)
    await client.subscribe("s")
    emu.drop_sockets()
    dropped = await asyncio.wait_for(client.ws.receive(), 5)
    assert dropped.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    await emu.wait_until(lambda: emu.connections() == 0)

    missed = await emu.post("alice", "acme", "while you were away")
    again = await logged_in_ddp(http, emu)
    await again.subscribe("s")
    latest = await emu.post("alice", "acme", "back?")
    frame = await again.next()
    assert frame["fields"]["args"][0]["_id"] == latest["_id"] != missed["_id"]


async def test_refused_connections_look_like_a_proxy_without_upstream(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    emu.refuse_connections(60)
    async with http.get(f"{emu.url}/api/v1/me") as response:
        assert response.status == 502 and "Bad Gateway" in await response.text()
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await http.ws_connect(emu.ws_url)
    emu.refuse_connections(60, status=0)  # or as a server that is not listening
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(http, emu, "me", {})
    emu.accept_connections()
    await Ddp.connect(http, emu)


async def test_restart_keeps_data_and_tokens(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    headers = await rest_login(http, emu)
    await logged_in_ddp(http, emu)
    sent = await emu.post("alice", "acme", "kept")
    await emu.restart()
    assert emu.connections() == 0
    status, _ = await get(http, emu, "me", headers)
    assert status == 200 and emu.messages("acme")[0]["_id"] == sent["_id"]


# -- REST semantics -----------------------------------------------------------------------------


async def test_post_message_rejects_unknown_fields(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    headers = await rest_login(http, emu)
    body = {"roomId": emu.store.room("acme").id, "text": "hi", "bot": {"i": "x"}}
    status, reply = await post(http, emu, "chat.postMessage", headers, body)
    assert status == 400
    assert reply == {
        "success": False,
        "error": "must NOT have additional properties\n must have required property 'channel'\n"
        " must match exactly one schema in oneOf [invalid-params]",
        "errorType": "invalid-params",
    }


async def test_send_message_with_an_existing_id(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    headers = await rest_login(http, emu)
    client = await logged_in_ddp(http, emu)
    await client.subscribe("s")
    message = {"_id": "clientChosenId123", "rid": emu.store.room("acme").id, "msg": "once"}
    status, first = await post(http, emu, "chat.sendMessage", headers, {"message": message})
    assert status == 200 and first["message"]["_id"] == "clientChosenId123"
    await client.next()

    status, again = await post(http, emu, "chat.sendMessage", headers, {"message": message})
    assert status == 400
    assert again == {
        "success": False,
        "error": "Cannot read properties of undefined (reading 'starred')",
    }
    assert [m["_id"] for m in emu.messages("acme")] == ["clientChosenId123"]
    await client.sync()  # nothing was broadcast the second time


async def test_history_windows(emu: RocketChatEmulator, http: aiohttp.ClientSession) -> None:
    headers = await rest_login(http, emu)
    room = emu.store.room("acme").id
    sent = [await emu.post("alice", "acme", f"m{i}") for i in range(5)]
    middle = sent[2]["ts"]

    async def history(route: str, **query: str) -> list[str]:
        status, body = await get(http, emu, route, headers, roomId=room, **query)
        assert status == 200, body
        return [m["msg"] for m in body["messages"]]

    assert await history("groups.history") == ["m4", "m3", "m2", "m1", "m0"]
    assert await history("groups.history", oldest=middle) == ["m4", "m3"]
    assert await history("groups.history", latest=middle, count="1") == ["m1"]
    assert await history("groups.history", latest=middle, count="1", offset="1") == ["m0"]
    # groups.history reads `inclusive` as `inclusive || false`: "false" means true there.
    assert await history("groups.history", oldest=middle, inclusive="false") == ["m4", "m3", "m2"]

    dm = emu.dm("bot", "alice")
    dm_sent = [await emu.post("alice", dm, f"d{i}") for i in range(3)]
    await emu.thread_reply(dm_sent[0]["_id"], "alice", "threaded")
    status, body = await get(
        http, emu, "im.history", headers, roomId=dm.id, oldest=dm_sent[0]["ts"]
    )
    assert [m["msg"] for m in body["messages"]] == ["d2", "d1"]  # thread replies hidden
    status, body = await get(
        http, emu, "dm.history", headers, roomId=dm.id, inclusive="false", showThreadMessages="true"
    )
    assert [m["msg"] for m in body["messages"]] == ["threaded", "d2", "d1", "d0"]

    status, body = await get(http, emu, "im.history", headers, roomId=dm.id, inclusive="no")
    assert status == 400 and body["errorType"] == "error-invalid-params"


async def test_history_counts_follow_the_api_settings(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    headers = await rest_login(http, emu)
    lobby = emu.add_room("lobby", "c", ["bot", "alice"])
    group = emu.store.room("acme")
    dm = emu.dm("bot", "alice")
    for n in range(120):
        await emu.post("alice", lobby, f"c{n}")
        await emu.post("alice", group, f"g{n}")
        await emu.post("alice", dm, f"d{n}")

    async def sizes(route: str, room: str, **query: str) -> int:
        status, body = await get(http, emu, route, headers, roomId=room, **query)
        assert status == 200, body
        assert set(body) == {"messages", "success"}  # no total to page by
        return len(body["messages"])

    assert await sizes("channels.history", lobby.id) == 50  # API_Default_Count
    assert await sizes("channels.history", lobby.id, count="110") == 100  # the upper limit
    assert await sizes("channels.history", lobby.id, count="0") == 120  # infinite allowed
    emu.set_setting("API_Upper_Count_Limit", 50)
    assert await sizes("channels.history", lobby.id, count="100") == 50
    assert await sizes("channels.history", lobby.id, count="100", offset="100") == 20
    assert await sizes("dm.history", dm.id, count="100") == 50
    emu.set_setting("API_Allow_Infinite_Count", False)
    assert await sizes("channels.history", lobby.id, count="0") == 50
    # groups.history takes `count` as it is (v1/groups.ts), whatever the settings
    assert await sizes("groups.history", group.id, count="110") == 110


async def test_a_reply_that_stays_in_its_thread_does_not_move_the_rooms_lm(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    headers = await rest_login(http, emu)

    async def room() -> Frame:
        status, body = await get(http, emu, "rooms.get", headers)
        assert status == 200, body
        acme: Frame = body["update"][0]
        return acme

    assert "lm" not in await room() and (await room())["msgs"] == 0
    parent = await emu.post("alice", "acme", "a question")
    before = await room()
    assert before["lm"] == parent["ts"] and before["msgs"] == 1
    reply = await emu.thread_reply(parent["_id"], "alice", "/help")
    after = await room()
    assert after["lm"] == parent["ts"]  # notifyUsersOnMessage: tmid without tshow
    assert after["msgs"] == 2 and after["_updatedAt"] == reply["ts"]
    also = {"rid": parent["rid"], "msg": "also here", "tmid": parent["_id"], "tshow": True}
    status, shown = await post(http, emu, "chat.sendMessage", headers, {"message": also})
    assert status == 200 and (await room())["lm"] == shown["message"]["ts"]  # tshow: in the room


async def test_groups_create_twice_is_a_duplicate(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    headers = await rest_login(http, emu)
    body = {"name": "partner-acme", "members": ["alice"]}
    status, created = await post(http, emu, "groups.create", headers, body)
    assert status == 200 and created["group"]["t"] == "p"
    assert created["group"]["name"] == "partner-acme" and created["group"]["usersCount"] == 2

    status, duplicate = await post(http, emu, "groups.create", headers, body)
    assert status == 400
    assert duplicate == {
        "success": False,
        "error": "A channel with name 'partner-acme' exists [error-duplicate-channel-name]",
        "errorType": "error-duplicate-channel-name",
        "details": {"function": "RocketChat.getValidRoomName", "channel_name": "partner-acme"},
    }


async def test_invite_im_create_subscriptions_and_users_info(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    emu.add_user("carol", "pw")
    headers = await rest_login(http, emu)
    group = emu.store.room("acme").id
    carol = emu.store.user("carol").id
    status, _ = await post(http, emu, "groups.invite", headers, {"roomId": group, "userId": carol})
    assert status == 200 and emu.messages("acme")[-1]["t"] == "au"

    status, created = await post(http, emu, "im.create", headers, {"username": "carol"})
    assert status == 200 and created["room"]["t"] == "d"
    assert created["room"]["_id"] == "".join(sorted([carol, emu.store.user("bot").id]))

    status, subs = await get(http, emu, "subscriptions.get", headers)
    assert sorted(s["name"] for s in subs["update"]) == ["acme", "carol"]

    status, info = await get(http, emu, "users.info", headers, username="alice")
    assert info["user"]["username"] == "alice" and "roles" not in info["user"]
    status, missing = await get(http, emu, "users.info", headers, username="nobody")
    assert status == 400 and missing == {"success": False, "error": "User not found."}


async def test_groups_invite_and_kick_need_a_user_id(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    """Servers 6.3 to 8.0 validate both bodies with `withUserIdSchema`: `username` alone is
    refused before the endpoint runs."""
    emu.add_user("carol", "pw")
    headers = await rest_login(http, emu)
    group = emu.store.room("acme").id
    for route in ("groups.invite", "groups.kick"):
        status, body = await post(http, emu, route, headers, {"roomId": group, "username": "carol"})
        assert status == 400
        assert body == {
            "success": False,
            "error": "must have required property 'userId'\n"
            " must have required property 'roomName'\n"
            " must match exactly one schema in oneOf [invalid-params]",
            "errorType": "invalid-params",
        }
    assert sorted(emu.store.users[uid].username for uid in emu.store.room("acme").members) == [
        "alice",
        "bot",
    ]
    carol = emu.store.user("carol").id
    status, _ = await post(http, emu, "groups.invite", headers, {"roomId": group, "userId": carol})
    assert status == 200
    status, _ = await post(http, emu, "groups.kick", headers, {"roomName": "acme", "userId": carol})
    assert status == 200 and emu.messages("acme")[-1]["t"] == "ru"
    status, body = await post(http, emu, "groups.kick", headers, {"roomId": group, "userId": carol})
    assert status == 400
    assert body["error"] == "User is not in this room [error-user-not-in-room]"
    assert body["errorType"] == "error-user-not-in-room"


async def test_groups_info_names_who_made_the_group(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    emu.add_user("mallory", "pw")
    emu.add_room("partner-taken", "p", ["mallory", "bot"])  # made by mallory, the bot in it
    emu.add_room("elsewhere", "p", ["mallory"])
    headers = await rest_login(http, emu)
    status, made = await post(http, emu, "groups.create", headers, {"name": "partner-mine"})
    assert status == 200
    status, info = await get(http, emu, "groups.info", headers, roomName="partner-mine")
    assert status == 200 and info["group"]["_id"] == made["group"]["_id"]
    assert info["group"]["u"]["username"] == "bot"
    status, info = await get(http, emu, "groups.info", headers, roomName="partner-taken")
    assert status == 200 and info["group"]["u"]["username"] == "mallory"
    status, hidden = await get(http, emu, "groups.info", headers, roomName="elsewhere")
    assert status == 400 and hidden["errorType"] == "error-room-not-found"
    status, _ = await get(http, emu, "groups.info", headers, roomName="x", roomId="y")
    assert status == 400  # exactly one of the two


async def test_rooms_info_names_who_made_any_room_the_bot_can_read(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    """`rooms.info` (v1/rooms.ts): a channel or a group by `roomId`, its `u` the creator;
    a group the caller is not in is not allowed, an unknown room not found."""
    emu.add_user("mallory", "pw")
    channel = emu.add_room("partners", "c", ["mallory", "bot"]).id
    hidden = emu.add_room("elsewhere", "p", ["mallory"]).id
    headers = await rest_login(http, emu)
    status, info = await get(http, emu, "rooms.info", headers, roomId=channel)
    assert status == 200 and info["room"]["_id"] == channel and info["room"]["t"] == "c"
    assert info["room"]["u"]["username"] == "mallory"
    status, refused = await get(http, emu, "rooms.info", headers, roomId=hidden)
    assert (status, refused) == (
        400,
        {"success": False, "error": "not-allowed", "errorType": "Not Allowed"},
    )
    status, missing = await get(http, emu, "rooms.info", headers, roomId="nope")
    assert status == 400 and missing["errorType"] == "error-room-not-found"
    status, none = await get(http, emu, "rooms.info", headers)
    assert status == 400 and none["errorType"] == "error-roomid-param-not-provided"


async def test_a_permission_error_answered_401_as_from_8_0(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    emu.refuse_as_unauthorized("me", calls=2)
    refused = {
        "success": False,
        "error": "User does not have the permissions required for this action [error-unauthorized]",
    }
    assert await get(http, emu, "me", await rest_login(http, emu)) == (401, refused)
    assert await get(http, emu, "me", await rest_login(http, emu)) == (401, refused)  # fresh
    status, me = await get(http, emu, "me", await rest_login(http, emu))
    assert status == 200 and me["username"] == "bot"


async def test_upload_then_confirm_posts_a_file_message(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    headers = await rest_login(http, emu)
    room = emu.store.room("acme").id
    form = aiohttp.FormData()
    form.add_field("file", b"a,b\n1,2\n", filename="report.csv", content_type="text/csv")
    async with http.post(f"{emu.url}/api/v1/rooms.media/{room}", data=form, headers=headers) as r:
        assert r.status == 200
        uploaded = (await r.json())["file"]
    assert uploaded["url"] == f"/file-upload/{uploaded['_id']}/report.csv"

    confirm = {"msg": "the export", "description": "2024-Q1"}
    route = f"rooms.mediaConfirm/{room}/{uploaded['_id']}"
    status, body = await post(http, emu, route, headers, confirm)
    assert status == 200
    message = body["message"]
    assert message["msg"] == "the export" and message["file"]["name"] == "report.csv"
    attachment = message["attachments"][0]
    assert attachment["title"] == "report.csv" and attachment["description"] == "2024-Q1"
    assert attachment["format"] == "csv" and attachment["title_link_download"] is True
    assert emu.uploads("acme")[0].data == b"a,b\n1,2\n"


async def test_wait_for_resolves_on_a_later_message(emu: RocketChatEmulator) -> None:
    waiter = asyncio.create_task(emu.wait_for(lambda m: m["msg"] == "later"))
    await emu.post("alice", "acme", "sooner")
    await emu.post("alice", "acme", "later")
    assert (await waiter)["msg"] == "later"
    assert [m["msg"] for m in emu.sent_by("alice")] == ["sooner", "later"]
    with pytest.raises(TimeoutError):
        await emu.wait_for(lambda m: m["msg"] == "never", timeout=0.01)


async def test_command_line_prints_its_url_and_sets_its_clock(
    http: aiohttp.ClientSession,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.emulator",
        "--port",
        "0",
        "--user",
        "bot:pass:bot",
        "--user",
        "alice:pw",
        "--room",
        "acme:p:bot,alice",
        "--start-time",
        "2031-05-06T07:08:09+00:00",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 10)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        body = {"user": "bot", "password": "pass"}
        async with http.post(f"{url}/api/v1/login", json=body) as response:
            assert response.status == 200
            created = (await response.json())["data"]["me"]["createdAt"]
        assert created.startswith("2031-05-06T07:08:")  # made at start, on the server's clock
    finally:
        process.terminate()
        await process.wait()


async def test_the_rocketchat_api_library_works_against_it(emu: RocketChatEmulator) -> None:
    room_id = emu.store.room("acme").id

    def use_library() -> list[str]:  # the library blocks: run it off the event loop
        client = RocketChat("bot", "pass", server_url=emu.url)
        client.chat_post_message("from the library", room_id=room_id)
        return [m["msg"] for m in client.groups_history(room_id)]

    assert await asyncio.to_thread(use_library) == ["from the library"]


async def test_users_info_never_shows_a_language_and_settings_public_needs_no_login(
    emu: RocketChatEmulator, http: aiohttp.ClientSession
) -> None:
    """getFullUserData.ts projects fixed fields, `language` not among them (even for
    oneself); `settings.public` (v1/settings.ts) is open and shows public settings only."""
    emu.store.user("alice").language = "pt-BR"
    headers = await rest_login(http, emu)
    for who in ("alice", "bot"):
        status, answer = await get(http, emu, "users.info", headers, username=who)
        assert status == 200 and "language" not in answer["user"]
    emu.set_setting("Language", "es")
    status, answer = await get(http, emu, "settings.public", {}, _id="Language")
    assert status == 200
    assert answer["settings"] == [{"_id": "Language", "value": "es"}]
    status, answer = await get(http, emu, "settings.public", {}, _id="API_Upper_Count_Limit")
    assert (status, answer["settings"], answer["total"]) == (200, [], 0)
