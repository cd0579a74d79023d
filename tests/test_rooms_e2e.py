"""Rooms are found by id, never by a name that someone else can take: the real bot
(`bot.py run`) against the emulator.

1. A stranger made `partner-acme-hosting`, with the bot in it, before acme-hosting's contract
   was approved: the workgroup is made as `partner-acme-hosting-2`, the manager hears why,
   and the stranger's room gets nothing, then or later.
2. `PARTNERBOT_MANAGER_ROOM=ams` while a user called `ams` has a DM with the bot (a DM's
   subscription bears the other user's name): the applications go to the group `ams`, whose
   id the bot logs at start-up, and nothing to that user.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from chat.clock import Clock
from tests.botprocess import BOT_PASSWORD, BotProcess
from tests.emulator import RocketChatEmulator
from tests.partners import onboarded
from tests.test_reminders_e2e import load

pytestmark = pytest.mark.slow
WAIT = 60.0
START = "2026-12-01T10:00:00+00:00"  # the server's and the bot's clock (`--start-time`)
APPLY = (
    '/onboard company="Acme Hosting" type=hosting website=https://acme.example '
    "email=partners@acme.example"
)


@pytest.fixture
async def emu() -> AsyncIterator[RocketChatEmulator]:
    clock = Clock()
    clock.set(datetime.fromisoformat(START))
    async with RocketChatEmulator(seed=5, clock=lambda: clock().timestamp()) as emulator:
        emulator.add_user("partnerbot", BOT_PASSWORD, name="Partner Bot", roles=("bot",))
        for name in ("alice", "maria", "mallory", "ams"):
            emulator.add_user(name, "pw")
        yield emulator


async def started(emu: RocketChatEmulator, bot: BotProcess) -> None:
    await bot.start("--start-time", START)
    await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 1, timeout=WAIT)


def by_bot(emu: RocketChatEmulator, room: str) -> list[dict[str, Any]]:
    return [m for m in emu.messages(room) if m["u"]["username"] == "partnerbot"]


async def test_a_strangers_room_is_never_the_workgroup(
    emu: RocketChatEmulator, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    met = date(2026, 11, 20)  # applied, met and goals approved; the contract to approve
    load(data, [onboarded("acme-hosting", "Acme Hosting", "alice", met, None, sign=False)])
    squat = emu.add_room("partner-acme-hosting", "p", ["mallory", "partnerbot"]).id
    maria = emu.dm("maria", "partnerbot").id
    bot = BotProcess(emu.url, data)
    try:
        await started(emu, bot)
        await emu.post(
            "maria",
            maria,
            "/approve acme-hosting contract signed=2026-11-30 term=12 support=yes fee=paid",
        )
        welcome = await emu.wait_for(
            lambda m: "private group of Acme Hosting" in m["msg"], timeout=WAIT
        )
        workgroup = emu.store.rooms[welcome["rid"]]
        assert workgroup.name == "partner-acme-hosting-2"
        assert {emu.store.users[uid].username for uid in workgroup.members} == {
            "alice",
            "maria",
            "partnerbot",
        }
        await emu.wait_for(
            lambda m: m["rid"] == workgroup.id and "✅ 4. contract" in m["msg"], timeout=WAIT
        )  # the checklist
        note = await emu.wait_for(
            lambda m: m["rid"] == maria and "partner-acme-hosting-2" in m["msg"], timeout=WAIT
        )
        assert note["msg"] == (
            "The workgroup of Acme Hosting (`acme-hosting`) is partner-acme-hosting-2: the "
            "name partner-acme-hosting is taken by another room, which gets nothing from me."
        )
        # later notices to the partner: in its workgroup (or its contacts' DMs while they
        # are out of it), never in the stranger's room
        await emu.post("maria", maria, "/suspend acme-hosting the fee is late")
        alice = emu.dm("alice", "partnerbot").id
        await emu.wait_for(
            lambda m: m["rid"] == alice and "the fee is late" in m["msg"], timeout=WAIT
        )
        await emu.post("maria", maria, "/reinstate acme-hosting")
        await emu.wait_for(
            lambda m: m["rid"] == workgroup.id and "active partner again" in m["msg"],
            timeout=WAIT,
        )
        assert await bot.stop() == 0
        assert by_bot(emu, squat) == []
    finally:
        await bot.kill_if_running()


async def test_the_managers_room_is_a_group_never_a_users_dm(
    emu: RocketChatEmulator, tmp_path: Path
) -> None:
    group = emu.add_room("ams", "p", ["maria", "partnerbot"]).id
    dm = emu.dm("ams", "partnerbot").id  # the user ams's DM: its subscription is named "ams"
    await emu.post("ams", dm, "hello")
    bot = BotProcess(emu.url, tmp_path / "data", PARTNERBOT_MANAGER_ROOM="ams")
    try:
        await started(emu, bot)
        alice = emu.dm("alice", "partnerbot").id
        await emu.post("alice", alice, APPLY)
        request = await emu.wait_for(lambda m: bool(m.get("attachments")), timeout=WAIT)
        assert request["rid"] == group and "Acme Hosting" in request["msg"]
        assert await bot.stop() == 0
        assert not [m for m in by_bot(emu, dm) if "Acme Hosting" in m["msg"]]
        assert f"PARTNERBOT_MANAGER_ROOM ams is the room {group}" in bot.output()
    finally:
        await bot.kill_if_running()


async def test_a_managers_room_a_stranger_made_is_never_used(
    emu: RocketChatEmulator, tmp_path: Path
) -> None:
    """mallory makes the group `ams` before the account managers do and adds the bot: the
    applications go to the managers' DMs, never to mallory's room, and the log says why."""
    squat = emu.add_room("ams", "p", ["mallory", "partnerbot"]).id  # mallory made it
    bot = BotProcess(emu.url, tmp_path / "data", PARTNERBOT_MANAGER_ROOM="ams")
    try:
        await started(emu, bot)
        alice = emu.dm("alice", "partnerbot").id
        await emu.post("alice", alice, APPLY)
        request = await emu.wait_for(lambda m: bool(m.get("attachments")), timeout=WAIT)
        assert request["rid"] == emu.dm("maria", "partnerbot").id
        assert "Acme Hosting" in request["msg"]
        assert await bot.stop() == 0
        assert by_bot(emu, squat) == []
        assert "created by @mallory, who is not an account manager" in bot.output()
    finally:
        await bot.kill_if_running()
