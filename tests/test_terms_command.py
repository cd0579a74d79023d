"""/terms through the real dispatcher: the partner is told what changed (old and new), in
its workgroup or else its contacts' DMs; nothing when nothing changed; misuse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from storage import SCHEMA, Store
from tests.program import Program
from tests.test_review_fee_commands import WORKGROUP, sign


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    """Acme Hosting (alice), signed on 2026-11-26, with its workgroup."""
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    program.clock.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    await sign(program, fee="paid")
    yield program
    await store.close()


async def test_the_partner_is_told_the_old_and_new_rates(program: Program) -> None:
    said = await program.say("maria", "/terms acme-hosting hosting=25 premium=75")
    assert said.status == "done", said.text
    (told,) = said.elsewhere[WORKGROUP]
    assert "changed: hosting 30% → 25%, premium 80% → 75%." in told
    assert "reports already filed keep their rates" in told
    again = await program.say("maria", "/terms acme-hosting hosting=25")
    assert again.status == "done" and not again.elsewhere  # nothing changed
    shown = await program.say("maria", "/terms acme-hosting")
    assert shown.status == "done" and not shown.elsewhere


async def test_without_a_workgroup_the_contacts_are_told_in_dms() -> None:
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    program.clock.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    program.chat.taken = {"partner-acme-hosting"} | {
        f"partner-acme-hosting-{n}" for n in range(2, 11)
    }
    await sign(program, fee="paid")
    said = await program.say("maria", "/terms acme-hosting services=10")
    assert said.status == "done", said.text
    assert "changed: services 0% → 10%." in said.elsewhere["dm-alice"][0]
    assert WORKGROUP not in said.elsewhere
    await store.close()


@pytest.mark.parametrize(
    ("who", "text", "problem"),
    [
        ("maria", "/terms nobody hosting=20", "no partner with the id `nobody`"),
        ("maria", "/terms acme-hosting hosting=120", "hosting"),
        ("maria", "/terms acme-hosting gifts=10", "gifts"),
        ("alice", "/terms acme-hosting hosting=5", "for account managers only"),
        ("eve", "/terms acme-hosting hosting=5", "for account managers only"),
    ],
)
async def test_misuse_is_refused_and_tells_nobody(
    program: Program, who: str, text: str, problem: str
) -> None:
    before = [doc async for doc in program.store.scan("terms")]
    said = await program.say(who, text)
    assert said.status == "refused", said.text
    assert problem in said.text.lower()
    assert len(said.here) == 1 and not said.elsewhere
    assert [doc async for doc in program.store.scan("terms")] == before
