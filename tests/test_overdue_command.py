"""/overdue through the real dispatcher: everything late across the caller's partners,
oldest first, one line each (the same rules as `/partners late`), `/overdue all`, misuse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from storage import SCHEMA, Store
from tests.program import Program
from tests.test_partners_command import ACME_SIGNED, apply


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    """Acme Hosting (maria's) signed on 2026-08-15 with the fee unpaid, its listing sent
    on 2026-11-29; Cargo Net (joao's) with its goals waiting since 2026-11-20; Bravo
    Cloud applying on 2026-11-28, no manager yet. The clock on 2026-12-02."""
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    program.clock.now = datetime(2026, 8, 15, 9, 0, tzinfo=UTC)
    await program.say_all(ACME_SIGNED)
    program.clock.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    for who, text in [
        ("carla", apply("Cargo Net")),
        ("joao", "/approve cargo-net application"),
        ("carla", "/goals 3m five"),
        ("carla", "/goals 1y fifty"),
    ]:
        assert (await program.say(who, text)).status == "done", text
    program.clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert (await program.say("bob", apply("Bravo Cloud"))).status == "done"
    program.clock.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    assert (await program.say("alice", "/listing https://acme.example/partners")).status == "done"
    program.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    yield program
    await store.close()


async def test_everything_late_for_my_partners_oldest_first(program: Program) -> None:
    said = await program.say("maria", "/overdue")
    assert said.status == "done", said.text
    assert said.text.splitlines() == [
        "2026-08-15 `acme-hosting` Acme Hosting: fee 2026 unpaid",
        "2026-09-10 `acme-hosting` Acme Hosting: report 2026-08 not filed",
        "2026-10-10 `acme-hosting` Acme Hosting: report 2026-09 not filed",
        "2026-10-14 `acme-hosting` Acme Hosting: training not done",
        "2026-11-10 `acme-hosting` Acme Hosting: report 2026-10 not filed",
        "2026-11-15 `acme-hosting` Acme Hosting: review of 2026-11-15 not recorded",
        "2026-11-28 `bravo-cloud` Bravo Cloud: application waiting 4 days for your approval",
        "2026-11-29 `acme-hosting` Acme Hosting: listing waiting 3 days for your approval",
    ]
    joao = await program.say("joao", "/overdue")
    assert joao.text.splitlines() == [
        "2026-11-20 `cargo-net` Cargo Net: goals waiting 12 days for your approval",
        "2026-11-28 `bravo-cloud` Bravo Cloud: application waiting 4 days for your approval",
    ]
    everyone = (await program.say("joao", "/overdue ALL")).text.splitlines()
    assert len(everyone) == 9 and everyone[0].startswith("2026-08-15 `acme-hosting`")


async def test_nothing_late(program: Program) -> None:
    for who, text in [
        ("joao", "/approve cargo-net goals"),
        ("joao", "/approve bravo-cloud application"),
    ]:
        assert (await program.say(who, text)).status == "done", text
    said = await program.say("joao", "/overdue")
    assert said.status == "done"
    assert said.text == "Nothing is late for your partners."


@pytest.mark.parametrize(
    ("who", "text", "problem"),
    [
        ("maria", "/overdue acme-hosting", "`acme-hosting` is not understood"),
        ("maria", "/overdue all now", "not understood"),
        ("alice", "/overdue", "for account managers only"),
        ("eve", "/overdue all", "for account managers only"),
    ],
)
async def test_misuse_is_refused(program: Program, who: str, text: str, problem: str) -> None:
    before = await program.snapshot()
    said = await program.say(who, text)
    assert said.status == "refused", said.text
    assert problem in said.text
    assert len(said.here) == 1 and not said.elsewhere
    assert "Acme" not in said.text
    assert await program.snapshot() == before
