"""The whole onboarding end to end: the real bot against the Rocket.Chat emulator, and the
same flow in the console; then `bot.py export` shows the partner as SPEC §5 says.

The bot's clock (and the emulator's) starts on TODAY, whatever the system's date: the
meeting, the signing and the training are dated then, and none may come before the
application."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.botprocess import BOT_PASSWORD, ROOT, BotProcess, child_env, emulator_clock
from tests.emulator import RocketChatEmulator

pytestmark = pytest.mark.slow
WAIT = 60.0
TODAY = "2026-11-26"
START = f"{TODAY}T09:00:00+00:00"  # the bot's `--start-time`


@pytest.fixture
async def emu() -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator(clock=emulator_clock(START)) as emulator:
        emulator.add_user("partnerbot", BOT_PASSWORD, name="Partner Bot", roles=("bot",))
        emulator.add_user("alice", "pw", name="Alice")
        emulator.add_user("maria", "pw", name="Maria")
        yield emulator


def export(data: Path) -> dict[str, Any]:
    env = child_env(PARTNERBOT_DATA=str(data))
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "export"],
        env=env,
        cwd=data.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    dump: dict[str, Any] = json.loads(result.stdout)
    return dump


def assert_onboarded(dump: dict[str, Any], workgroup: str | None) -> None:
    [acme] = dump["partners"]
    assert acme["id"] == "acme-hosting"
    assert (acme["company"], acme["type"], acme["status"]) == ("Acme Hosting", "hosting", "active")
    assert (acme["manager"], acme["contacts"]) == ("maria", ["alice"])
    assert acme["workgroup"] == workgroup
    assert set(acme["steps"]) == {
        "application",
        "meeting",
        "goals",
        "contract",
        "listing",
        "workgroup",
        "training",
    }
    for step, record in acme["steps"].items():
        assert record["state"] == "done", step
        assert record["at"] and record["by"], step
    assert {entry["who"] for entry in dump["audit"]} >= {"alice", "maria"}


async def test_onboarding_through_rocketchat(emu: RocketChatEmulator, tmp_path: Path) -> None:
    bot = BotProcess(emu.url, tmp_path / "data")
    await bot.start("--start-time", START)
    await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 1, timeout=WAIT)
    alice_dm = emu.dm("alice", "partnerbot").id
    maria_dm = emu.dm("maria", "partnerbot").id

    async def say(user: str, room: str, text: str) -> str:
        """Post, and wait for the answer in the same room (its id is the command's + r<n>)."""
        command = await emu.post(user, room, text)
        reply = await emu.wait_for(
            lambda m: m["_id"].startswith(command["_id"] + "r") and m["rid"] == room, timeout=WAIT
        )
        return str(reply["msg"])

    try:
        assert "company's name" in await say("alice", alice_dm, "/onboard")
        assert "kind of partner" in await say("alice", alice_dm, "Acme Hosting")
        assert "website" in await say("alice", alice_dm, "hosting")
        assert "e-mail" in await say("alice", alice_dm, "https://acme.example")
        thanks = await say("alice", alice_dm, "partners@acme.example")
        assert "application of Acme Hosting is with the account managers" in thanks

        request = await emu.wait_for(
            lambda m: m["rid"] == maria_dm and bool(m.get("attachments")), timeout=WAIT
        )
        approve = request["attachments"][0]["actions"][0]["msg"]
        assert approve == "@partnerbot approve acme-hosting application"
        # what the button sends
        assert "application approved" in await say("maria", maria_dm, approve)

        await say("maria", maria_dm, f"/approve acme-hosting meeting on={TODAY}")
        await say("alice", alice_dm, "/goals 3m five hosted workspaces")
        await say("alice", alice_dm, "/goals 1y fifty hosted workspaces")
        await say("maria", maria_dm, "@partnerbot approve acme-hosting goals")
        contract = await say(
            "maria",
            maria_dm,
            f"/approve acme-hosting contract signed={TODAY} term=12 support=yes fee=paid",
        )
        assert "active" in contract
        group = emu.store.room("partner-acme-hosting")
        assert group.kind == "p"
        assert {emu.store.users[uid].username for uid in group.members} == {
            "alice",
            "maria",
            "partnerbot",
        }
        await emu.wait_for(
            lambda m: m["rid"] == group.id and "private group of Acme Hosting" in m["msg"],
            timeout=WAIT,
        )
        await emu.wait_for(
            lambda m: m["rid"] == group.id and "✅ 4. contract" in m["msg"], timeout=WAIT
        )  # the checklist

        # No network here: the page cannot be fetched, the manager approves all the same.
        listing = await say("alice", group.id, "/listing https://acme.example/partners")
        assert "could not check" in listing
        await say("maria", group.id, "/approve acme-hosting listing")
        await say("maria", group.id, f"/approve acme-hosting training on={TODAY}")
        status = await say("alice", group.id, "/status")
        assert status.count("✅") == 7, status
    finally:
        assert await bot.stop() == 0
    assert_onboarded(export(tmp_path / "data"), group.id)


def test_onboarding_in_the_console(tmp_path: Path) -> None:
    data = tmp_path / "data"
    script = (
        "\n".join(
            [
                ":as alice",
                "/onboard",
                "Acme Hosting",
                "hosting",
                "https://acme.example",
                "partners@acme.example",
                ":as maria",
                "@partnerbot approve acme-hosting application",
                f"/approve acme-hosting meeting on={TODAY}",
                ":as alice",
                "/goals 3m five hosted workspaces",
                "/goals 1y fifty hosted workspaces",
                ":as maria",
                "/approve acme-hosting goals",
                f"/approve acme-hosting contract signed={TODAY} term=12 support=yes fee=paid",
                ":room partner-acme-hosting",
                ":as alice",
                "/listing https://acme.example/partners",
                ":as maria",
                "/approve acme-hosting listing",
                f"/approve acme-hosting training on={TODAY}",
                ":as alice",
                "/status",
            ]
        )
        + "\n"
    )
    env = child_env(PARTNERBOT_DATA=str(data), PARTNERBOT_MANAGERS="maria")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "console", "--start-time", START],
        input=script,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "(partnerbot made the private group #partner-acme-hosting with @alice, @maria)"
        in result.stdout
    )
    assert result.stdout.split("(you are @alice in #partner-acme-hosting)")[-1].count("✅") == 7
    assert_onboarded(export(data), "room-partner-acme-hosting")


def test_an_application_half_answered_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = child_env(PARTNERBOT_DATA=str(data))

    def console(script: str) -> str:
        result = subprocess.run(
            [sys.executable, str(ROOT / "bot.py"), "console", "--as", "alice"],
            input=script,
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout

    console("/onboard\nAcme Hosting\n")
    after = console("hosting\nhttps://acme.example\npartners@acme.example\n")
    assert "application of Acme Hosting is with the account managers" in after
    [acme] = export(data)["partners"]
    assert acme["company"] == "Acme Hosting"
