"""A monthly report end to end: through the emulator and in the console, a partner files one
deal of each kind and two prospects; the reply's figures and `bot.py export` agree with the
worked example below.

The partner is made with the onboarding rules as it was in January 2026 and loaded with
`bot.py import`; the bot's clock (and the emulator's) starts on 2026-11-05, whatever the
system's date, so that 2026-10 is a closed month to file and the prospects close later.

| deal | amount | kind | owed |
|---|---|---|---|
| Foo Hosting | 12,000.05 | hosting 30 % | 3,600.02 (3,600.015 rounded half-up) |
| Bar Corp | 1,234.55 | hosting 30 % | 370.37 (370.365) |
| Baz Ltd | 2,500.00 | premium 80 % | 2,000.00 |
| Qux | 4,000.00 | services 0 % | 0.00 |

Closed total 19,734.60; owed 5,970.39 (the sum of the rounded shares); prospects 5,000.00
and 20,000.50: pipeline total 25,000.50.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.botprocess import BOT_PASSWORD, ROOT, BotProcess, child_env, emulator_clock
from tests.emulator import RocketChatEmulator
from tests.partners import onboarded
from workflows.onboarding import Partner

pytestmark = pytest.mark.slow
WAIT = 60.0
MONTH = "2026-10"
START = "2026-11-05T10:00:00+00:00"  # the bot's `--start-time`: MONTH is filed before it is due
ENTRIES = [
    'deal client="Foo Hosting" amount=12000.05 kind=hosting',
    'deal client="Bar Corp" amount="$1,234.55" kind=hosting',
    'deal client="Baz Ltd" amount="USD 2,500" kind=premium',
    "deal client=Qux amount=4000 kind=services",
    "prospect client=Northwind amount=5000 close=2030-01",
    "prospect client=Contoso amount=20000.50 close=2030-06",
]
FIGURES = (
    "Closed total USD 19,734.60, owed to the vendor USD 5,970.39, pipeline total USD 25,000.50"
)


def acme(workgroup: str | None) -> Partner:
    """Acme Hosting as the onboarding rules leave it, signed on 2026-01-15."""
    return onboarded("acme-hosting", "Acme Hosting", "alice", date(2026, 1, 15), workgroup)


def load(data: Path, partner: Partner) -> None:
    dump = {
        "version": 1,
        "partners": [partner.to_doc()],
        "members": [{"username": "alice", "partner": partner.id}],
        "reports": [],
        "reviews": [],
        "audit": [],
    }
    source = data.parent / "import.json"
    source.write_text(json.dumps(dump))
    bot("import", str(source), data=data)


def bot(*args: str, data: Path, script: str | None = None) -> str:
    env = child_env(PARTNERBOT_DATA=str(data), PARTNERBOT_MANAGERS="maria")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        input=script,
        env=env,
        cwd=data.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


async def say(emu: RocketChatEmulator, room: str, text: str) -> str:
    """alice posts `text`; the bot's answer in that room (its id is the command's + r<n>)."""
    command = await emu.post("alice", room, text)

    def answer(message: dict[str, Any]) -> bool:
        return bool(message["_id"].startswith(command["_id"] + "r") and message["rid"] == room)

    return str((await emu.wait_for(answer, timeout=WAIT))["msg"])


def assert_exported(data: Path) -> None:
    [report] = json.loads(bot("export", data=data))["reports"]
    assert (report["partner"], report["month"], report["state"]) == (
        "acme-hosting",
        MONTH,
        "submitted",
    )
    assert (report["closed_total"], report["owed"], report["pipeline_total"]) == (
        "19734.60",
        "5970.39",
        "25000.50",
    )
    assert [deal["amount"] for deal in report["deals"]] == [
        "12000.05",
        "1234.55",
        "2500.00",
        "4000.00",
    ]
    assert [p["amount"] for p in report["prospects"]] == ["5000.00", "20000.50"]


async def test_a_report_through_rocketchat(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with RocketChatEmulator(clock=emulator_clock(START)) as emu:
        emu.add_user("partnerbot", BOT_PASSWORD, roles=("bot",))
        emu.add_user("alice", "pw")
        emu.add_user("maria", "pw")
        group = emu.add_room("partner-acme-hosting", "p", ["partnerbot", "alice", "maria"])
        load(data, acme(group.id))
        process = BotProcess(emu.url, data)
        await process.start("--start-time", START)
        try:
            await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 1, timeout=WAIT)
            replies = [
                await say(emu, group.id, f"/report {MONTH} {entry}")
                for entry in [*ENTRIES, "submit"]
            ]
            assert FIGURES in replies[-1]
            manager = emu.dm("maria", "partnerbot").id  # also where the reminders go
            told = await emu.wait_for(
                lambda m: m["rid"] == manager and " by @alice" in m["msg"], timeout=WAIT
            )
            assert "USD 5,970.39" in told["msg"]
        finally:
            assert await process.stop() == 0
    assert_exported(data)


def test_a_report_in_the_console(tmp_path: Path) -> None:
    data = tmp_path / "data"
    load(data, acme(None))
    script = "".join(f"/report {MONTH} {entry}\n" for entry in [*ENTRIES, "submit"])
    out = bot("console", "--as", "alice", "--start-time", START, data=data, script=script)
    assert FIGURES in out
    assert_exported(data)
