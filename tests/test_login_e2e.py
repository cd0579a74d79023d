"""Logging in against the server's rules, with the real bot (`bot.py run`) and the emulator.

* `login` is rate limited per IP, with no exemption for bots (`ApiClass.ts` limits it like
  any route, before it knows who logs in): a 429 is waited out until `X-RateLimit-Reset`, at
  start-up and when the bot logs in again later.
* SIGTERM ends the bot at any moment, also while its first login keeps failing.
* From 8.0 the server answers some permission errors with 401 (`ApiClass.ts`,
  `applyBreakingChanges`): the bot logs in again once, and a 401 that comes back with the
  fresh token is a refusal, reported and not tried again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.botprocess import BOT_PASSWORD, BotProcess
from tests.emulator import RocketChatEmulator

pytestmark = pytest.mark.slow
WAIT = 60.0
STOPPED_WITHIN = 10.0  # seconds from SIGTERM to exit while nothing is in hand
LOG_POLL = 0.05  # the bot's log is another process's file: polled, no event to await


@pytest.fixture
async def emu() -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator(seed=11) as emulator:
        emulator.add_user("partnerbot", BOT_PASSWORD, name="Partner Bot", roles=("bot",))
        emulator.add_user("alice", "pw")
        emulator.add_room("acme", "p", ["partnerbot", "alice"])
        yield emulator


@pytest.fixture
async def bot(emu: RocketChatEmulator, tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(emu.url, tmp_path / "data")
    yield process
    await process.kill_if_running()


async def subscribed(emu: RocketChatEmulator) -> None:
    await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 1, timeout=WAIT)


async def answered(emu: RocketChatEmulator, command: dict[str, Any]) -> dict[str, Any]:
    return await emu.wait_for(lambda m: m["_id"] == command["_id"] + "r1", timeout=WAIT)


async def logged(bot: BotProcess, text: str) -> None:
    """Poll the bot's log until `text` is in it."""
    async with asyncio.timeout(WAIT):
        while True:
            if text in bot.output():
                return
            await asyncio.sleep(LOG_POLL)


async def exit_code_after_sigterm(bot: BotProcess) -> int:
    assert bot.process is not None
    bot.process.terminate()
    return await asyncio.wait_for(bot.process.wait(), STOPPED_WITHIN)


async def test_a_rate_limited_login_at_start_is_waited_out(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    emu.rate_limit("login", calls=3, reset_ms=1_500)
    await bot.start()
    await subscribed(emu)
    await answered(emu, await emu.post("alice", "acme", "/help"))
    assert emu.rest_calls("login") == 4
    assert emu.early_calls("login") == 0  # each try waited for the announced reset
    assert await bot.stop() == 0


async def test_a_rate_limited_login_later_is_waited_out(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    await bot.start()
    await subscribed(emu)
    emu.rate_limit("login", calls=2, reset_ms=3_000)
    await emu.expire_token("partnerbot")  # the socket closes; the token is gone for REST too
    await answered(emu, await emu.post("alice", "acme", "/help"))
    await subscribed(emu)
    assert emu.early_calls("login") == 0
    assert "Traceback" not in bot.output()
    assert await bot.stop() == 0


async def test_sigterm_while_logins_are_rate_limited(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    emu.rate_limit("login", calls=1_000_000, reset_ms=3_600_000)
    await bot.start()
    await emu.wait_until(lambda: emu.rest_calls("login") >= 1, timeout=WAIT)
    assert await exit_code_after_sigterm(bot) == 0
    assert "stopped before the first login" in bot.output()


async def test_sigterm_while_the_server_is_unreachable(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    emu.refuse_connections(3_600)
    await bot.start()
    await logged(bot, "cannot log in")
    assert await exit_code_after_sigterm(bot) == 0
    assert "stopped before the first login" in bot.output()


async def test_a_401_that_survives_a_fresh_login_is_reported_not_retried(
    emu: RocketChatEmulator, bot: BotProcess
) -> None:
    await bot.start()
    await subscribed(emu)
    logins = emu.rest_calls("login")
    emu.refuse_as_unauthorized("chat.sendMessage", calls=2)
    refused = await emu.post("alice", "acme", "/help")
    later = await emu.post("alice", "acme", "/help help")
    await answered(emu, later)
    assert await bot.stop() == 0
    assert [m["_id"] for m in emu.sent_by("partnerbot")] == [later["_id"] + "r1"]
    assert emu.rest_calls("login") == logins + 1  # one new login, not one per retry
    assert emu.rest_calls("chat.sendMessage") == 3  # the refused reply twice, the later once
    assert f"dropping reply {refused['_id'] + 'r1'!r}" in bot.output()  # ids logged with %r
    assert "refused with a fresh login (401, not an expired token)" in bot.output()
