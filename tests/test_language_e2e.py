"""Whose language end to end: the real bot against the Rocket.Chat emulator.

The server's default language is Portuguese: a user who chose none with `/language` is
answered in Portuguese, also one whose own Rocket.Chat language is Spanish (the server does
not show it to the bot, see chat/rest.py `user_info`); `/language es` makes it Spanish.
The expected texts are made here with the catalogs (whose Portuguese and Spanish come with
issue 14's merge); before it the replies still name the language the bot chose.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from commands.language import NAMES, another, offered
from i18n import _, speaking
from tests.botprocess import BOT_PASSWORD, BotProcess, emulator_clock
from tests.emulator import RocketChatEmulator

pytestmark = pytest.mark.slow
WAIT = 60.0
START = "2026-11-26T09:00:00+00:00"

SHOWN = (
    "I write to you in {name} (`{tag}`). Languages offered: {languages}.\n"
    "Change it with `/language <language>`, e.g. `/language {example}`."
)
DONE = "Done: from now on I write to you in {name}."


def shown(tag: str) -> str:
    with speaking(tag):
        return _(SHOWN).format(name=NAMES[tag], tag=tag, languages=offered(), example=another(tag))


def done(tag: str) -> str:
    with speaking(tag):
        return _(DONE).format(name=NAMES[tag])


@pytest.fixture
async def emu() -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator(clock=emulator_clock(START)) as emulator:
        emulator.add_user("partnerbot", BOT_PASSWORD, name="Partner Bot", roles=("bot",))
        emulator.add_user("alice", "pw", name="Alice")
        emulator.add_user("pablo", "pw", name="Pablo", language="es")
        emulator.set_setting("Language", "pt-BR")
        yield emulator


async def test_the_servers_language_then_the_users_choice(
    emu: RocketChatEmulator, tmp_path: Path
) -> None:
    bot = BotProcess(emu.url, tmp_path / "data")
    await bot.start("--start-time", START)

    async def say(user: str, text: str) -> str:
        room = emu.dm(user, "partnerbot").id
        command = await emu.post(user, room, text)
        reply = await emu.wait_for(
            lambda m: m["_id"].startswith(command["_id"] + "r") and m["rid"] == room, timeout=WAIT
        )
        return str(reply["msg"])

    try:
        await emu.wait_until(lambda: emu.active_subscriptions("partnerbot") == 1, timeout=WAIT)
        assert await say("alice", "/language") == shown("pt-BR")
        assert await say("pablo", "/language") == shown("pt-BR")  # his own is not shown
        assert await say("pablo", "/language es") == done("es")
        assert await say("pablo", "/language") == shown("es")
        assert await say("alice", "/language") == shown("pt-BR")
        assert emu.rest_calls("settings.public") == 1  # asked once, for everyone
        assert emu.rest_calls("users.info") == 2  # once for each user
    finally:
        await bot.kill_if_running()
