"""Access follows status, contacts by consent, and managers who are no longer managers: the
real bot (`bot.py run`) against the emulator, with its clock and the server's set from
outside (`--start-time`).

1. acme-hosting's workgroup holds alice, bob, maria (its manager) and the bot. A suspension
   takes alice and bob out (maria stays; they are told in their DMs), a suspended partner
   cannot invite anyone, reinstating brings them back; carol is invited, is not in the
   group until she clicks Join in her DM; a removed contact leaves; removing the partner
   takes every contact out.
2. acme-hosting's manager bob is no longer in PARTNERBOT_MANAGERS. At start-up the log and
   the managers (their DMs, then the managers' room) hear which partners that leaves
   without a manager; its overdue-report reminder goes to maria and joao, none to bob;
   `/assign` makes joao its manager, and bob leaves the workgroup.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from chat.clock import Clock
from storage import SCHEMA, Store
from tests.botprocess import BOT_PASSWORD, BotProcess
from tests.emulator import RocketChatEmulator
from tests.partners import onboarded
from tests.test_reminders_e2e import load

pytestmark = pytest.mark.slow
WAIT = 60.0
START = "2026-12-11T10:00:00+00:00"  # the server's and the bot's clock (`--start-time`)
SIGNED = date(2026, 11, 2)  # its report for 2026-11 was due on 2026-12-10: overdue


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.set(datetime.fromisoformat(START))
    return clock


@pytest.fixture
async def emu(clock: Clock) -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator(seed=7, clock=lambda: clock().timestamp()) as emulator:
        emulator.add_user("partnerbot", BOT_PASSWORD, name="Partner Bot", roles=("bot",))
        for name in ("alice", "bob", "carol", "maria", "joao"):
            emulator.add_user(name, "pw")
        yield emulator


async def started(emu: RocketChatEmulator, bot: BotProcess, clock: Clock) -> None:
    await bot.start("--start-time", clock().isoformat())
    await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 1, timeout=WAIT)


def members(emu: RocketChatEmulator, room: str) -> set[str]:
    return {emu.store.users[uid].username for uid in emu.store.room(room).members}


def by_bot(emu: RocketChatEmulator, room: str) -> list[dict[str, Any]]:
    return [m for m in emu.messages(room) if m["u"]["username"] == "partnerbot"]


def in_room(room: str, text: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate: a message in `room` that says `text`."""
    return lambda m: m["rid"] == room and text in m["msg"]


async def answer(emu: RocketChatEmulator, user: str, room: str, text: str) -> str:
    """Post, and wait for the bot's answer in the same room."""
    command = await emu.post(user, room, text)
    reply = await emu.wait_for(
        lambda m: m["_id"].startswith(command["_id"] + "r") and m["rid"] == room, timeout=WAIT
    )
    return str(reply["msg"])


async def test_access_follows_status_and_contacts_join_by_consent(
    emu: RocketChatEmulator, clock: Clock, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    group = emu.add_room("partner-acme-hosting", "p", ["partnerbot", "alice", "bob", "maria"]).id
    acme = onboarded("acme-hosting", "Acme Hosting", "alice", SIGNED, group)
    load(data, [replace(acme, contacts=("alice", "bob"))])
    maria, alice, carol = (emu.dm(name, "partnerbot").id for name in ("maria", "alice", "carol"))
    bot = BotProcess(emu.url, data)
    try:
        await started(emu, bot, clock)
        said = await answer(emu, "maria", maria, "/suspend acme-hosting no report for November")
        assert "suspended" in said
        assert members(emu, group) == {"partnerbot", "maria"}  # the manager stays
        for user in ("alice", "bob"):  # told where they still read
            dm = emu.dm(user, "partnerbot").id
            await emu.wait_for(in_room(dm, "no report for November"), timeout=WAIT)
        refused = await answer(emu, "alice", alice, "/contacts add @carol")
        assert refused == (
            "Acme Hosting is suspended: it takes no new contacts until it is reinstated."
        )

        assert "active again" in await answer(emu, "maria", maria, "/reinstate acme-hosting")
        assert members(emu, group) == {"partnerbot", "maria", "alice", "bob"}

        invited = await answer(emu, "alice", group, "/contacts add @carol")
        assert invited.startswith("I sent @carol an invitation")
        invitation = await emu.wait_for(lambda m: m["rid"] == carol, timeout=WAIT)
        [button] = invitation["attachments"][0]["actions"]
        assert button["msg"] == "@partnerbot join acme-hosting"
        assert "carol" not in members(emu, group)  # not before she says yes
        welcome = await answer(emu, "carol", carol, button["msg"])  # what the button sends
        assert welcome.startswith("Welcome: you are a contact of Acme Hosting")
        assert "carol" in members(emu, group)

        await answer(emu, "alice", group, "/contacts remove @bob")
        assert members(emu, group) == {"partnerbot", "maria", "alice", "carol"}

        said = await answer(emu, "maria", maria, "/remove acme-hosting the agreement ended")
        assert "removed" in said
        assert members(emu, group) == {"partnerbot", "maria"}
        await emu.wait_for(in_room(carol, "the agreement ended"), timeout=WAIT)
        assert await bot.stop() == 0
    finally:
        await bot.kill_if_running()
    store = await Store.open(data, SCHEMA)
    try:
        stored = await store.get("partners", "acme-hosting")
        assert stored is not None
        assert (stored["status"], stored["contacts"]) == ("removed", ["alice", "carol"])
        assert await store.get("members", "carol") == {
            "username": "carol",
            "partner": "acme-hosting",
        }
        assert await store.get("members", "bob") is None
    finally:
        await store.close()


async def test_the_partners_of_a_former_manager(
    emu: RocketChatEmulator, clock: Clock, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    group = emu.add_room("partner-acme-hosting", "p", ["partnerbot", "alice", "bob"]).id
    acme = replace(onboarded("acme-hosting", "Acme Hosting", "alice", SIGNED, group), manager="bob")
    kept = onboarded("beta", "Beta", "carol", SIGNED, None, sign=False)  # maria's
    load(data, [acme, kept])
    ams = emu.add_room("ams", "p", ["partnerbot", "maria", "joao"]).id
    dms = {name: emu.dm(name, "partnerbot").id for name in ("maria", "joao", "bob")}
    bot = BotProcess(emu.url, data, PARTNERBOT_MANAGERS="maria,joao")
    try:
        # Without a managers' room: the managers' DMs, never bob's.
        await started(emu, bot, clock)
        for name in ("maria", "joao"):
            notice = await emu.wait_for(in_room(dms[name], "no longer"), timeout=WAIT)
            assert "- acme-hosting (active): was @bob" in notice["msg"]
            assert "beta" not in notice["msg"]
            # as told to managers
            overdue = "(`acme-hosting`) for 2026-11 was due on 2026-12-10 and is not filed;"
            await emu.wait_for(in_room(dms[name], overdue), timeout=WAIT)
        assert await bot.stop() == 0
        assert "acme-hosting (@bob)" in bot.output()
        assert by_bot(emu, dms["bob"]) == []

        # With the managers' room: the notice goes there, once per start.
        clock.set(datetime.fromisoformat("2026-12-11T10:05:00+00:00"))
        bot.env["PARTNERBOT_MANAGER_ROOM"] = "ams"
        await started(emu, bot, clock)
        await emu.wait_for(in_room(ams, "was @bob"), timeout=WAIT)
        moved = await answer(emu, "maria", ams, "/assign acme-hosting @joao")
        assert moved.startswith("@joao is now the account manager of Acme Hosting")
        assert members(emu, group) == {"partnerbot", "alice", "joao"}  # bob left
        assert await bot.stop() == 0

        clock.set(datetime.fromisoformat("2026-12-11T10:10:00+00:00"))
        await started(emu, bot, clock)
        await answer(emu, "maria", ams, "/help")  # anything sent at start-up is in by now
        assert await bot.stop() == 0
        assert len([m for m in by_bot(emu, ams) if "no longer" in m["msg"]]) == 1
        assert by_bot(emu, dms["bob"]) == []
    finally:
        await bot.kill_if_running()
