"""The Rocket.Chat transport's chat actions against the emulator, in process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from chat.base import ChatError, NameTaken
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


@pytest.fixture
async def chat(emu: RocketChatEmulator) -> AsyncIterator[RocketChat]:
    transport = RocketChat(
        emu.url,
        Credentials(user="partnerbot", password="pw"),
        system_clock,
        catchup=timedelta(hours=1),
    )
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
    members = {emu.store.users[uid].username for uid in emu.store.room(room_id).members}
    assert members == {"maria", "partnerbot"}
    assert emu.rest_calls("users.info") == 2
    assert [call.status for call in emu.rest_log if call.route.startswith("groups.")] == [200] * 4
    with pytest.raises(ChatError, match="@nobody"):
        await chat.add_members(room_id, ["nobody"])
