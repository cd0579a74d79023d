"""Reminders end to end: the real bot against the emulator, its clock set from outside with
`bot.py run --start-time`, through December 2026 (report due day 10). The emulator's clock is
set to the same moment before each start: server and bot share the wall clock.

1. Started at 08:59:58 on 1 December: nothing at start-up; at 09:00 the report-open reminder
   for 2026-11 lands in each active partner's workgroup, and in no other partner's.
2. Killed (SIGKILL) and started again at 09:00:30: nothing is sent again.
3. Started on 9 December, after missing the due-soon reminder of the 7th: it goes out at
   start-up, once; beta files its report.
4. Stopped for three days across the due date and started on the 12th: the overdue reminder
   goes out once, to the workgroups of those who did not file and to their manager.
5. Started again the same day (after a clean stop, so nothing is left in its outbox):
   nothing new, and nothing even tried again.

Every bot message of the run is checked to appear once in its room.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from chat.clock import Clock
from tests.botprocess import BOT_PASSWORD, ROOT, BotProcess, child_env
from tests.emulator import RocketChatEmulator
from tests.partners import onboarded
from workflows.onboarding import Partner

pytestmark = pytest.mark.slow
WAIT = 60.0
ACTIVE = {"acme": "alice", "beta": "bruno", "gamma": "gina"}  # partner id: its contact
OPEN = "The sales report for 2026-11 is open"
DUE_SOON = "The sales report for 2026-11 is due on 2026-12-10 and not filed yet"
OVERDUE = "for 2026-11 was due on 2026-12-10 and is not filed"


def signed(partner_id: str, contact: str, workgroup: str | None, sign: bool = True) -> Partner:
    """A partner signed on 2026-11-02 (or only applied)."""
    day = date(2026, 11, 2)
    return onboarded(partner_id, partner_id.title(), contact, day, workgroup, sign=sign)


def load(data: Path, partners: list[Partner]) -> None:
    dump = {
        "version": 1,
        "partners": [partner.to_doc() for partner in partners],
        "members": [
            {"username": contact, "partner": partner.id}
            for partner in partners
            for contact in partner.contacts
        ],
        "audit": [],
    }
    source = data.parent / "import.json"
    source.write_text(json.dumps(dump))
    env = child_env(PARTNERBOT_DATA=str(data))
    subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "import", str(source)],
        env=env,
        cwd=data.parent,
        capture_output=True,
        timeout=60,
        check=True,
    )


def bot_messages(emu: RocketChatEmulator, room: str) -> list[str]:
    return [m["msg"] for m in emu.messages(room) if m["u"]["username"] == "partnerbot"]


async def run_at(emu: RocketChatEmulator, clock: Clock, process: BotProcess, start: str) -> None:
    """Move the server's clock to `start`, start the bot with its clock there, and wait
    until it listens."""
    clock.set(datetime.fromisoformat(start))
    await process.start("--start-time", start)
    await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 1, timeout=WAIT)


async def stop(emu: RocketChatEmulator, process: BotProcess) -> None:
    assert await process.stop() == 0
    await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 0, timeout=WAIT)


async def test_reminders_once_each_across_kills_and_downtime(tmp_path: Path) -> None:
    data = tmp_path / "data"
    clock = Clock()
    async with RocketChatEmulator(clock=lambda: clock().timestamp()) as emu:
        emu.add_user("partnerbot", BOT_PASSWORD, roles=("bot",))
        emu.add_user("maria", "pw")
        rooms: dict[str, str] = {}
        partners = []
        for partner_id, contact in ACTIVE.items():
            emu.add_user(contact, "pw")
            group = emu.add_room(f"partner-{partner_id}", "p", ["partnerbot", contact, "maria"])
            rooms[partner_id] = group.id
            partners.append(signed(partner_id, contact, group.id))
        emu.add_user("olga", "pw")  # an applicant: onboarding, no contract, no reminders
        partners.append(signed("onboarding-co", "olga", None, sign=False))
        load(data, partners)
        manager = emu.dm("maria", "partnerbot").id
        process = BotProcess(emu.url, data)

        def everywhere(text: str) -> dict[str, int]:
            return {p: sum(text in m for m in bot_messages(emu, r)) for p, r in rooms.items()}

        try:
            # 1. just before 09:00 on the 1st, then 09:00
            await run_at(emu, clock, process, "2026-12-01T08:59:58+00:00")
            assert everywhere(OPEN) == {"acme": 0, "beta": 0, "gamma": 0}  # not before 09:00
            await emu.wait_until(lambda: all(everywhere(OPEN).values()), timeout=WAIT)
            assert everywhere(OPEN) == {"acme": 1, "beta": 1, "gamma": 1}
            assert emu.sent_by("olga") == [] and not bot_messages(
                emu, emu.dm("olga", "partnerbot").id
            )

            # 2. killed, and started again half a minute later
            await process.kill()
            await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 0, timeout=WAIT)
            before = len(emu.sent_by("partnerbot"))
            await run_at(emu, clock, process, "2026-12-01T09:00:30+00:00")
            await say(emu, "alice", rooms["acme"], "/help")  # the bot is through its start-up
            assert len(emu.sent_by("partnerbot")) == before + 1
            # (messages the killed bot had not yet struck from its outbox may be sent again,
            # with their ids, which the server knows: so they are not counted here but in 5.)
            assert everywhere(OPEN) == {"acme": 1, "beta": 1, "gamma": 1}
            await stop(emu, process)

            # 3. the 9th: the due-soon reminder of the 7th was missed and still applies
            await run_at(emu, clock, process, "2026-12-09T10:00:00+00:00")
            await emu.wait_until(lambda: all(everywhere(DUE_SOON).values()), timeout=WAIT)
            reply = await say(emu, "bruno", rooms["beta"], "/report 2026-11 none")
            assert "Filed" in reply
            await stop(emu, process)

            # 4. three days later, across the due date (the 10th): overdue once
            await run_at(emu, clock, process, "2026-12-12T10:00:00+00:00")
            await emu.wait_until(
                lambda: everywhere(OVERDUE)["acme"] + everywhere(OVERDUE)["gamma"] == 2,
                timeout=WAIT,
            )
            await emu.wait_until(
                lambda: sum(OVERDUE in text for text in bot_messages(emu, manager)) == 2,
                timeout=WAIT,
            )
            await say(emu, "alice", rooms["acme"], "/help")
            assert everywhere(OVERDUE) == {"acme": 1, "beta": 0, "gamma": 1}
            assert everywhere(DUE_SOON) == {"acme": 1, "beta": 1, "gamma": 1}
            await stop(emu, process)

            # 5. once more the same day: nothing new
            before = len(emu.sent_by("partnerbot"))
            sends = emu.rest_calls("chat.sendMessage")
            await run_at(emu, clock, process, "2026-12-12T10:05:00+00:00")
            await say(emu, "alice", rooms["acme"], "/help")
            assert len(emu.sent_by("partnerbot")) == before + 1
            assert emu.rest_calls("chat.sendMessage") == sends + 1  # not even tried again
            await stop(emu, process)
        finally:
            await process.kill_if_running()

        for room in [*rooms.values(), manager]:
            repeated = [
                text
                for text, times in Counter(bot_messages(emu, room)).items()
                if times > 1 and not text.startswith("Commands")
            ]
            assert repeated == [], f"sent more than once in {room}: {repeated}"


async def say(emu: RocketChatEmulator, user: str, room: str, text: str) -> str:
    """`user` posts `text`; the bot's answer in that room (its id is the command's + r<n>)."""
    command = await emu.post(user, room, text)

    def answer(message: dict[str, Any]) -> bool:
        return bool(message["_id"].startswith(command["_id"] + "r") and message["rid"] == room)

    return str((await emu.wait_for(answer, timeout=WAIT))["msg"])


def test_signed_partners_are_signed() -> None:
    assert signed("acme", "alice", "R1").signed == date(2026, 11, 2)
    assert signed("x", "y", None, sign=False).signed is None
