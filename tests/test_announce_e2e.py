"""/announce exactly once across a SIGKILL (issue 16, item 6): the real bot (`bot.py run`)
against the emulator. Twenty active partners, each with its workgroup; maria announces a
webinar. The bot sends at most 16 messages at once (`engine.runner.MAX_SENDING`) and the
server is slow to take them, so the copies go out in two waves; the bot is killed (SIGKILL)
once the first wave is in and the second is on its way. Started again, it sends the rest
from its outbox, and each workgroup has the announcement once, as maria has her answer once
(a copy the killed bot had sent but not yet struck from its outbox goes out again with its
id, which the server already has: posted once).
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
from tests.test_access_e2e import by_bot, started
from tests.test_reminders_e2e import load

pytestmark = pytest.mark.slow
WAIT = 60.0
START = "2026-12-11T10:00:00+00:00"
SIGNED = date(2026, 11, 2)
PARTNERS = {f"partner{n:02}": f"contact{n:02}" for n in range(1, 21)}  # more than 16
WEBINAR = "Webinar on the new marketplace apps, Thursday 15:00 UTC"


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.set(datetime.fromisoformat(START))
    return clock


@pytest.fixture
async def emu(clock: Clock) -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator(seed=13, clock=lambda: clock().timestamp()) as emulator:
        emulator.add_user("partnerbot", BOT_PASSWORD, name="Partner Bot", roles=("bot",))
        emulator.add_user("maria", "pw")
        yield emulator


async def test_an_announcement_reaches_each_workgroup_once_across_a_kill(
    emu: RocketChatEmulator, clock: Clock, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    rooms: dict[str, str] = {}
    partners = []
    for partner_id, contact in PARTNERS.items():
        emu.add_user(contact, "pw")
        rooms[partner_id] = emu.add_room(f"partner-{partner_id}", "p", ["partnerbot", contact]).id
        partners.append(
            onboarded(partner_id, partner_id.title(), contact, SIGNED, rooms[partner_id])
        )
    load(data, partners)
    maria = emu.dm("maria", "partnerbot").id

    def copies() -> dict[str, int]:
        return {p: sum(WEBINAR in m["msg"] for m in by_bot(emu, r)) for p, r in rooms.items()}

    def answers() -> int:
        return sum("Announcement A-1 goes to 20 workgroups" in m["msg"] for m in by_bot(emu, maria))

    bot = BotProcess(emu.url, data)
    try:
        await started(emu, bot, clock)
        await emu.post("maria", maria, "/help")  # the start-up's messages out of the way
        await emu.wait_until(lambda: len(by_bot(emu, maria)) > 0, timeout=WAIT)
        emu.delay("chat.sendMessage", 1.0)  # a slow server: the second wave a second later
        await emu.post("maria", maria, f"/announce {WEBINAR}")
        await emu.wait_until(lambda: sum(copies().values()) >= 1, timeout=WAIT)
        await bot.kill()  # between rooms: the second wave may still land, from the outbox
        sent = copies()
        assert 1 <= sum(sent.values()) < len(PARTNERS), sent  # cut in the middle
        await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 0, timeout=WAIT)

        emu.delay("chat.sendMessage", 0.0)
        clock.set(clock() + timedelta(minutes=1))
        await started(emu, bot, clock)
        await emu.wait_until(lambda: all(copies().values()) and answers() == 1, timeout=WAIT)
        help_ = await emu.post("maria", maria, "/help")  # the outbox is empty by its answer
        await emu.wait_for(lambda m: m["_id"].startswith(help_["_id"] + "r"), timeout=WAIT)
        assert copies() == dict.fromkeys(PARTNERS, 1)
        assert answers() == 1
        assert await bot.stop() == 0
    finally:
        await bot.kill_if_running()
