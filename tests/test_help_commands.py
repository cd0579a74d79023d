"""/help and usage replies through the real registry: only the forms the caller may use."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage import SCHEMA, Store
from tests.program import Program

APPLY = (
    '/onboard company="Acme Hosting" type=hosting website=https://acme.example '
    "email=partners@acme.example"
)


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    await program.say("alice", APPLY)
    yield program
    await store.close()


async def test_help_shows_each_reader_their_forms(program: Program) -> None:
    manager = (await program.say("maria", "/help")).text
    assert "/onboard" not in manager
    assert "`/report <partner-id> YYYY-MM [reopen | history]`" in manager
    assert "deal client=" not in manager
    partner = (await program.say("alice", "/help")).text
    assert "reopen" not in partner and "approve | reject" not in partner
    assert "`/report [YYYY-MM] [deal client=" in partner
    assert "`/status`" in partner
    one = (await program.say("maria", "/help report")).text
    assert one.startswith("`/report <partner-id> YYYY-MM [reopen | history]`")
    assert "Example: `/report acme-hosting " in one and "reopen`" in one
    assert "reopen" not in (await program.say("alice", "/help report")).text
    assert "reject <reason>" not in (await program.say("alice", "/report help")).text


async def test_an_unknown_command_gets_a_suggestion(program: Program) -> None:
    said = await program.say("alice", "/staus")  # (/stauts is now nearer /stats)
    assert said.status == "refused"
    assert said.text == (
        "I don't know `/staus`. Did you mean /status? Type /help to see the commands."
    )
    assert "Did you mean" not in (await program.say("alice", "/xyzzy")).text
    assert "/assign" not in (await program.say("alice", "/assing")).text  # managers only
    assert "Did you mean /assign?" in (await program.say("maria", "/assing")).text


async def test_help_for_an_unknown_command_suggests_one(program: Program) -> None:
    said = await program.say("alice", "/help staus")
    assert said.status == "refused"
    assert "I don't know `/staus`. Did you mean /status?" in said.text
