"""The partners' channel (issue 16, item 5): with PARTNERBOT_PARTNERS_CHANNEL set, every
contact of an active partner is in it. Commands keep it in step (approval to active,
suspension, reinstatement, removal, a contact removed, a contact who joins); the daily check
adds who is missing, takes former contacts out, and reports once anyone else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from chat.base import ChatError, Outgoing
from commands.channel import ChannelCheck
from engine.framework import OneLanguage
from storage import SCHEMA, Store, Transaction
from tests.program import SETTINGS, Program
from tests.test_privacy import onboard

SETTINGS_WITH_CHANNEL = replace(SETTINGS, partners_channel="partners", manager_room="ams")


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    """Acme Hosting (alice) active; the channel `partners` has the bot in it."""
    store = await Store.open(None, SCHEMA)
    program = Program(store, SETTINGS_WITH_CHANNEL)
    program.chat.groups["partners"] = ("partnerbot",)
    program.chat.groups["ams"] = ("maria", "joao")
    program.clock.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    await onboard(program, "alice", "Acme Hosting", "acme-hosting")
    yield program
    await store.close()


def channel(program: Program) -> set[str]:
    return set(program.chat.groups["partners"])


async def done(program: Program, who: str, text: str, room: str | None = None) -> Any:
    said = await program.say(who, text, room)
    assert said.status == "done", (text, said.text)
    return said


async def test_membership_follows_status_and_contacts(program: Program) -> None:
    assert channel(program) == {"partnerbot", "alice"}  # approved to active: in
    await done(program, "alice", "/contacts add @bob", "partner-acme-hosting")
    assert "bob" not in channel(program)  # invited is not a contact yet
    await done(program, "bob", "/join acme-hosting")
    assert channel(program) == {"partnerbot", "alice", "bob"}
    await done(program, "maria", "/suspend acme-hosting no report")
    assert channel(program) == {"partnerbot"}
    await done(program, "maria", "/reinstate acme-hosting")
    assert channel(program) == {"partnerbot", "alice", "bob"}
    await done(program, "alice", "/contacts remove @bob", "partner-acme-hosting")
    assert channel(program) == {"partnerbot", "alice"}
    await done(program, "maria", "/remove acme-hosting the agreement ended")
    assert channel(program) == {"partnerbot"}
    kept = {doc["username"] async for doc in program.store.scan("channel")}
    assert kept == set()  # nobody the bot put there is left in it


async def test_no_channel_set_nothing_happens() -> None:
    store = await Store.open(None, SCHEMA)
    program = Program(store, SETTINGS)
    program.chat.groups["partners"] = ("partnerbot",)
    program.clock.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    await onboard(program, "alice", "Acme Hosting", "acme-hosting")
    assert channel(program) == {"partnerbot"}
    await store.close()


class Posted:
    def __init__(self) -> None:
        self.messages: list[Outgoing] = []

    async def __call__(self, tx: Transaction, messages: Sequence[Outgoing], now: datetime) -> None:
        for out in messages:
            tx.put(
                "outbox",
                {
                    "id": out.id,
                    "order": 0,
                    "room": out.room_id,
                    "text": out.text,
                    "thread": None,
                    "attachments": [],
                    "at": now.isoformat(),
                },
            )
        await tx.commit()
        self.messages += messages


async def test_the_daily_check_puts_the_channel_back_in_step(program: Program) -> None:
    posted = Posted()
    check = ChannelCheck(
        program.store,
        SETTINGS_WITH_CHANNEL,
        program.clock,
        program.chat,
        posted,
        OneLanguage(),
    )
    await done(program, "alice", "/contacts add @bob", "partner-acme-hosting")
    await done(program, "bob", "/join acme-hosting")
    kick = program.chat.remove_members

    async def refused(room_id: str, usernames: Sequence[str]) -> None:
        raise ChatError("no permission")

    program.chat.remove_members = refused  # type: ignore[method-assign]
    said = await done(program, "alice", "/contacts remove @bob", "partner-acme-hosting")
    assert "no permission" in said.elsewhere["room-ams"][0]  # the managers hear of it
    program.chat.remove_members = kick  # type: ignore[method-assign]
    # by hand: alice taken out, mallory and a manager added; bob, a former contact, left in
    program.chat.groups["partners"] = ("partnerbot", "bob", "mallory", "maria")
    assert await check.check()
    assert channel(program) == {"partnerbot", "alice", "mallory", "maria"}
    [report] = posted.messages
    assert report.room_id == "room-ams"
    assert "@mallory" in report.text and "@maria" not in report.text and "bob" not in report.text
    assert await check.check()  # the next day: mallory is not reported again
    assert len(posted.messages) == 1
    assert channel(program) == {"partnerbot", "alice", "mallory", "maria"}


async def test_a_channel_the_bot_is_not_in_is_left_alone(program: Program) -> None:
    del program.chat.groups["partners"]
    await done(program, "maria", "/suspend acme-hosting no report")  # no failure for it
    posted = Posted()
    check = ChannelCheck(
        program.store,
        SETTINGS_WITH_CHANNEL,
        program.clock,
        program.chat,
        posted,
        OneLanguage(),
    )
    assert await check.check()
    assert posted.messages == []


async def test_a_channel_made_by_a_manager_is_used() -> None:
    store = await Store.open(None, SCHEMA)
    program = Program(store, SETTINGS_WITH_CHANNEL)
    program.chat.groups["partners"] = ("maria", "partnerbot")
    program.chat.creators["partners"] = "Maria"  # usernames compared case-insensitively
    program.clock.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    await onboard(program, "alice", "Acme Hosting", "acme-hosting")
    assert channel(program) == {"maria", "partnerbot", "alice"}
    await store.close()


async def test_a_channel_made_by_a_stranger_is_not_used() -> None:
    """mallory made a room named like the channel and added the bot: nobody is added to it
    or taken out of it, by the commands or by the daily check, and the managers are told
    once, whichever notices first."""
    store = await Store.open(None, SCHEMA)
    program = Program(store, SETTINGS_WITH_CHANNEL)
    program.chat.groups["partners"] = ("mallory", "partnerbot", "carol")
    program.chat.creators["partners"] = "mallory"
    program.chat.groups["ams"] = ("maria", "joao")
    program.clock.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    await onboard(program, "alice", "Acme Hosting", "acme-hosting")  # approved to active
    assert channel(program) == {"mallory", "partnerbot", "carol"}
    marks = [doc async for doc in store.scan("sent", "#partners")]
    assert [(m["kind"], m["period"]) for m in marks] == [("untrusted-channel", "room-partners")]
    said = await done(program, "maria", "/suspend acme-hosting no report")
    assert "room-ams" not in said.elsewhere  # told already, when alice was approved
    assert channel(program) == {"mallory", "partnerbot", "carol"}
    await done(program, "maria", "/reinstate acme-hosting")
    posted = Posted()
    check = ChannelCheck(
        store,
        SETTINGS_WITH_CHANNEL,
        program.clock,
        program.chat,
        posted,
        OneLanguage(),
    )
    assert await check.check()
    assert posted.messages == []  # told once; carol is not reported: not the bot's to keep
    assert channel(program) == {"mallory", "partnerbot", "carol"}
    assert [doc async for doc in store.scan("channel")] == []
    await store.close()


async def test_the_managers_hear_of_a_strangers_channel_once() -> None:
    store = await Store.open(None, SCHEMA)
    program = Program(store, SETTINGS_WITH_CHANNEL)
    program.chat.groups["partners"] = ("mallory", "partnerbot")
    program.chat.creators["partners"] = "mallory"
    program.chat.groups["ams"] = ("maria", "joao")
    program.clock.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    posted = Posted()
    check = ChannelCheck(
        store,
        SETTINGS_WITH_CHANNEL,
        program.clock,
        program.chat,
        posted,
        OneLanguage(),
    )
    assert await check.check()
    [notice] = posted.messages
    assert notice.room_id == "room-ams"
    assert notice.text.startswith(
        "The partners' channel `partners` was created by @mallory, who is not an account "
        "manager, so I do not use it"
    )
    assert await check.check()
    program.chat.creators["partners"] = None  # a server that names nobody: not trusted either
    await onboard(program, "alice", "Acme Hosting", "acme-hosting")
    assert posted.messages == [notice]
    assert channel(program) == {"mallory", "partnerbot"}
    await store.close()
