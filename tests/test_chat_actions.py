"""The Rocket.Chat transport's chat actions against the emulator, in process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from chat.base import ChatError, DeliveryError, NameTaken, Outgoing, Stopped
from chat.clock import system_clock
from chat.rest import Credentials
from chat.rocketchat import RocketChat
from tests.emulator import RocketChatEmulator


@pytest.fixture
async def emu() -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator() as emulator:
        emulator.add_user("partnerbot", "pw", roles=("bot",))
        for name in ("alice", "maria"):
            emulator.add_user(name, "pw")
        emulator.add_room("partner-ams", "p", ["maria", "partnerbot"])
        yield emulator


def transport_of(emu: RocketChatEmulator, waits: list[float] | None = None) -> RocketChat:
    """The transport, logging in as partnerbot; with `waits`, its sleeps are only recorded."""
    transport = RocketChat(
        emu.url,
        Credentials(user="partnerbot", password="pw"),
        system_clock,
        catchup=timedelta(hours=1),
    )
    if waits is not None:

        async def recorded(seconds: float) -> None:
            waits.append(seconds)

        transport.sleep = transport.rest.sleep = recorded
    return transport


@pytest.fixture
async def chat(emu: RocketChatEmulator) -> AsyncIterator[RocketChat]:
    transport = transport_of(emu)
    await transport.connect()
    yield transport
    await transport.disconnect()


async def test_direct_room(emu: RocketChatEmulator, chat: RocketChat) -> None:
    room_id = await chat.direct_room("alice")
    assert room_id == emu.dm("alice", "partnerbot").id
    assert await chat.direct_room("alice") == room_id
    assert emu.rest_calls("dm.create") == 1
    with pytest.raises(ChatError, match="@nobody"):
        await chat.direct_room("nobody")


async def test_room_named(emu: RocketChatEmulator, chat: RocketChat) -> None:
    assert await chat.room_named("partner-ams") == emu.store.room("partner-ams").id
    assert await chat.room_named("elsewhere") is None


async def test_room_named_is_never_a_direct_room(emu: RocketChatEmulator, chat: RocketChat) -> None:
    """The bot's DM with a user called `ams` is a subscription named "ams" too."""
    emu.add_user("ams", "pw")
    await emu.post("ams", emu.dm("ams", "partnerbot").id, "hello")
    assert await chat.room_named("ams") is None
    group = emu.add_room("ams", "p", ["maria", "partnerbot"])
    assert await chat.room_named("ams") == group.id


async def test_who_made_a_room(emu: RocketChatEmulator, chat: RocketChat) -> None:
    """`rooms.info`'s `u`, for a channel or a group, asked once per room."""
    emu.add_user("mallory", "pw")
    partners = emu.add_room("partners", "c", ["mallory", "partnerbot"]).id
    assert await chat.room_creator(partners) == "mallory"
    assert await chat.room_creator(partners) == "mallory"
    assert await chat.room_creator(emu.store.room("partner-ams").id) == "maria"
    assert emu.rest_calls("rooms.info") == 2
    with pytest.raises(ChatError, match="not-allowed"):
        await chat.room_creator(emu.add_room("hidden", "p", ["mallory"]).id)


async def test_create_group_is_idempotent(emu: RocketChatEmulator, chat: RocketChat) -> None:
    room_id = await chat.create_group("partner-acme", ["alice", "maria"])
    group = emu.store.room(room_id)
    assert group.kind == "p" and group.name == "partner-acme"
    assert {emu.store.users[uid].username for uid in group.members} == {
        "alice",
        "maria",
        "partnerbot",
    }
    assert await chat.create_group("partner-acme", ["alice", "maria"]) == room_id


async def test_a_group_that_cannot_be_made_is_a_chat_error(
    emu: RocketChatEmulator, chat: RocketChat
) -> None:
    emu.add_room("partner-taken", "p", ["alice"])  # the name is taken, the bot is not in it
    with pytest.raises(NameTaken, match="partner-taken"):
        await chat.create_group("partner-taken", ["alice"])
    with pytest.raises(ChatError, match="not a valid room name"):
        await chat.create_group("partner taken", ["alice"])


async def test_a_group_someone_else_made_is_never_adopted(
    emu: RocketChatEmulator, chat: RocketChat
) -> None:
    """Made by alice with the bot in it: still hers, however it is named."""
    emu.add_room("partner-acme", "p", ["alice", "partnerbot"])
    with pytest.raises(NameTaken, match="partner-acme is taken by a room that I did not make"):
        await chat.create_group("partner-acme", ["alice", "maria"])
    assert emu.rest_calls("groups.info") == 1


async def test_members_of_a_group(emu: RocketChatEmulator, chat: RocketChat) -> None:
    """By user id (the server refuses `username` alone), each id looked up once."""
    room_id = await chat.create_group("partner-acme", ["alice"])
    await chat.add_members(room_id, ["maria"])
    await chat.add_members(room_id, ["maria"])
    await chat.remove_members(room_id, ["alice"])
    await chat.remove_members(room_id, ["alice"])  # not in it (the server says so): fine
    members = {emu.store.users[uid].username for uid in emu.store.room(room_id).members}
    assert members == {"maria", "partnerbot"}
    assert emu.rest_calls("users.info") == 2
    statuses = [call.status for call in emu.rest_log if call.route.startswith("groups.")]
    assert statuses == [200] * 4 + [400]
    with pytest.raises(ChatError, match="@nobody"):
        await chat.add_members(room_id, ["nobody"])


async def test_a_rate_limited_login_is_waited_out(emu: RocketChatEmulator) -> None:
    """`login` is limited per IP, bots included: the bot waits for the announced reset."""
    emu.rate_limit("login", calls=2, reset_ms=7_000)
    waits: list[float] = []
    chat = transport_of(emu, waits)
    await chat.connect()
    try:
        assert chat.me.username == "partnerbot"
        assert emu.rest_calls("login") == 3
        assert len(waits) == 2 and all(6.0 < wait <= 7.0 for wait in waits)

        await emu.expire_token("partnerbot")  # the next call logs in again: limited too
        emu.rate_limit("login", calls=1, reset_ms=5_000)
        assert await chat.room_named("partner-ams") == emu.store.room("partner-ams").id
        assert emu.rest_calls("login") == 5
        assert len(waits) == 3 and 4.0 < waits[-1] <= 5.0
    finally:
        await chat.disconnect()


@pytest.mark.parametrize("fault", ["429", "502"])
async def test_a_stop_ends_a_first_login_that_keeps_failing(
    emu: RocketChatEmulator, fault: str
) -> None:
    if fault == "429":
        emu.rate_limit("login", calls=1_000, reset_ms=60_000)
    else:
        emu.refuse_connections(600)
    waiting = asyncio.Event()

    async def forever(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    chat = transport_of(emu)
    chat.sleep = chat.rest.sleep = forever
    connecting = asyncio.create_task(chat.connect())
    async with asyncio.timeout(10):
        await waiting.wait()
        chat.stop()
        with pytest.raises(Stopped):
            await connecting
    await chat.disconnect()


async def test_a_401_after_a_fresh_login_is_a_refusal(
    emu: RocketChatEmulator, chat: RocketChat
) -> None:
    """From 8.0 a permission error is a 401: logged in again once, then taken as a refusal."""
    room_id = emu.store.room("partner-ams").id
    logins = emu.rest_calls("login")
    emu.refuse_as_unauthorized("chat.sendMessage", calls=2)
    with pytest.raises(DeliveryError, match="error-unauthorized") as refused:
        await chat.send(Outgoing("reply-1", room_id, "hello"))
    assert refused.value.permanent
    assert (emu.rest_calls("login"), emu.rest_calls("chat.sendMessage")) == (logins + 1, 2)

    emu.refuse_as_unauthorized("groups.invite", calls=2)
    with pytest.raises(ChatError, match=r"@alice: .*\[error-unauthorized\]"):
        await chat.add_members(room_id, ["alice"])
    assert emu.rest_calls("login") == logins + 2

    await chat.send(Outgoing("reply-2", room_id, "hello again"))  # the token is good
    assert [m["_id"] for m in emu.messages(room_id)] == ["reply-2"]


async def test_calls_refused_together_share_one_new_login(
    emu: RocketChatEmulator, chat: RocketChat
) -> None:
    logins = emu.rest_calls("login")
    await emu.expire_token("partnerbot")
    await asyncio.gather(*(chat.rest.call("me") for _ in range(5)))
    assert emu.rest_calls("login") == logins + 1


async def test_the_users_language_is_not_shown_to_the_bot(
    emu: RocketChatEmulator, chat: RocketChat
) -> None:
    """`users.info` projects fixed fields without `language` (getFullUserData.ts), so the
    user's own choice never reaches the bot; the call still teaches it the user's id."""
    emu.store.user("alice").language = "pt-BR"
    assert await chat.user_language("alice") is None
    assert emu.rest_calls("users.info") == 1
    await chat.add_members(emu.store.room("partner-ams").id, ["alice"])
    assert emu.rest_calls("users.info") == 1  # the id was remembered
    with pytest.raises(ChatError, match=r"users\.info nobody"):
        await chat.user_language("nobody")


async def test_the_servers_language_is_its_public_setting(
    emu: RocketChatEmulator, chat: RocketChat
) -> None:
    assert await chat.server_language() is None  # "" until an admin picks one
    emu.set_setting("Language", "pt-BR")
    assert await chat.server_language() == "pt-BR"
    assert emu.rest_calls("settings.public") == 2
