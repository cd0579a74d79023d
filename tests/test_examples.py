"""The examples that help, usage replies and questions show are made from today (the
injected clock), so that none goes stale: two clocks show two sets, each of which works."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest

from commands.examples import last_month, last_quarter, month_ahead
from engine.registry import Registry
from storage import SCHEMA, Store
from tests.program import Program
from workflows.reporting import Month

APPLY = (
    '/onboard company="Acme Hosting" type=hosting website=https://acme.example '
    "email=partners@acme.example"
)
DATED = {
    "approve",
    "export",
    "fee",
    "report",
    "review",
    "stats",
}  # the commands with dated examples
A_DATE = re.compile(r"\b\d{4}(-\d{2}(-\d{2})?|-Q\d)?\b")


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = await Store.open(None, SCHEMA)
    yield opened
    await opened.close()


def test_the_example_dates() -> None:
    assert last_month(date(2027, 1, 1)) == Month(2026, 12)
    assert month_ahead(date(2026, 11, 30)) == Month(2027, 2)
    assert last_quarter(date(2026, 12, 2)) == ("2026-Q3", Month(2026, 9))
    assert last_quarter(date(2027, 1, 1)) == ("2026-Q4", Month(2026, 12))
    assert last_quarter(date(2027, 4, 1)) == ("2027-Q1", Month(2027, 3))


def test_dated_examples_follow_the_day_and_the_others_have_no_date() -> None:
    first, second = date(2026, 11, 26), date(2031, 6, 15)
    for command in Registry.discover():
        one, other = command.example_on(first), command.example_on(second)
        if command.name in DATED:
            assert one != other, command.name
            assert "2031" not in one and "2026" not in other, (one, other)
        else:
            assert one == other and not A_DATE.search(one), one


async def shown(program: Program, who: str, name: str) -> str:
    """The example `/help <name>` shows `who`."""
    said = await program.say(who, f"/help {name}")
    match = re.search(r"^Example: `(.*)`$", said.text, re.MULTILINE)
    assert match is not None, said.text
    return match.group(1)


@pytest.mark.parametrize(
    "start",
    [datetime(2026, 11, 26, 9, 0, tzinfo=UTC), datetime(2031, 12, 10, 9, 0, tzinfo=UTC)],
)
async def test_the_examples_shown_are_made_from_today_and_work(
    store: Store, start: datetime
) -> None:
    program = Program(store)
    program.clock.now = start
    today = start.date()
    await program.say("alice", APPLY)
    await program.say("maria", "/approve acme-hosting application")
    await program.say("maria", f"/approve acme-hosting meeting on={today}")
    await program.say("alice", "/goals 3m five hosted workspaces")
    await program.say("alice", "/goals 1y fifty hosted workspaces")
    await program.say("maria", "/approve acme-hosting goals")

    contract = await shown(program, "maria", "approve")  # signed today
    assert f"signed={today}" in contract
    signed = await program.say("maria", contract)
    assert signed.status == "done", signed.text

    program.clock.advance(days=45)  # the signing month's report is open
    today = program.clock.now.date()
    asked = await program.say("alice", "/report")
    assert "first closed deal" in asked.text, asked.text
    prospects = await program.say("alice", "done")
    match = re.search(r"like `([^`]*)`", prospects.text)
    assert match is not None, prospects.text
    assert f"close={Month.of(today).plus(3)}" in match.group(1)
    prospect = await program.say("alice", match.group(1))
    assert prospect.status == "done", prospect.text
    await program.say("alice", "done")
    await program.say("alice", "no")  # not filed yet

    deal = await shown(program, "alice", "report")
    assert deal.startswith(f"/report {Month.of(today).previous()} deal ")
    added = await program.say("alice", deal)
    assert added.status == "done", added.text

    fee = await shown(program, "maria", "fee")
    assert fee == f"/fee acme-hosting paid {today.year}"
    paid = await program.say("maria", fee)
    assert paid.status == "done", paid.text

    export = await shown(program, "maria", "export")
    quarter = last_quarter(today)[0]
    assert export == f"/export reports {quarter}"
    exported = await program.say("maria", export)
    assert exported.status == "done", exported.text

    review = await shown(program, "maria", "review")  # a month whose report is overdue
    assert f"the report for {Month.of(today).plus(-2)} was late" in review

    # a refusal's usage reply shows the same examples, and the hints of a wrong month,
    # year or period give today's too
    wrong = await program.say("maria", "/export reports september")
    assert f"e.g. {last_quarter(today)[1]} or {quarter}" in wrong.text
    assert wrong.text.endswith(f"Example: `{export}`")
    month = await program.say("alice", "/report 2026-13")
    assert f"e.g. {Month.of(today).previous()}" in month.text
    year = await program.say("maria", "/fee acme-hosting paid 20x7")
    assert f"e.g. {today.year}" in year.text
    day = await program.say("maria", "/approve acme-hosting training on=yesterday")
    assert f"e.g. {today}" in day.text
