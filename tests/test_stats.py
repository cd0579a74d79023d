"""/stats and the quarterly summary (issue 15), against a worked example computed by hand.

The program in 2027-Q1 (the clock: 2027-04-20, every report of the quarter due):

- acme-hosting (contact alice), hosting, signed 2026-11-02: 2027-01 a hosting deal of 12,000
  (owes 3,600) and a prospect of 5,000 closing 2027-06, on time; 2027-02 a premium deal of
  2,500 (owes 2,000), late; 2027-03 no sales, on time;
- bravo-tech (bea), technology, signed 2026-11-02: 2027-01 a services deal of 4,000 (owes 0)
  and a hosting one of 1,000 (owes 300), on time; nothing for 2027-02 and 2027-03;
- carol-var (carl), value-added, signed 2026-12-01 with the fee unpaid: nothing;
- delta-host (dan), hosting, applied and signed 2027-02-10: nothing.

acme also filed 2026-12: hosting 10,000 (owed 3,000). So, by hand:
hosting closed 14,500 (+45 % on 10,000), owed 5,600, pipeline 5,000; technology closed 5,000
(new), owed 300; value-added nothing. Reports: on time 3, late 1, missing 7 (bravo 2,
carol 3, delta 2). Reviews of 2027-02-02: acme pass, bravo warn. Fees unpaid: carol. Training
late (due 60 days after signing, not held by 2027-03-31): bravo and carol (acme's was held).
Onboarding in Q1: delta applied, was approved and made active the same day.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from chat.base import Outgoing
from commands import figures
from commands.quarterly import QuarterlySummary
from i18n import speaking
from storage import SCHEMA, Store, Transaction
from tests.fakes import FakeChat
from tests.partners import onboarded
from tests.program import SETTINGS, Program
from workflows.charts import partner_chart, png
from workflows.onboarding import Partner, PartnerType, State, Step, StepRecord
from workflows.reporting import Month
from workflows.stats import (
    Figures,
    MonthFigures,
    Quarter,
    last_closed,
    partner_stats,
    render_partner,
    summary_day,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def partners() -> list[tuple[Partner, str]]:
    acme = onboarded("acme-hosting", "Acme Hosting", "alice", date(2026, 11, 2), "room-acme")
    steps = dict(acme.steps)
    steps[Step.TRAINING] = StepRecord(State.DONE, datetime(2026, 12, 10, tzinfo=UTC), "maria")
    acme = replace(acme, steps=steps, training_on=date(2026, 12, 10))
    bravo = onboarded("bravo-tech", "Bravo Tech", "bea", date(2026, 11, 2), "room-bravo")
    carol = onboarded("carol-var", "Carol VAR", "carl", date(2026, 12, 1), "room-carol")
    delta = onboarded("delta-host", "Delta Host", "dan", date(2027, 2, 10), "room-delta")
    return [
        (acme, "alice"),
        (replace(bravo, type=PartnerType.TECHNOLOGY), "bea"),
        (replace(carol, type=PartnerType.VALUE_ADDED, fee_paid=False), "carl"),
        (delta, "dan"),
    ]


async def file(program: Program, who: str, month: str, on: date, *entries: str) -> None:
    program.clock.now = datetime(on.year, on.month, on.day, 12, 0, tzinfo=UTC)
    for entry in entries:
        said = await program.say(who, f"/report {month} {entry}")
        assert said.status == "done", said.text
    said = await program.say(who, f"/report {month} {'submit' if entries else 'none'}")
    assert said.status == "done", said.text


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = await Store.open(None, SCHEMA)
    yield opened
    await opened.close()


async def example(store: Store) -> Program:
    program = Program(store)
    tx = store.begin("test", datetime(2027, 2, 10, tzinfo=UTC))
    for partner, contact in partners():
        tx.put("partners", partner.to_doc())
        tx.put("members", {"username": contact, "partner": partner.id})
    await tx.commit()
    await file(
        program, "alice", "2026-12", date(2027, 1, 5), "deal client=Old amount=10000 kind=hosting"
    )
    await file(
        program,
        "alice",
        "2027-01",
        date(2027, 2, 5),
        "deal client=Foo amount=12000 kind=hosting",
        "prospect client=Bar amount=5000 close=2027-06",
    )
    program.clock.now = datetime(2027, 2, 2, 12, 0, tzinfo=UTC)
    assert (await program.say("maria", "/review acme-hosting pass")).status == "done"
    said = await program.say("maria", "/review bravo-tech warn the February report is late")
    assert said.status == "done", said.text
    await file(
        program,
        "bea",
        "2027-01",
        date(2027, 2, 8),
        "deal client=Svc amount=4000 kind=services",
        "deal client=Ref amount=1000 kind=hosting",
    )
    await file(
        program, "alice", "2027-02", date(2027, 3, 15), "deal client=Baz amount=2500 kind=premium"
    )
    await file(program, "alice", "2027-03", date(2027, 4, 5))
    program.clock.now = datetime(2027, 4, 20, 12, 0, tzinfo=UTC)
    return program


@pytest.fixture
async def program(store: Store) -> Program:
    return await example(store)


async def test_the_programs_quarter_as_computed_by_hand(program: Program) -> None:
    said = await program.say("maria", "/stats")  # the last closed quarter: 2027-Q1
    assert said.status == "done", said.text
    lines = said.text.splitlines()
    assert lines[0] == "*The program in 2027-Q1* (compared with 2026-Q4 and 2026-Q1)"
    assert lines[1:5] == [
        "• hosting: closed USD 14,500.00 (+45% vs previous quarter, new vs a year before), "
        "owed USD 5,600.00, pipeline USD 5,000.00",
        "• technology: closed USD 5,000.00 (new vs previous quarter, new vs a year before), "
        "owed USD 300.00, pipeline USD 0.00",
        "• value-added: closed USD 0.00 (= vs previous quarter, = vs a year before), "
        "owed USD 0.00, pipeline USD 0.00",
        "• *Total*: closed USD 19,500.00 (+95% vs previous quarter, new vs a year before), "
        "owed USD 5,900.00, pipeline USD 5,000.00",
    ]
    assert (
        "Top partners by closed sales: 1. Acme Hosting (`acme-hosting`) USD 14,500.00; "
        "2. Bravo Tech (`bravo-tech`) USD 5,000.00" in lines
    )
    assert (
        "Top partners by amount owed: 1. Acme Hosting (`acme-hosting`) USD 5,600.00; "
        "2. Bravo Tech (`bravo-tech`) USD 300.00" in lines
    )
    assert "Reports: on time 3, late 1, missing 7." in lines
    assert "Reviews: pass 1, warn 1, fail 0. Fees unpaid: 1. Training late: 2." in lines
    assert "Onboarding: applications 1, approved 1, made active 1, rejected 0." in lines
    assert lines[-1].startswith("Median from application to active: 0 days (per step: ")


async def test_the_chart_is_a_png_at_chat_size(program: Program) -> None:
    await program.say("maria", "/stats 2027-Q1")
    [(room, filename, description)] = program.chat.uploaded
    assert (room, filename) == ("dm-maria", "stats-2027-Q1.png")
    assert description == "The partner program in 2027-Q1, by partner type"
    image = program.chat.uploads[filename]
    assert image.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", image[16:24])  # the IHDR chunk
    assert (width, height) == (1200, 500)
    assert 10_000 < len(image) < 400_000


async def test_a_partner_sees_its_own_quarter_by_month_and_nobody_elses(program: Program) -> None:
    said = await program.say("alice", "/stats 2027-Q1")
    assert said.status == "done", said.text
    assert said.text.splitlines() == [
        "*Acme Hosting in 2027-Q1*: closed USD 14,500.00, owed USD 5,600.00, 2 deals.",
        "• 2027-01: 1 deal, closed USD 12,000.00, owed USD 3,600.00, pipeline USD 5,000.00 "
        "(filed on time)",
        "• 2027-02: 1 deal, closed USD 2,500.00, owed USD 2,000.00, pipeline USD 0.00 (filed late)",
        "• 2027-03: 0 deals, closed USD 0.00, owed USD 0.00, pipeline USD 0.00 (filed on time)",
        "Quarters before: 2026-Q4 closed USD 10,000.00, owed USD 3,000.00.",
        "Goals for 3 months: five workspaces",
        "Goals for 1 year: fifty workspaces",
    ]
    assert program.chat.uploaded[-1][:2] == ("dm-alice", "stats-acme-hosting-2027-Q1.png")
    for other in ("Bravo", "bravo", "4,000", "1,000.00", "300.00"):
        assert other not in said.text
    refused = await program.say("alice", "/stats bravo-tech 2027-Q1")
    assert (refused.status, refused.text) == (
        "refused",
        "There is no partner with the id `bravo-tech` that you can see.",
    )
    manager = await program.say("maria", "/stats bravo-tech 2027-Q1")
    assert manager.text.startswith("*Bravo Tech in 2027-Q1*: closed USD 5,000.00, owed USD 300.00")


@pytest.mark.parametrize(
    ("typed", "reply"),
    [
        ("2027-Q5", "`2027-Q5` is not a quarter: a year has the quarters Q1 to Q4"),
        ("2027-Q3", "2027-Q3 has not begun yet: the last closed quarter is 2027-Q1."),
        ("2026-Q3", "2026-Q3 is before the first contract was signed, on 2026-11-02."),
        ("Q1-2027", "`Q1-2027` is not a quarter: write it as YYYY-Qn, like 2027-Q1"),
    ],
)
async def test_a_quarter_it_cannot_show_gets_one_clear_reply(
    program: Program, typed: str, reply: str
) -> None:
    before = len(program.chat.uploaded)
    said = await program.say("maria", f"/stats {typed}")
    assert said.status == "refused"
    assert said.text.splitlines()[0] == reply or said.text.startswith(reply), said.text
    assert len(program.chat.uploaded) == before


async def test_the_quarter_so_far_says_so(program: Program) -> None:
    said = await program.say("maria", "/stats 2027-Q2")
    assert said.text.endswith("2027-Q2 is not over yet: these are the numbers so far.")


class Posted:
    """`Runner.post` for tests: commit, and keep what would be delivered."""

    def __init__(self) -> None:
        self.messages: list[Outgoing] = []

    async def __call__(self, tx: Transaction, messages: Sequence[Outgoing], now: datetime) -> None:
        await tx.commit()
        self.messages += messages


async def test_the_quarterly_summary_is_posted_once_across_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = await Store.open(data, SCHEMA)
    program = await example(store)
    assert summary_day(Quarter(2027, 1)) == date(2027, 4, 1)  # a Thursday
    assert summary_day(Quarter(2027, 2)) == date(2027, 7, 1)
    assert summary_day(Quarter(2026, 4)) == date(2027, 1, 1)
    assert summary_day(Quarter(2027, 3)) == date(2027, 10, 1)  # a Friday
    assert summary_day(Quarter(2028, 1)) == date(2028, 4, 3)  # April 1 is a Saturday
    moment = [datetime(2027, 4, 20, 9, 0, tzinfo=UTC)]
    posted, chat = Posted(), FakeChat()
    summary = QuarterlySummary(store, SETTINGS, lambda: moment[0], chat, posted)
    assert await summary.send_due()
    rooms = sorted(out.room_id for out in posted.messages)
    assert rooms == ["dm-joao", "dm-maria", "room-acme", "room-bravo", "room-carol", "room-delta"]
    texts = {out.room_id: out.text for out in posted.messages}
    assert texts["dm-maria"].startswith("*The program in 2027-Q1*")
    assert texts["room-acme"].startswith("*Acme Hosting in 2027-Q1*")
    assert "Acme" not in texts["room-bravo"]
    assert len(chat.uploaded) == 6
    assert await summary.send_due()  # the same day again: nothing more
    assert len(posted.messages) == 6
    await program.store.close()

    store = await Store.open(data, SCHEMA)  # a restart
    again, chat = Posted(), FakeChat()
    summary = QuarterlySummary(store, SETTINGS, lambda: moment[0], chat, again)
    assert await summary.send_due()
    assert (again.messages, chat.uploaded) == ([], [])
    await store.close()


async def test_no_summary_before_the_first_working_day(store: Store) -> None:
    await example(store)
    posted, chat = Posted(), FakeChat()
    moment = datetime(2027, 3, 31, 9, 0, tzinfo=UTC)  # Q1 not over: Q4's summary is due
    summary = QuarterlySummary(store, SETTINGS, lambda: moment, chat, posted)
    assert await summary.send_due()
    assert {out.text.splitlines()[0] for out in posted.messages} >= {
        "*The program in 2026-Q4* (compared with 2026-Q3 and 2025-Q4)"
    }
    assert not any("2027-Q1" in out.text.splitlines()[0] for out in posted.messages)


def test_a_partners_numbers_in_portuguese_and_spanish_use_their_money_and_months() -> None:
    """The rendering mechanics (the wording comes from the catalogs at the merge)."""
    acme = onboarded("acme-hosting", "Acme Hosting", "alice", date(2026, 11, 2), None)
    month = MonthFigures(
        "acme-hosting",
        Month(2027, 1),
        Figures(Decimal("12000.00"), Decimal("3600.00"), Decimal("5000.50")),
        1,
        1,
        {Month(2027, 6): Decimal("5000.50")},
        "on_time",
    )
    found = partner_stats(acme, Quarter(2027, 1), [month])
    with speaking("pt-BR"):
        text = render_partner(found)
        chart = partner_chart(found)
    assert "US$\xa012.000,00" in text and "US$\xa05.000,50" in text and "2027-06" in text
    assert chart.language == "pt-BR"
    with speaking("es"):
        assert "12.000,00\xa0US$" in render_partner(found)
    assert png(chart).startswith(PNG_SIGNATURE)


async def test_warming_parses_what_the_programs_stats_reads(program: Program) -> None:
    """After `figures.warm` (a start-up service), the program's /stats finds every partner
    and row parsed already: the same objects come back, and a replaced document is parsed
    afresh."""
    today = program.clock().date()
    await figures.warm(program.store, today)
    partners = await figures.facts(program.store)
    rows = await figures.rows_of(program.store, last_closed(today))
    assert partners and rows
    assert all(a is b for a, b in zip(partners, await figures.facts(program.store), strict=True))
    assert all(
        a is b
        for a, b in zip(rows, await figures.rows_of(program.store, last_closed(today)), strict=True)
    )
    doc = await program.store.get("partners", "acme-hosting")
    assert doc is not None
    tx = program.store.begin(actor="maria", now=program.clock())
    tx.put("partners", {**doc, "company": "Acme Renamed"})
    await tx.commit()
    again = {fact.id: fact for fact in await figures.facts(program.store)}
    assert again["acme-hosting"].company == "Acme Renamed"
    assert again["bravo-tech"] is next(fact for fact in partners if fact.id == "bravo-tech")
