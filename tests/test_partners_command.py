"""/partners through the real dispatcher: each line says everything a partner is late with,
`/partners late` lists only those, and reports never filed stay visible however old (in
/status and /review too)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from storage import SCHEMA, Store
from tests.program import Program

APPLY = (
    '/onboard company="{company}" type=hosting website=https://{id}.example '
    "email=partners@{id}.example"
)


def apply(company: str) -> str:
    return APPLY.format(company=company, id=company.lower().replace(" ", "-"))


# alice's Acme Hosting, maria's, signed on 2026-08-15 with the fee unpaid (the clock there).
ACME_SIGNED = [
    ("alice", apply("Acme Hosting")),
    ("maria", "/approve acme-hosting application"),
    ("maria", "/approve acme-hosting meeting on=2026-08-15"),
    ("alice", "/goals 3m five hosted workspaces"),
    ("alice", "/goals 1y fifty hosted workspaces"),
    ("maria", "/approve acme-hosting goals"),
    ("maria", "/approve acme-hosting contract signed=2026-08-15 support=yes fee=unpaid"),
]


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    """Acme Hosting signed on 2026-08-15 with the fee unpaid, that then did nothing but
    send its listing on 2026-11-29; Bravo Cloud applying on 2026-12-01; Cargo Net onboarding
    with its goals waiting since 2026-11-20. The clock on 2026-12-02."""
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    program.clock.now = datetime(2026, 8, 15, 9, 0, tzinfo=UTC)
    await program.say_all(ACME_SIGNED)
    program.clock.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    for who, text in [
        ("carla", apply("Cargo Net")),
        ("maria", "/approve cargo-net application"),
        ("carla", "/goals 3m five"),
        ("carla", "/goals 1y fifty"),
    ]:
        assert (await program.say(who, text)).status == "done", text
    program.clock.now = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    assert (await program.say("alice", "/listing https://acme.example/partners")).status == "done"
    program.clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert (await program.say("bob", apply("Bravo Cloud"))).status == "done"
    program.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    yield program
    await store.close()


async def test_each_line_says_everything_late(program: Program) -> None:
    said = await program.say("maria", "/partners")
    assert said.status == "done", said.text
    assert said.here == [
        "\n".join(
            [
                "`acme-hosting` Acme Hosting, hosting, active, next: listing; late: 3 reports "
                "not filed (2026-08 to 2026-10); review of 2026-11-15 not recorded; fee 2026 "
                "unpaid (due 2026-08-15); training not done (due 2026-10-14); listing waiting "
                "3 days for approval",
                "`bravo-cloud` Bravo Cloud, hosting, applicant, next: application",
                "`cargo-net` Cargo Net, hosting, onboarding, next: meeting; late: goals "
                "waiting 12 days for approval",
            ]
        )
    ]


async def test_partners_late_lists_only_the_partners_late_with_something(
    program: Program,
) -> None:
    late = await program.say("maria", "/partners LATE")
    assert late.status == "done", late.text
    lines = late.text.splitlines()
    assert [line.split()[0] for line in lines] == ["`acme-hosting`", "`cargo-net`"]
    # filed, reviewed, paid, trained and approved: acme drops out
    program.clock.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # the review's week
    assert (await program.say("maria", "/review acme-hosting pass all fine")).status == "done"
    program.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    for who, text in [
        ("alice", "/report 2026-08 none"),
        ("alice", "/report 2026-09 none"),
        ("alice", "/report 2026-10 deal client=Foo amount=100 kind=hosting"),
        ("alice", "/report 2026-10 submit"),
        ("maria", "/fee acme-hosting paid"),
        ("maria", "/approve acme-hosting training on=2026-12-01"),
        ("maria", "/approve acme-hosting listing"),
        ("maria", "/approve cargo-net goals"),
    ]:
        assert (await program.say(who, text)).status == "done", text
    assert (await program.say("maria", "/partners late")).text == (
        "No partner is late with anything."
    )
    line = (await program.say("maria", "/partners active")).text
    assert line == "`acme-hosting` Acme Hosting, hosting, active, next: all done"
    # a report reopened for correction was filed: it is not late
    assert (await program.say("maria", "/report acme-hosting 2026-09 reopen")).status == "done"
    assert (await program.say("maria", "/partners late")).text == (
        "No partner is late with anything."
    )


async def test_removed_partners_leave_the_list_but_for_partners_removed(
    program: Program,
) -> None:
    removed = await program.say("maria", "/remove cargo-net no longer interested")
    assert removed.status == "done", removed.text
    for text in ("/partners", "/partners hosting", "/partners late", "/partners onboarding"):
        said = await program.say("maria", text)
        assert "cargo-net" not in said.text, text
    assert "`acme-hosting`" in (await program.say("maria", "/partners")).text
    listed = await program.say("maria", "/partners removed")
    assert listed.status == "done", listed.text
    assert listed.text == "`cargo-net` Cargo Net, hosting, removed, next: meeting"
    assert (await program.say("alice", "/partners removed")).status == "refused"


async def test_partners_removed_says_when_there_are_none(program: Program) -> None:
    said = await program.say("maria", "/partners removed")
    assert said.status == "done"
    assert said.text == "No partners that are removed."


async def test_partners_refuses_an_unknown_filter(program: Program) -> None:
    said = await program.say("maria", "/partners overdue")
    assert said.status == "refused"
    assert "`overdue` is neither a status" in said.text and "nor late" in said.text
    assert "Usage: `/partners [status or type | late]`" in said.text


async def test_reports_never_filed_stay_visible_however_old(program: Program) -> None:
    """A year on, nothing filed: /status and /review show every month from August 2026 as
    never filed, not only the last three."""
    program.clock.now = datetime(2027, 8, 20, 12, 0, tzinfo=UTC)
    status = (await program.say("alice", "/status")).text
    assert (
        "Monthly reports: 2027-07: not filed (due 2027-08-10); 2027-06: not filed "
        "(due 2027-07-10); 2027-05: not filed (due 2027-06-10). Older reports never filed: "
        "2026-08 to 2027-04 (9 months)." in status
    )
    assert (await program.say("alice", "/report 2026-12 none")).status == "done"
    status = (await program.say("alice", "/status")).text
    assert "Older reports never filed: 2026-08 to 2026-11, 2027-01 to 2027-04 (8 months)." in (
        status
    )
    review = (await program.say("maria", "/review acme-hosting")).text
    assert "❌ Report 2027-05: not filed (due 2027-06-10).\n❌ Older reports never filed: " in (
        review
    )
    late = (await program.say("maria", "/partners late")).text
    assert "late: 11 reports not filed (2026-08 to 2026-11, 2027-01 to 2027-07)" in late
