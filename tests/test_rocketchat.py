"""The real bot (`python bot.py run`) against the Rocket.Chat emulator, faults included.

Every command here is `/help ...`: what is checked is the transport's promise, that each
command that reached a room is answered exactly once, in order within its room, whatever
happens to the socket, the server or the bot. A reply's id is the command's id + "r1", so
replies can be matched to commands exactly.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from chat.rocketchat import Backoff
from tests.botprocess import BOT_PASSWORD, BotProcess, free_port
from tests.emulator import RocketChatEmulator

pytestmark = pytest.mark.slow
ROOMS = [f"room{n}" for n in range(10)]
USERS = [f"user{n}" for n in range(50)]
WAIT = 60.0
HEALTH_POLL = 0.05  # the health endpoint is another process's: polled, no event to await


@pytest.fixture
async def emu() -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator(seed=7) as emulator:
        emulator.add_user("partnerbot", BOT_PASSWORD, name="Partner Bot", roles=("bot",))
        for name in [*USERS, "alice", "maria"]:
            emulator.add_user(name, "pw")
        for index, room in enumerate(ROOMS):
            members = [USERS[n] for n in range(index, len(USERS), len(ROOMS))]
            emulator.add_room(room, "p" if index % 2 else "c", ["partnerbot", *members])
        yield emulator


@pytest.fixture
async def bot(emu: RocketChatEmulator, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(emu.url, tmp_path / "data")
    await process.start()
    await until_subscribed(emu)
    yield process
    if process.process is not None and process.process.returncode is None:
        await process.stop()


async def until_subscribed(emu: RocketChatEmulator) -> None:
    await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 1, timeout=WAIT)


def replies_in(emu: RocketChatEmulator, room: str) -> list[dict[str, Any]]:
    return [m for m in emu.messages(room) if m["u"]["username"] == "partnerbot"]


def all_replies(emu: RocketChatEmulator) -> list[dict[str, Any]]:
    return emu.sent_by("partnerbot")


async def answered(emu: RocketChatEmulator, commands: list[dict[str, Any]]) -> None:
    """Wait until every command has its reply."""
    wanted = {command["_id"] + "r1" for command in commands}
    await emu.wait_until(lambda: wanted <= {m["_id"] for m in all_replies(emu)}, timeout=WAIT)


async def settled(emu: RocketChatEmulator) -> None:
    """A last command in each room, answered: anything sent twice before it is in by now."""
    await answered(emu, [await emu.post(members(emu, room)[0], room, "/help") for room in ROOMS])


def members(emu: RocketChatEmulator, room: str) -> list[str]:
    index = ROOMS.index(room)
    return [USERS[n] for n in range(index, len(USERS), len(ROOMS))]


def assert_exactly_once_in_order(emu: RocketChatEmulator) -> None:
    for room in ROOMS:
        commands = [m for m in emu.messages(room) if m["msg"].startswith("/help")]
        replies = [m["_id"] for m in replies_in(emu, room)]
        assert replies == [command["_id"] + "r1" for command in commands], room


async def test_help_round_trip(emu: RocketChatEmulator, bot: BotProcess) -> None:
    dm = emu.dm("alice", "partnerbot")
    command = await emu.post("alice", dm.id, "/help")
    reply = await emu.wait_for(lambda m: m["_id"] == command["_id"] + "r1", timeout=WAIT)
    assert reply["rid"] == dm.id
    assert reply["msg"].startswith("Commands you can use:")
    mention = await emu.post("alice", dm.id, "@partnerbot help help")
    reply = await emu.wait_for(lambda m: m["_id"] == mention["_id"] + "r1", timeout=WAIT)
    assert "Example: `/help help`" in reply["msg"]


async def test_a_command_in_a_thread_is_answered_in_the_thread(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    parent = await emu.post("user0", "room0", "a question about the program")
    command = await emu.post("user0", "room0", "/help", tmid=parent["_id"])
    reply = await emu.wait_for(lambda m: m["_id"] == command["_id"] + "r1", timeout=WAIT)
    assert reply.get("tmid") == parent["_id"]


async def test_200_commands_in_10_rooms_with_5_socket_drops(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    rng = random.Random(3)
    commands = []
    for n in range(200):
        room = ROOMS[rng.randrange(len(ROOMS))]
        commands.append(await emu.post(rng.choice(members(emu, room)), room, f"/help help #{n}"))
        if n % 40 == 20:
            emu.drop_sockets()
    await answered(emu, commands)
    await settled(emu)
    assert_exactly_once_in_order(emu)
    assert emu.active_subscriptions("partnerbot") == 1
    assert len(all_replies(emu)) == 200 + len(ROOMS)


async def test_sigkill_in_the_middle_and_restart(emu: RocketChatEmulator, bot: BotProcess) -> None:
    rng = random.Random(5)
    commands = []
    for n in range(120):
        room = ROOMS[n % len(ROOMS)]
        commands.append(await emu.post(rng.choice(members(emu, room)), room, f"/help #{n}"))
        if n == 60:
            await emu.wait_until(lambda: len(all_replies(emu)) >= 30, timeout=WAIT)
            await bot.kill()
    await bot.start()
    await answered(emu, commands)
    await settled(emu)
    assert_exactly_once_in_order(emu)


async def test_downtime_is_caught_up_at_start(emu: RocketChatEmulator, bot: BotProcess) -> None:
    first = await emu.post("user0", "room0", "/help")
    await answered(emu, [first])
    assert await bot.stop() == 0
    missed = [await emu.post(members(emu, room)[1], room, "/help help") for room in ROOMS[:4]]
    before = history_calls(emu)
    await bot.start()
    await answered(emu, missed)
    await settled(emu)
    assert_exactly_once_in_order(emu)
    # only the rooms with something new are read (`rooms.get` says which); not all ten:
    # a group in one page, a channel in one page and the empty page that ends it
    assert history_calls(emu) - before == 2 + 1 + 2 + 1


async def test_a_thread_command_sent_while_down_is_answered_in_its_thread(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    parent = await emu.post("user0", "room0", "a question about the program")
    before = await emu.thread_reply(parent["_id"], "user0", "/help")
    await answered(emu, [before])  # the room's cursor is now past its `lm` (the parent)
    assert await bot.stop() == 0
    missed = await emu.thread_reply(parent["_id"], "user10", "/help help")
    assert emu.store.room("room0").last_message_at == emu.store.message(parent["_id"])["ts"]
    await bot.start()
    await answered(emu, [missed])
    assert emu.message(missed["_id"] + "r1")["tmid"] == parent["_id"]
    await settled(emu)
    assert_exactly_once_in_order(emu)


async def test_a_long_downtime_is_read_page_by_page(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    first = await emu.post("user0", "room0", "/help")
    await answered(emu, [first])
    assert await bot.stop() == 0
    sender = members(emu, "room0")[1]
    missed = [await emu.post(sender, "room0", f"/help #{n}") for n in range(250)]
    before = history_calls(emu)
    await bot.start()
    await answered(emu, missed)
    await settled(emu)
    assert_exactly_once_in_order(emu)
    assert history_calls(emu) - before == 4  # pages of 100, 100, 50 and the empty one


async def test_a_lower_api_count_limit_does_not_cut_the_catch_up_short(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    emu.set_setting("API_Upper_Count_Limit", 50)  # room0 is a channel: channels.history
    first = await emu.post("user0", "room0", "/help")
    await answered(emu, [first])
    assert await bot.stop() == 0
    sender = members(emu, "room0")[1]
    missed = [await emu.post(sender, "room0", f"/help #{n}") for n in range(120)]
    before = history_calls(emu)
    await bot.start()
    await answered(emu, missed)
    await settled(emu)
    assert_exactly_once_in_order(emu)
    assert history_calls(emu) - before == 4  # pages of 50 (asked 100), 50, 21, none


def history_calls(emu: RocketChatEmulator) -> int:
    routes = ("channels.history", "groups.history", "im.history", "dm.history")
    return sum(emu.rest_calls(route) for route in routes)


async def test_429_on_30_percent_of_replies(emu: RocketChatEmulator, bot: BotProcess) -> None:
    emu.rate_limit_ratio("chat.sendMessage", 0.3, seed=11, reset_ms=40)
    rng = random.Random(9)
    commands = []
    for n in range(100):
        room = ROOMS[n % len(ROOMS)]
        commands.append(await emu.post(rng.choice(members(emu, room)), room, f"/help #{n}"))
    await answered(emu, commands)
    await settled(emu)
    assert_exactly_once_in_order(emu)
    # After a 429 the bot holds back the route until the announced reset; only calls that
    # were already under way when the 429 came (one per other room, at most) can be early.
    refused = sum(
        1 for call in emu.rest_log if call.route == "chat.sendMessage" and call.status == 429
    )
    assert refused > 0
    assert emu.early_calls("chat.sendMessage") <= refused * (len(ROOMS) - 1)


async def test_edits_reactions_and_thread_counts_are_not_new_commands(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    command = await emu.post("user0", "room0", "/help")
    await answered(emu, [command])
    await emu.edit(command["_id"], "/help help")
    await emu.react(command["_id"], "user10", ":thumbsup:")
    await emu.thread_reply(command["_id"], "user10", "thanks")
    await settled(emu)
    assert [m["_id"] for m in replies_in(emu, "room0")] == [
        command["_id"] + "r1",
        replies_in(emu, "room0")[1]["_id"],
    ]


async def test_an_edit_is_never_a_command_live_or_read_after_downtime(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    greeting = await emu.post("user0", "room0", "good morning")  # the room's last message
    older = await emu.post("user4", "room4", "good morning")
    await answered(emu, [await emu.post("user4", "room4", "/help")])  # the bot has read both
    assert await bot.stop() == 0
    # Edited while the bot is down, into a command in its author's name: one sent before
    # (read back from the room's cursor on), one sent while the bot was away.
    await emu.edit(greeting["_id"], "@partnerbot help", editor="alice")
    while_down = await emu.post("user2", "room2", "good morning")
    await emu.edit(while_down["_id"], "@partnerbot help", editor="alice")
    await bot.start()
    await settled(emu)
    live = await emu.post("user3", "room3", "good morning")
    await settled(emu)  # the bot has read it before it is edited
    await emu.edit(live["_id"], "@partnerbot help", editor="alice")
    await emu.edit(older["_id"], "@partnerbot help", editor="alice")  # before this process
    await settled(emu)
    replied_to = {m["_id"][:-2] for m in all_replies(emu)}
    assert not replied_to & {m["_id"] for m in (greeting, while_down, live, older)}
    assert_exactly_once_in_order(emu)


async def test_the_bots_own_messages_are_ignored(emu: RocketChatEmulator, bot: BotProcess) -> None:
    await emu.post("partnerbot", "room0", "/help")
    await emu.post("partnerbot", "room0", "@partnerbot help")
    await settled(emu)
    assert len(replies_in(emu, "room0")) == 3  # its own two posts and the answer to settled()


async def test_public_channels_the_bot_has_not_joined_are_not_its_rooms(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    emu.add_room("lobby", "c", ["alice"])
    # The server sends these to the bot too, with roomParticipant false.
    await emu.post("alice", "lobby", "@partnerbot help")
    await emu.post("user0", "lobby", "/help")
    await settled(emu)
    await emu.add_member("lobby", "partnerbot", by="alice")
    member = await emu.post("alice", "lobby", "/help")
    await answered(emu, [member])  # the same lane: anything said before is answered by now
    assert [m["_id"] for m in replies_in(emu, "lobby")] == [member["_id"] + "r1"]


async def test_an_expired_token_and_a_refusing_server(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    await emu.expire_token("partnerbot")
    command = await emu.post("user1", "room1", "/help")
    await answered(emu, [command])
    emu.refuse_connections(1.5)
    emu.drop_sockets()
    during = await emu.post("user2", "room2", "/help")
    await answered(emu, [during])
    await until_subscribed(emu)
    await settled(emu)
    assert_exactly_once_in_order(emu)


async def test_a_server_restart(emu: RocketChatEmulator, bot: BotProcess) -> None:
    before = await emu.post("user4", "room4", "/help")
    await answered(emu, [before])
    await emu.restart(downtime=1.0)
    while_down = [await emu.post(members(emu, room)[0], room, "/help") for room in ROOMS[:3]]
    await answered(emu, while_down)
    await until_subscribed(emu)
    await settled(emu)
    assert_exactly_once_in_order(emu)


async def test_health_and_metrics(emu: RocketChatEmulator, tmp_path: Path) -> None:
    port = free_port()
    process = BotProcess(emu.url, tmp_path / "data", PARTNERBOT_HEALTH_PORT=str(port))
    await process.start()
    try:
        await until_subscribed(emu)
        command = await emu.post("user0", "room0", "/help")
        await answered(emu, [command])
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                assert answer.status == 200
            async with http.get(f"http://127.0.0.1:{port}/metrics") as answer:
                text = await answer.text()
            assert 'partnerbot_commands_handled_total{outcome="done"} 1' in text
            assert "partnerbot_reply_latency_seconds_count 1" in text
            assert "partnerbot_outbox_depth " in text
            assert "partnerbot_reminders_sent_total 0" in text  # no partners here
            assert "partnerbot_reminders_deferred 0" in text
            emu.refuse_connections(30, status=0)
            emu.drop_sockets()
            await wait_status(http, f"http://127.0.0.1:{port}/healthz", 503)
            emu.accept_connections()
            await until_subscribed(emu)
            await wait_status(http, f"http://127.0.0.1:{port}/healthz", 200)
    finally:
        await process.stop()


async def wait_status(http: aiohttp.ClientSession, url: str, status: int) -> None:
    """Poll the health endpoint (it is the bot's, not the emulator's, so no event to await)."""
    async with asyncio.timeout(WAIT):
        while True:
            async with http.get(url) as answer:
                if answer.status == status:
                    return
            await asyncio.sleep(HEALTH_POLL)


async def test_a_ddp_rate_limit_is_waited_out(emu: RocketChatEmulator, bot: BotProcess) -> None:
    emu.ddp_rate_limit("login", calls=1, time_to_reset_ms=300)
    emu.drop_sockets()
    command = await emu.post("user3", "room3", "/help")
    await answered(emu, [command])
    await until_subscribed(emu)
    assert "too-many-requests" in bot.output()


def test_backoff_is_capped_exponential_with_jitter() -> None:
    backoff, rng = Backoff(), random.Random(1)
    first = [backoff.delay(0, rng) for _ in range(100)]
    assert max(first) <= 1.0 and min(first) > 0
    assert len({round(d, 6) for d in first}) > 50  # jittered, not in lockstep
    later = [backoff.delay(attempt, rng) for attempt in range(1, 40)]
    assert max(later) <= 30.0
    assert backoff.delay(3, random.Random(2)) > backoff.delay(0, random.Random(2))


async def test_a_refused_login_stops_the_bot_with_one_line(
    emu: RocketChatEmulator, tmp_path: Path
) -> None:
    process = BotProcess(emu.url, tmp_path / "data", ROCKETCHAT_PASSWORD="wrong")
    await process.start()
    assert process.process is not None
    assert await asyncio.wait_for(process.process.wait(), WAIT) == 1
    assert "the server refused the bot's login" in process.output()


async def test_a_server_clock_ahead_of_the_bots(tmp_path: Path) -> None:
    """The catch-up reads up to the server's now: a bot whose clock is 5 s behind still
    finds what was written during its downtime."""
    async with RocketChatEmulator(clock=lambda: time.time() + 5) as emu:
        emu.add_user("partnerbot", BOT_PASSWORD, roles=("bot",))
        emu.add_user("alice", "pw")
        room = emu.add_room("ahead", "p", ["partnerbot", "alice"]).id
        process = BotProcess(emu.url, tmp_path / "data")
        try:
            await process.start()
            await until_subscribed(emu)
            await answered(emu, [await emu.post("alice", room, "/help")])
            assert await process.stop() == 0
            missed = await emu.post("alice", room, "/help help")
            await process.start()
            await answered(emu, [missed])
        finally:
            await process.kill_if_running()
