"""Bursts of writing commands against the real bot: all carried out, each answered once.

Forty people applying in the same second, forty contacts invited at once and the forty
invitations accepted at once, a burst cut by a SIGKILL, and a catch-up that replays a burst
sent while the bot was down: every command changes what it should and gets its one reply;
a storage conflict never reaches anyone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from storage import SCHEMA, Store
from tests.botprocess import BOT_PASSWORD, BotProcess
from tests.emulator import RocketChatEmulator

pytestmark = pytest.mark.slow
WAIT = 90.0
PEOPLE = [f"applicant{n}" for n in range(40)]
FRIENDS = [f"friend{n}" for n in range(40)]


@pytest.fixture
async def emu() -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator(seed=11) as emulator:
        emulator.add_user("partnerbot", BOT_PASSWORD, name="Partner Bot", roles=("bot",))
        for name in ["maria", *PEOPLE, *FRIENDS]:
            emulator.add_user(name, "pw")
        yield emulator


async def started(emu: RocketChatEmulator, bot: BotProcess) -> None:
    await bot.start()
    await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 1, timeout=WAIT)


def application(n: int) -> str:
    return (
        f'/onboard company="Burst Company {n}" type=hosting website=https://burst{n}.example '
        f"email=partners@burst{n}.example"
    )


async def burst(emu: RocketChatEmulator, texts: dict[str, str]) -> list[dict[str, Any]]:
    """Each user posts their text in their DM with the bot, all at the same moment."""
    rooms = {user: emu.dm(user, "partnerbot").id for user in texts}
    return list(
        await asyncio.gather(*(emu.post(user, rooms[user], text) for user, text in texts.items()))
    )


def replies_to(emu: RocketChatEmulator, command: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        m
        for m in emu.messages(command["rid"])
        if m["u"]["username"] == "partnerbot" and m["_id"].startswith(command["_id"] + "r")
    ]


async def all_answered(emu: RocketChatEmulator, commands: list[dict[str, Any]]) -> None:
    await emu.wait_until(lambda: all(replies_to(emu, c) for c in commands), timeout=WAIT)


def assert_answered_once(
    emu: RocketChatEmulator, commands: list[dict[str, Any]], text: str
) -> None:
    for command in commands:
        replies = replies_to(emu, command)
        assert len(replies) == 1, (command["msg"], [r["msg"] for r in replies])
        assert text in replies[0]["msg"], replies[0]["msg"]


async def stored(data: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The partners, and each member's partner, as the bot left them (it has stopped)."""
    store = await Store.open(data, SCHEMA)
    try:
        partners = [doc async for doc in store.scan("partners")]
        members = {doc["username"]: doc["partner"] async for doc in store.scan("members")}
    finally:
        await store.close()
    return partners, members


async def test_forty_applications_at_once_then_forty_contacts_invited_and_joining_at_once(
    emu: RocketChatEmulator, tmp_path: Path
) -> None:
    bot = BotProcess(emu.url, tmp_path / "data")
    await started(emu, bot)
    applied = await burst(emu, {user: application(n) for n, user in enumerate(PEOPLE)})
    await all_answered(emu, applied)
    assert_answered_once(emu, applied, "Thank you!")

    pairs = zip(PEOPLE, FRIENDS, strict=True)
    invited = await burst(emu, {user: f"/contacts add @{friend}" for user, friend in pairs})
    await all_answered(emu, invited)
    assert_answered_once(emu, invited, "an invitation to be a contact")
    for n, friend in enumerate(FRIENDS):  # one invitation each, with its Join button
        [invitation] = [
            m for m in emu.messages(emu.dm(friend, "partnerbot").id) if m.get("attachments")
        ]
        [button] = invitation["attachments"][0]["actions"]
        assert button["msg"] == f"@partnerbot join burst-company-{n}"
    joined = await burst(emu, {f: f"/join burst-company-{n}" for n, f in enumerate(FRIENDS)})
    await all_answered(emu, joined)
    assert_answered_once(emu, joined, "Welcome: you are a contact of Burst Company")
    assert await bot.stop() == 0

    partners, members = await stored(tmp_path / "data")
    assert sorted(p["company"] for p in partners) == sorted(f"Burst Company {n}" for n in range(40))
    by_company = {p["company"]: p for p in partners}
    for n, (user, friend) in enumerate(zip(PEOPLE, FRIENDS, strict=True)):
        partner = by_company[f"Burst Company {n}"]
        assert partner["contacts"] == [user, friend]
        assert members[user] == members[friend] == partner["id"]


async def test_a_sigkill_in_a_burst_then_a_restart_answers_each_once(
    emu: RocketChatEmulator, tmp_path: Path
) -> None:
    bot = BotProcess(emu.url, tmp_path / "data")
    await started(emu, bot)
    applied = await burst(emu, {user: application(n) for n, user in enumerate(PEOPLE)})
    await emu.wait_until(lambda: sum(bool(replies_to(emu, c)) for c in applied) >= 5, timeout=WAIT)
    await bot.kill()  # in the middle: some answered, some stored and not answered, some neither
    await started(emu, bot)
    await all_answered(emu, applied)
    # Anything sent twice would be in by the time a later command is answered.
    [last] = await burst(emu, {"maria": "/help"})
    await all_answered(emu, [last])
    assert_answered_once(emu, applied, "Thank you!")
    assert await bot.stop() == 0

    partners, members = await stored(tmp_path / "data")
    assert len(partners) == 40
    assert sorted(members) == sorted(PEOPLE)


async def test_a_burst_sent_while_the_bot_was_down_is_caught_up(
    emu: RocketChatEmulator, tmp_path: Path
) -> None:
    bot = BotProcess(emu.url, tmp_path / "data")
    await started(emu, bot)
    [hello] = await burst(emu, {"maria": "/help"})  # the DMs' cursors start here
    await all_answered(emu, [hello])
    assert await bot.stop() == 0

    applied = await burst(emu, {user: application(n) for n, user in enumerate(PEOPLE)})
    await started(emu, bot)
    await all_answered(emu, applied)
    assert_answered_once(emu, applied, "Thank you!")
    assert await bot.stop() == 0
    partners, _ = await stored(tmp_path / "data")
    assert len(partners) == 40
