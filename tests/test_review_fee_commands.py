"""/review and /fee through the real dispatcher: the quarterly checklist, recording and
replacing a review, the suspension a failed review offers, the yearly fee and its years,
the fee in /status, bad input and who may do it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from storage import SCHEMA, Store
from tests.program import Program
from workflows.onboarding import Partner, Status

APPLY = (
    '/onboard company="Acme Hosting" type=hosting website=https://acme.example '
    "email=partners@acme.example"
)
SIGNED = "2026-11-26"
WORKGROUP = "room-partner-acme-hosting"


async def sign(
    program: Program, fee: str, who: str = "alice", company: str = "Acme Hosting"
) -> None:
    """Onboard a partner up to its contract, signed on SIGNED with `fee=`."""
    partner_id = company.lower().replace(" ", "-")
    for sender, text in [
        (who, APPLY.replace("Acme Hosting", company)),
        ("maria", f"/approve {partner_id} application"),
        ("maria", f"/approve {partner_id} meeting on={SIGNED}"),
        (who, "/goals 3m five hosted workspaces"),
        (who, "/goals 1y fifty hosted workspaces"),
        ("maria", f"/approve {partner_id} goals"),
        ("maria", f"/approve {partner_id} contract signed={SIGNED} support=yes fee={fee}"),
    ]:
        said = await program.say(sender, text)
        assert said.status == "done", (text, said.text)


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    """Acme Hosting, signed on 2026-11-26 with the fee unpaid; the clock on that day."""
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    program.clock.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    await sign(program, fee="unpaid")
    yield program
    await store.close()


async def stored(program: Program, collection: str) -> list[dict[str, Any]]:
    return [doc async for doc in program.store.scan(collection)]


async def partner(program: Program) -> Partner:
    doc = await program.store.get("partners", "acme-hosting")
    assert doc is not None
    return Partner.from_doc(doc)


async def audit_whats(program: Program) -> list[str]:
    return [entry["what"] async for entry in program.store.audit() if entry.get("what")]


# /review


async def test_the_first_review_cannot_be_recorded_before_it_is_near(program: Program) -> None:
    program.clock.now = datetime(2027, 2, 18, 12, 0, tzinfo=UTC)
    shown = await program.say("maria", "/review acme-hosting")
    assert shown.status == "done", shown.text
    assert "The first review is on 2027-02-26; it can be recorded from 2027-02-19." in shown.text
    refused = await program.say("maria", "/review acme-hosting pass")
    assert refused.status == "refused"
    assert "first quarterly review of Acme Hosting is on 2027-02-26" in refused.text
    assert await stored(program, "reviews") == []


async def test_a_review_is_recorded_replaced_and_told(program: Program) -> None:
    program.clock.now = datetime(2027, 2, 19, 12, 0, tzinfo=UTC)
    checklist = await program.say("maria", "/review acme-hosting")
    assert "⚠️ This review is for 2027-02-26: not recorded yet" in checklist.text
    assert "❌ Report 2027-01: not filed (due 2027-02-10)." in checklist.text
    assert "❌ Program fee for 2026 (due 2026-11-26): unpaid." in checklist.text
    assert "✅ Support contract: yes." in checklist.text
    assert "❌ Training: late, it was due by 2027-01-25." in checklist.text

    passed = await program.say("maria", "/review acme-hosting pass all good")
    assert passed.status == "done", passed.text
    assert "for 2027-02-26: *pass*, notes: all good." in passed.text
    assert "The next review is on 2027-05-26." in passed.text
    assert passed.elsewhere[WORKGROUP] == [
        "Your quarterly review of 2027-02-26 passed. Thank you! Notes: all good"
    ]
    assert passed.attachments == []
    assert await stored(program, "reviews") == [
        {
            "partner": "acme-hosting",
            "date": "2027-02-26",
            "outcome": "pass",
            "notes": "all good",
            "by": "maria",
            "at": "2027-02-19T12:00:00+00:00",
        }
    ]

    program.clock.now = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    warned = await program.say("joao", "/review acme-hosting WARN the fee is unpaid")
    assert warned.status == "done", warned.text
    assert "for 2027-02-26: *warn*, notes: the fee is unpaid." in warned.text
    assert "It replaces the earlier record: pass by @maria on 2027-02-19 (all good)." in (
        warned.text
    )
    assert "passed with a warning" in warned.elsewhere[WORKGROUP][0]
    [doc] = await stored(program, "reviews")
    assert (doc["outcome"], doc["notes"], doc["by"]) == ("warn", "the fee is unpaid", "joao")
    assert (await audit_whats(program))[-2:] == [
        "review 2027-02-26: pass",
        "review 2027-02-26: warn",
    ]

    # the next quarter: the previous review is shown with its outcome
    program.clock.now = datetime(2027, 5, 20, 12, 0, tzinfo=UTC)
    shown = await program.say("maria", "/review acme-hosting")
    assert "⚠️ This review is for 2027-05-26: not recorded yet" in shown.text
    assert (
        "⚠️ Previous review (2027-02-26): warn by @joao on 2027-03-01 (the fee is unpaid)."
        in shown.text
    )


async def test_a_failed_review_offers_the_suspension(program: Program) -> None:
    program.clock.now = datetime(2027, 2, 26, 12, 0, tzinfo=UTC)
    failed = await program.say("maria", "/review acme-hosting fail no reports since November")
    assert failed.status == "done", failed.text
    assert "`/suspend acme-hosting <reason>`" in failed.text
    [button] = failed.attachments[0]["actions"]
    assert (button["text"], button["msg"]) == (
        "Suspend",
        "@partnerbot suspend acme-hosting failed the quarterly review of 2027-02-26",
    )
    assert "2027-02-26 failed" in failed.elsewhere[WORKGROUP][0]
    assert (await partner(program)).status is Status.ACTIVE  # only offered

    clicked = await program.say("maria", button["msg"])
    assert clicked.status == "done", clicked.text
    suspended = await partner(program)
    assert suspended.status is Status.SUSPENDED
    assert suspended.status_reason == "failed the quarterly review of 2027-02-26"

    # a suspended partner is still reviewed; no second suspension is offered
    again = await program.say("maria", "/review acme-hosting fail still nothing")
    assert again.status == "done", again.text
    assert again.attachments == [] and "/suspend" not in again.text
    assert (
        "(`acme-hosting`, suspended)" in (await program.say("maria", "/review acme-hosting")).text
    )


async def test_a_warn_or_a_fail_needs_notes(program: Program) -> None:
    """The partner is told to put right what the notes say: a warn or fail without notes is
    answered with the usage, and nothing is recorded or told."""
    program.clock.now = datetime(2027, 2, 26, 12, 0, tzinfo=UTC)
    for outcome in ("warn", "fail"):
        said = await program.say("maria", f"/review acme-hosting {outcome}")
        assert said.status == "refused"
        assert said.text.startswith(f"A {outcome} needs notes: say what the partner must put")
        usage = "\nUsage: `/review <partner-id> [pass [notes ...] | warn|fail <notes ...>]`"
        assert usage in said.text
        assert not said.elsewhere
    assert await stored(program, "reviews") == []
    assert (await program.say("maria", "/review acme-hosting pass")).status == "done"


async def test_only_partners_in_the_program_are_reviewed(program: Program) -> None:
    await program.say("bob", APPLY.replace("Acme Hosting", "Bravo Cloud"))
    await program.say("maria", "/approve bravo-cloud application")
    for text in ("/review bravo-cloud", "/review bravo-cloud pass", "/fee bravo-cloud paid"):
        said = await program.say("maria", text)
        assert said.status == "refused", text
        assert "Bravo Cloud is onboarding: only active or suspended partners" in said.text
    await program.say("maria", "/remove acme-hosting left the program")
    program.clock.now = datetime(2027, 2, 26, 12, 0, tzinfo=UTC)
    removed = await program.say("maria", "/review acme-hosting pass")
    assert removed.status == "refused" and "is removed" in removed.text
    assert await stored(program, "reviews") == []
    assert await stored(program, "fees") == []


async def test_the_checklist_shows_what_the_partner_did(program: Program) -> None:
    program.clock.now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    for who, text in [
        ("alice", "/listing https://acme.example/partners"),
        ("maria", "/approve acme-hosting listing"),
        ("maria", "/approve acme-hosting training on=2026-12-10"),
        ("alice", "/attest statistics on"),
        ("alice", "/attest reference off"),
    ]:
        assert (await program.say(who, text)).status == "done", text
    program.clock.now = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)
    assert (await program.say("alice", "/report none")).status == "done"  # 2026-12, on time
    program.clock.now = datetime(2027, 2, 20, 12, 0, tzinfo=UTC)
    text = (await program.say("maria", "/review acme-hosting")).text
    for line in [
        "❌ Report 2027-01: not filed (due 2027-02-10).",
        "✅ Report 2026-12: filed on time (due 2027-01-10).",
        "❌ Report 2026-11: not filed (due 2026-12-10).",
        "✅ Goals: done; 3 months: five hosted workspaces; 1 year: fifty hosted workspaces.",
        "✅ Listing: done, `https://acme.example/partners` (the page mentions the vendor).",
        "✅ Statistics sharing: attested on.",
        "❌ Vendor reference: attested off.",
        "✅ Training: done on 2026-12-10.",
    ]:
        assert line in text


# /fee


async def test_the_fee_is_recorded_once_and_told(program: Program) -> None:
    status = await program.say("alice", "/status")
    assert "\nProgram fee for 2026 (due 2026-11-26): unpaid." in status.text
    assert "program fee unpaid" not in status.text  # the old flag, from the contract alone

    paid = await program.say("maria", "/fee acme-hosting paid")
    assert paid.status == "done", paid.text
    assert "for 2026 (USD 1,200.00, due 2026-11-26) is paid" in paid.text
    assert "for 2026 (due 2026-11-26) is recorded as paid" in paid.elsewhere[WORKGROUP][0]
    assert await stored(program, "fees") == [
        {"partner": "acme-hosting", "year": "2026", "paid_on": "2026-11-26", "by": "maria"}
    ]
    assert (await audit_whats(program))[-1] == "fee 2026 paid"
    status = await program.say("alice", "/status")
    assert "\nProgram fee for 2026 (due 2026-11-26): paid." in status.text

    program.clock.now = datetime(2027, 1, 3, 12, 0, tzinfo=UTC)
    twice = await program.say("joao", "/fee acme-hosting paid 2026")
    assert twice.status == "refused"
    assert "already recorded as paid on 2026-11-26 by @maria" in twice.text
    assert len(await stored(program, "fees")) == 1


async def test_a_wrong_fee_record_is_undone_and_the_audit_kept(program: Program) -> None:
    assert (await program.say("maria", "/fee acme-hosting paid")).status == "done"
    program.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    undone = await program.say("joao", "/fee acme-hosting unpaid 2026")
    assert undone.status == "done", undone.text
    assert (
        undone.text
        == "Undone: the program fee of Acme Hosting (`acme-hosting`) for 2026 (due 2026-11-26) "
        "was recorded as paid on 2026-11-26 by @maria; it is unpaid again."
    )
    assert "is not recorded as paid after all" in undone.elsewhere[WORKGROUP][0]
    assert await stored(program, "fees") == []
    assert (await audit_whats(program))[-2:] == ["fee 2026 paid", "fee 2026 unpaid"]
    status = await program.say("alice", "/status")
    assert "\nProgram fee for 2026 (due 2026-11-26): unpaid." in status.text
    again = await program.say("joao", "/fee acme-hosting unpaid 2026")
    assert again.status == "refused"
    assert "not recorded as paid" in again.text
    assert (await program.say("maria", "/fee acme-hosting paid 2026")).status == "done"


async def test_the_contracts_fee_mark_is_undone(paid_at_signing: Program) -> None:
    program = paid_at_signing
    undone = await program.say("maria", "/fee acme-hosting unpaid")
    assert undone.status == "done", undone.text
    assert "was marked paid with the contract; it is unpaid again." in undone.text
    assert (await partner(program)).fee_paid is False
    assert (await audit_whats(program))[-1] == "fee 2026 unpaid (the contract's fee=paid undone)"
    assert (await program.say("maria", "/fee acme-hosting paid")).status == "done"


@pytest.fixture
async def paid_at_signing() -> AsyncIterator[Program]:
    """Acme Hosting, signed on 2026-11-26 with fee=paid; the clock on that day."""
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    program.clock.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    await sign(program, fee="paid")
    yield program
    await store.close()


async def test_fee_years_the_contract_mark_and_paying_early(paid_at_signing: Program) -> None:
    program = paid_at_signing
    marked = await program.say("maria", "/fee acme-hosting paid")
    assert marked.status == "refused"
    assert "marked paid with the contract, approved on 2026-11-26 by @maria" in marked.text
    assert (await program.say("maria", "/fee acme-hosting paid 2028")).status == "refused"
    early = await program.say("maria", "/fee acme-hosting paid 2027")
    assert early.status == "done", early.text

    program.clock.now = datetime(2027, 11, 1, 12, 0, tzinfo=UTC)
    status = await program.say("alice", "/status")
    assert (
        "\nProgram fee for 2026 (due 2026-11-26): paid; for 2027 (due 2027-11-26): "
        "paid in advance." in status.text
    )
    program.clock.now = datetime(2028, 11, 1, 12, 0, tzinfo=UTC)
    status = await program.say("alice", "/status")
    assert (
        "\nProgram fee for 2027 (due 2027-11-26): paid; for 2028 due on 2028-11-26, "
        "in 25 days." in status.text
    )
    program.clock.now = datetime(2028, 11, 26, 12, 0, tzinfo=UTC)
    shown = await program.say("maria", "/fee acme-hosting")
    assert "❌ Program fee for 2028 (due 2028-11-26): unpaid." in shown.text
    refused = await program.say("maria", "/fee acme-hosting paid 2030")
    assert "are 2026 (signed on 2026-11-26) to 2029" in refused.text
    assert (await program.say("maria", "/fee acme-hosting paid 2029")).status == "done"
    assert [doc["year"] for doc in await stored(program, "fees")] == ["2027", "2029"]


async def test_the_fee_is_dated_in_the_local_zone(program: Program) -> None:
    zone = ZoneInfo("America/Sao_Paulo")
    program.dispatcher.settings = replace(program.dispatcher.settings, timezone=zone)
    program.clock.now = datetime(2027, 11, 27, 1, 0, tzinfo=UTC)  # 2027-11-26 22:00 there
    paid = await program.say("maria", "/fee acme-hosting paid")
    assert paid.status == "done", paid.text
    assert await stored(program, "fees") == [
        {"partner": "acme-hosting", "year": "2027", "paid_on": "2027-11-26", "by": "maria"}
    ]


async def test_status_shows_the_next_review(program: Program) -> None:
    program.clock.now = datetime(2027, 2, 27, 12, 0, tzinfo=UTC)
    assert "Next quarterly review on 2027-05-26." in (await program.say("alice", "/status")).text
    program.clock.now = datetime(2027, 5, 20, 12, 0, tzinfo=UTC)
    assert "Next quarterly review on 2027-05-26." in (await program.say("alice", "/status")).text
    assert (await program.say("maria", "/review acme-hosting pass")).status == "done"
    assert "Next quarterly review on 2027-08-26." in (await program.say("alice", "/status")).text


# Bad input and who may do it: one reply, nothing stored.


@pytest.mark.parametrize(
    ("who", "text", "problem"),
    [
        ("maria", "/review", "the partner id is missing"),
        ("maria", "/review acme-hosting maybe", "give pass, warn or fail"),
        ("maria", "/review nobody pass", "no partner with the id `nobody`"),
        ("maria", "/review acme-hosting pass grade=a", "unknown option grade="),
        ("maria", "/review acme-hosting warn", "a warn needs notes"),
        ("maria", "/review acme-hosting FAIL  ", "a fail needs notes"),
        ("alice", "/review acme-hosting", "for account managers only"),
        ("alice", "/review acme-hosting pass", "for account managers only"),
        ("eve", "/review acme-hosting pass", "for account managers only"),
        ("maria", "/fee", "the partner id is missing"),
        ("maria", "/fee acme-hosting owed", "say paid or unpaid"),
        ("maria", "/fee acme-hosting unpaid", "for 2026 is not recorded as paid"),
        ("maria", "/fee acme-hosting unpaid 2027", "for 2027 is not recorded as paid"),
        ("maria", "/fee acme-hosting unpaid 2030", "2030 is not one of them"),
        ("maria", "/fee acme-hosting unpaid 26", "YYYY"),
        ("maria", "/fee nobody unpaid", "no partner with the id `nobody`"),
        ("alice", "/fee acme-hosting unpaid", "for account managers only"),
        ("bob", "/fee acme-hosting unpaid 2026", "for account managers only"),
        ("maria", "/fee acme-hosting paid 27", "YYYY"),
        ("maria", "/fee acme-hosting paid next-year", "YYYY"),
        ("maria", "/fee acme-hosting paid 2025", "2025 is not one of them"),
        ("maria", "/fee acme-hosting paid 2028", "2028 is not one of them"),
        ("maria", "/fee acme-hosting paid 2026 twice", "unexpected `twice`"),
        ("maria", "/fee nobody paid", "no partner with the id `nobody`"),
        ("alice", "/fee acme-hosting paid", "for account managers only"),
        ("bob", "/fee acme-hosting paid", "for account managers only"),
    ],
)
async def test_bad_input_is_refused_and_stores_nothing(
    program: Program, who: str, text: str, problem: str
) -> None:
    await sign(program, fee="unpaid", who="bob", company="Bravo Cloud")
    program.clock.now = datetime(2027, 2, 26, 12, 0, tzinfo=UTC)
    before = await program.snapshot()
    said = await program.say(who, text)
    assert said.status == "refused", said.text
    assert problem.lower() in said.text.lower()
    assert len(said.here) == 1 and not said.elsewhere
    assert "Acme Hosting" not in said.text or who == "maria"
    assert await program.snapshot() == before
    assert await stored(program, "reviews") == []
    assert await stored(program, "fees") == []
