"""/audit through the real dispatcher: a partner's last audit entries (its record, fees,
terms, reports, reviews, members), n of them, for account managers only; and the rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from storage import SCHEMA, Store
from tests.program import Program
from tests.test_review_fee_commands import sign
from workflows.audit import AUDIT_DEFAULT, AuditError, concerns, parse_count


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    """Acme Hosting (alice) and Bravo Cloud (bob), both signed on 2026-11-26."""
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    program.clock.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    await sign(program, fee="unpaid")
    await sign(program, fee="unpaid", who="bob", company="Bravo Cloud")
    yield program
    await store.close()


async def test_the_last_entries_of_the_partner(program: Program) -> None:
    program.clock.now = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    for text in (
        "/fee acme-hosting paid",
        "/terms acme-hosting hosting=25",
        "/fee bravo-cloud paid",
    ):
        assert (await program.say("maria", text)).status == "done", text
    said = await program.say("joao", "/audit acme-hosting 2")
    assert said.status == "done", said.text
    assert said.text == "\n".join(
        [
            "The last 2 audit entries of Acme Hosting (`acme-hosting`):",
            "2026-12-01 10:30 @maria: fee 2026 paid",
            "2026-12-01 10:30 @maria: terms changed",
        ]
    )
    default = (await program.say("maria", "/audit acme-hosting")).text.splitlines()
    assert default[0] == f"The last {AUDIT_DEFAULT} audit entries of Acme Hosting (`acme-hosting`):"
    assert len(default) == AUDIT_DEFAULT + 1
    everything = (await program.say("maria", "/audit acme-hosting 100")).text
    assert "@alice: alice joined acme-hosting" in everything
    assert "bravo" not in everything and "@bob" not in everything


@pytest.mark.parametrize(
    ("who", "text", "problem"),
    [
        ("maria", "/audit", "the partner id is missing"),
        ("maria", "/audit nobody", "no partner with the id `nobody`"),
        ("maria", "/audit acme-hosting 0", "1 to 100"),
        ("maria", "/audit acme-hosting 101", "1 to 100"),
        ("maria", "/audit acme-hosting ten", "1 to 100"),
        ("maria", "/audit acme-hosting 5 more", "unexpected `more`"),
        ("alice", "/audit acme-hosting", "for account managers only"),
        ("alice", "/audit bravo-cloud", "for account managers only"),
        ("eve", "/audit acme-hosting", "for account managers only"),
    ],
)
async def test_misuse_is_refused_and_shows_nothing(
    program: Program, who: str, text: str, problem: str
) -> None:
    before = await program.snapshot()
    said = await program.say(who, text)
    assert said.status == "refused", said.text
    assert problem.lower() in said.text.lower()
    assert len(said.here) == 1 and not said.elsewhere
    assert "@" not in said.text.split("Usage")[0]  # no entry shown
    assert await program.snapshot() == before


def test_which_entries_are_the_partners() -> None:
    def entry(collection: str, key: str, **docs: object) -> dict[str, object]:
        return {"collection": collection, "key": key, "before": None, "after": None} | docs

    assert concerns(entry("partners", "acme"), "acme")
    assert not concerns(entry("partners", "acme-2"), "acme")
    assert concerns(entry("reports", "acme/2026-10"), "acme")
    assert concerns(entry("fees", "acme/2026"), "acme")
    assert concerns(entry("terms", "acme"), "acme")
    assert not concerns(entry("reviews", "acme-2/2026-11-26"), "acme")
    assert concerns(entry("members", "alice", before={"partner": "acme"}), "acme")
    assert concerns(entry("members", "alice", after={"partner": "acme"}), "acme")
    assert not concerns(entry("members", "bob", after={"partner": "bravo"}), "acme")
    assert not concerns(entry("conversations", "acme/alice"), "acme")
    assert parse_count(None) == AUDIT_DEFAULT
    assert parse_count("100") == 100
    for bad in ("0", "101", "-1", "1.5", "٣"):
        with pytest.raises(AuditError):
            parse_count(bad)
