"""/goals <id> 3m|1y <text> through the real dispatcher: an account manager revises a
partner's goals at a review, the partner is told, the history is kept and shown; misuse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from storage import SCHEMA, Store
from tests.program import Program
from tests.test_review_fee_commands import APPLY, WORKGROUP, sign
from workflows.onboarding import Partner


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    """Acme Hosting (alice) signed on 2026-11-26; Bravo Cloud (bob) only applying."""
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    program.clock.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    await sign(program, fee="paid")
    assert (await program.say("bob", APPLY.replace("Acme Hosting", "Bravo Cloud"))).status == (
        "done"
    )
    program.clock.now = datetime(2027, 2, 26, 10, 0, tzinfo=UTC)  # the first review
    yield program
    await store.close()


async def acme(program: Program) -> Partner:
    doc = await program.store.get("partners", "acme-hosting")
    assert doc is not None
    return Partner.from_doc(doc)


async def test_a_manager_revises_the_goals_and_the_history_is_kept(program: Program) -> None:
    said = await program.say("maria", "/goals acme-hosting 3m eight hosted workspaces")
    assert said.status == "done", said.text
    assert "for 3 months revised; the earlier ones are kept" in said.text
    (told,) = said.elsewhere[WORKGROUP]
    assert told == (
        "@maria revised your goals for the next 3 months: eight hosted workspaces\n"
        "(before: five hosted workspaces)"
    )
    assert (await acme(program)).goals_3m == "eight hosted workspaces"
    program.clock.now = datetime(2027, 5, 26, 10, 0, tzinfo=UTC)
    assert (await program.say("joao", "/goals acme-hosting 3m ten")).status == "done"
    shown = await program.say("joao", "/goals acme-hosting")
    assert shown.status == "done", shown.text
    assert shown.text.splitlines() == [
        "Goals of Acme Hosting (`acme-hosting`):",
        "3 months: ten",
        "1 year: fifty hosted workspaces",
        "Revised:",
        "2027-02-26 3m by @maria: eight hosted workspaces (was: five hosted workspaces)",
        "2027-05-26 3m by @joao: ten (was: eight hosted workspaces)",
    ]
    status = await program.say("alice", "/status")
    assert status.status == "done"
    audit = await program.say("maria", "/audit acme-hosting 2")
    assert audit.text.count("goals 3m revised") == 2


async def test_the_partner_proposes_and_a_manager_approves(program: Program) -> None:
    proposed = await program.say("alice", "/goals 1y sixty hosted workspaces")
    assert proposed.status == "done", proposed.text
    assert "New goals for 1 year proposed" in proposed.text
    (asked,) = proposed.elsewhere["dm-maria"]
    assert "@alice proposes new goals of Acme Hosting (`acme-hosting`) for the next year" in (asked)
    assert "`/goals acme-hosting approve`" in asked
    assert (await acme(program)).goals_1y == "fifty hosted workspaces"  # until approved
    shown = await program.say("maria", "/goals acme-hosting")
    assert "Proposed by @alice for 1 year, waiting for approval: sixty hosted" in shown.text
    approved = await program.say("maria", "/goals acme-hosting approve")
    assert approved.status == "done", approved.text
    assert "approved the goals you proposed for the next year" in approved.elsewhere[WORKGROUP][0]
    assert (await acme(program)).goals_1y == "sixty hosted workspaces"
    history = (await program.say("maria", "/goals acme-hosting")).text
    assert (
        "2027-02-26 1y by @maria (proposed by @alice): sixty hosted workspaces "
        "(was: fifty hosted workspaces)" in history
    )
    assert "waiting for approval" not in history
    again = await program.say("maria", "/goals acme-hosting approve")
    assert again.status == "refused" and "has not proposed new goals" in again.text


async def test_a_manager_rejects_the_proposed_goals(program: Program) -> None:
    assert (await program.say("alice", "/goals 3m one workspace")).status == "done"
    missing = await program.say("maria", "/goals acme-hosting reject")
    assert missing.status == "refused" and "The reason is missing" in missing.text
    rejected = await program.say("maria", "/goals acme-hosting reject too low for a year")
    assert rejected.status == "done", rejected.text
    told = rejected.elsewhere[WORKGROUP][0]
    assert told == "@maria did not approve the goals you proposed: too low for a year"
    assert (await acme(program)).goals_3m == "five hosted workspaces"
    assert [doc async for doc in program.store.scan("goal_proposals")] == []


async def test_before_any_revision(program: Program) -> None:
    shown = await program.say("maria", "/goals acme-hosting")
    assert "Not revised since step 3." in shown.text
    assert "3 months: five hosted workspaces" in shown.text


async def test_the_partner_still_sends_its_goals_at_step_3(program: Program) -> None:
    assert (await program.say("maria", "/approve bravo-cloud application")).status == "done"
    said = await program.say("bob", "/goals 3m two workspaces")
    assert said.status == "done", said.text
    assert "Now `/goals 1y <text>`" in said.text


@pytest.mark.parametrize(
    ("who", "text", "problem"),
    [
        ("maria", "/goals 3m more", "Name the partner"),
        ("maria", "/goals nobody 3m more", "no partner with the id `nobody`"),
        ("maria", "/goals acme-hosting 6m more", "3m (the next 3 months) or 1y"),
        ("maria", "/goals acme-hosting 1y", "goals for 1 year are missing"),
        ("maria", "/goals acme-hosting 3m five hosted workspaces", "already the 3m goals"),
        ("maria", "/goals bravo-cloud 3m more", "only active or suspended partners"),
        ("alice", "/goals acme-hosting 3m more", "3m (the next 3 months) or 1y"),
        ("bob", "/goals acme-hosting 3m more", "3m (the next 3 months) or 1y"),
        ("alice", "/goals 3m five hosted workspaces", "already your 3m goals"),
        ("bob", "/goals 3m more", "needs to be approved first"),
        ("maria", "/goals acme-hosting approve", "has not proposed new goals"),
        ("alice", "/goals acme-hosting approve", "3m (the next 3 months) or 1y"),
        ("eve", "/goals acme-hosting 3m more", "for account managers and partners only"),
    ],
)
async def test_misuse_is_refused_and_changes_nothing(
    program: Program, who: str, text: str, problem: str
) -> None:
    before = await program.snapshot()
    said = await program.say(who, text)
    assert said.status == "refused", said.text
    assert problem in said.text
    assert len(said.here) == 1 and not said.elsewhere
    assert await program.snapshot() == before
    assert [doc async for doc in program.store.scan("goals")] == []
    assert [doc async for doc in program.store.scan("goal_proposals")] == []
