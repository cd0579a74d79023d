"""The partners' channel (issue 16, item 5) end to end: the real bot (`bot.py run`) against
the emulator, with PARTNERBOT_PARTNERS_CHANNEL=partners and its clock and the server's set
from outside (`--start-time`). maria is the account manager; no managers' room, so she
hears in her DM.

1. maria made the public channel `partners` and added the bot. Globex's contact carol joins
   it when Globex is approved to active, leaves it on suspension, comes back on
   reinstatement; dave, invited to Globex, joins it with `/join`, and leaves it when he is
   removed as a contact. Then, by hand, carol is taken out and mallory put in: the check
   at the next start adds carol back and tells maria once about mallory, who stays.
2. The attack: mallory made a room named `partners` first and added the bot. Nobody is
   added to it (neither Acme's alice, active from the start, nor carol when Globex is
   approved), maria is told once across restarts. Then the fix the administrators' guide
   gives: that room renamed, maria makes a private group `partners` with the bot, a
   restart: alice and carol are in it.

These runs make the REST calls of the channel (rooms.info, channels.invite, channels.kick,
channels.members, groups.invite, groups.members), which tests/test_conformance.py, run
after this file in the same session, checks with the server's own validators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from chat.clock import Clock
from tests.botprocess import BOT_PASSWORD, BotProcess
from tests.emulator import RocketChatEmulator
from tests.partners import onboarded
from tests.test_access_e2e import answer, by_bot, in_room, members, started
from tests.test_reminders_e2e import load

pytestmark = pytest.mark.slow
WAIT = 60.0
START = "2026-12-11T10:00:00+00:00"  # the server's and the bot's clock (`--start-time`)
SIGNED = date(2026, 11, 2)
CONTRACT = "signed=2026-12-11 term=12 support=yes fee=paid"
STRANGERS = "In the partners' channel `partners` but not a contact of an active partner: @mallory."
UNTRUSTED = "was created by @mallory, who is not an account manager, so I do not use it"


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.set(datetime.fromisoformat(START))
    return clock


@pytest.fixture
async def emu(clock: Clock) -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator(seed=11, clock=lambda: clock().timestamp()) as emulator:
        emulator.add_user("partnerbot", BOT_PASSWORD, name="Partner Bot", roles=("bot",))
        for name in ("alice", "carol", "dave", "maria", "mallory"):
            emulator.add_user(name, "pw")
        yield emulator


def bot_with_channel(emu: RocketChatEmulator, data: Path) -> BotProcess:
    return BotProcess(emu.url, data, PARTNERBOT_PARTNERS_CHANNEL="partners")


async def restarted(emu: RocketChatEmulator, bot: BotProcess, clock: Clock) -> None:
    """Stopped (SIGTERM), then started a minute later."""
    assert await bot.stop() == 0
    clock.set(clock() + timedelta(minutes=1))
    await started(emu, bot, clock)


async def test_the_channel_follows_the_partners_contacts(
    emu: RocketChatEmulator, clock: Clock, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    channel = emu.add_room("partners", "c", ["maria", "partnerbot"]).id  # maria made it
    load(data, [onboarded("globex", "Globex", "carol", SIGNED, None, sign=False)])
    maria = emu.dm("maria", "partnerbot").id
    bot = bot_with_channel(emu, data)
    try:
        await started(emu, bot, clock)
        # the start-up check has read the channel: nobody to add yet
        await emu.wait_until(lambda: emu.rest_calls("channels.members") == 1, timeout=WAIT)
        assert members(emu, channel) == {"maria", "partnerbot"}

        said = await answer(emu, "maria", maria, f"/approve globex contract {CONTRACT}")
        assert "Globex" in said
        assert members(emu, channel) == {"maria", "partnerbot", "carol"}
        await answer(emu, "maria", maria, "/suspend globex no report for November")
        assert members(emu, channel) == {"maria", "partnerbot"}
        await answer(emu, "maria", maria, "/reinstate globex")
        assert members(emu, channel) == {"maria", "partnerbot", "carol"}

        group = emu.store.room("partner-globex").id
        invited = await answer(emu, "carol", group, "/contacts add @dave")
        assert invited.startswith("I sent @dave an invitation")
        assert "dave" not in members(emu, channel)  # not before he says yes
        dave = emu.dm("dave", "partnerbot").id
        welcome = await answer(emu, "dave", dave, "/join globex")
        assert welcome.startswith("Welcome: you are a contact of Globex")
        assert members(emu, channel) == {"maria", "partnerbot", "carol", "dave"}
        await answer(emu, "carol", group, "/contacts remove @dave")
        assert members(emu, channel) == {"maria", "partnerbot", "carol"}
        assert emu.rest_calls("rooms.info") == 1  # the creator is asked once per run

        # By hand: carol taken out, mallory put in. The check at the next start.
        emu.store.leave(emu.store.room(channel), emu.store.user("carol"))
        await emu.add_member(channel, "mallory", by="maria")
        await restarted(emu, bot, clock)
        report = await emu.wait_for(in_room(maria, STRANGERS), timeout=WAIT)
        assert "@carol" not in report["msg"]
        assert members(emu, channel) == {"maria", "partnerbot", "carol", "mallory"}

        await restarted(emu, bot, clock)  # mallory is reported once, and not kicked
        await emu.wait_until(lambda: emu.rest_calls("channels.members") == 3, timeout=WAIT)
        await answer(emu, "maria", maria, "/help")  # anything sent at start-up is in by now
        assert [m for m in by_bot(emu, maria) if STRANGERS in m["msg"]] == [report]
        assert members(emu, channel) == {"maria", "partnerbot", "carol", "mallory"}
        assert await bot.stop() == 0
    finally:
        await bot.kill_if_running()
    assert "channel: added @carol" in bot.output()


async def test_a_channel_a_stranger_made_first_is_not_used(
    emu: RocketChatEmulator, clock: Clock, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    taken = emu.add_room("partners", "c", ["mallory", "partnerbot"]).id  # mallory made it
    load(
        data,
        [
            onboarded("acme-hosting", "Acme Hosting", "alice", SIGNED, None),
            onboarded("globex", "Globex", "carol", SIGNED, None, sign=False),
        ],
    )
    maria = emu.dm("maria", "partnerbot").id
    bot = bot_with_channel(emu, data)
    try:
        await started(emu, bot, clock)
        notice = await emu.wait_for(in_room(maria, UNTRUSTED), timeout=WAIT)
        assert notice["msg"].startswith("The partners' channel `partners` was created by @mallory")
        await answer(emu, "maria", maria, f"/approve globex contract {CONTRACT}")
        assert members(emu, taken) == {"mallory", "partnerbot"}  # neither alice nor carol

        await restarted(emu, bot, clock)
        await answer(emu, "maria", maria, "/help")  # anything sent at start-up is in by now
        assert [m for m in by_bot(emu, maria) if UNTRUSTED in m["msg"]] == [notice]
        assert members(emu, taken) == {"mallory", "partnerbot"}
        for route in ("channels.invite", "channels.kick", "channels.members"):
            assert emu.rest_calls(route) == 0, route
        assert "it is not used" in bot.output()

        # The fix (docs/administrators.md): that room renamed, maria makes the channel (a
        # private group this time) and adds the bot; a restart.
        emu.store.room(taken).name = "mallorys-room"
        channel = emu.add_room("partners", "p", ["maria", "partnerbot"]).id
        await restarted(emu, bot, clock)
        await emu.wait_until(
            lambda: members(emu, channel) == {"maria", "partnerbot", "alice", "carol"},
            timeout=WAIT,
        )
        assert members(emu, taken) == {"mallory", "partnerbot"}
        assert await bot.stop() == 0
    finally:
        await bot.kill_if_running()
