"""/report <id> YYYY-MM history through the real dispatcher: each filing of a report and
what changed after a reopen; for account managers; misuse refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.program import Program
from tests.test_report_commands import program  # noqa: F401  (the fixture)


async def test_each_filing_and_what_changed(program: Program) -> None:  # noqa: F811
    for text in [
        "/report 2026-09 deal client=Foo amount=12000 kind=hosting",
        "/report 2026-09 prospect client=Bar amount=5000 close=2026-12",
        "/report 2026-09 submit",
    ]:
        assert (await program.say("alice", text)).status == "done", text
    never = await program.say("maria", "/report acme-hosting 2026-10 history")
    assert never.status == "refused" and "no report for 2026-10" in never.text
    program.clock.now = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)
    assert (await program.say("maria", "/report acme-hosting 2026-09 reopen")).status == "done"
    for text in [
        "/report 2026-09 remove 2",
        '/report 2026-09 deal client=Baz amount=1000 kind=services note="training days"',
    ]:
        assert (await program.say("alice", text)).status == "done", text
    draft = await program.say("joao", "/report acme-hosting 2026-09 history")
    assert draft.status == "done", draft.text
    assert draft.text.splitlines() == [
        "*Report for 2026-09* of Acme Hosting (`acme-hosting`): its filings, oldest first.",
        "1. Filed 2026-10-05 12:00 by @alice, on time: closed USD 12,000.00, owed "
        "USD 3,600.00, pipeline USD 5,000.00.",
        "  Reopened 2026-10-12 09:00 by @maria.",
        "Now: open for correction, not filed again yet (closed USD 13,000.00, owed "
        "USD 3,600.00, pipeline USD 0.00).",
        "  Changed: removed prospect Bar: USD 5,000.00, closing 2026-12; added deal Baz: "
        "USD 1,000.00, services (training days).",
    ]
    assert (await program.say("alice", "/report 2026-09 submit")).status == "done"
    filed = (await program.say("maria", "/report acme-hosting 2026-09 history")).text
    assert "2. Filed 2026-10-12 09:00 by @alice, on time: closed USD 13,000.00" in filed
    assert filed.endswith("added deal Baz: USD 1,000.00, services (training days).")


@pytest.mark.parametrize(
    ("who", "text", "problem"),
    [
        ("maria", "/report acme-hosting history", "say which month"),
        ("maria", "/report acme-hosting 2026-13 history", "written YYYY-MM"),
        ("maria", "/report acme-hosting 2026-09 history now", "unexpected `now`"),
        ("maria", "/report nobody 2026-09 history", "no partner with the id `nobody`"),
        ("maria", "/report acme-hosting 2026-08 history", "no report for 2026-08"),
        ("alice", "/report 2026-09 history", "only an account manager"),
        ("alice", "/report bravo-cloud 2026-09 history", "`bravo-cloud` is not one of"),
        ("eve", "/report acme-hosting 2026-09 history", "for account managers and partners"),
    ],
)
async def test_misuse_is_refused(
    program: Program,  # noqa: F811
    who: str,
    text: str,
    problem: str,
) -> None:
    assert (await program.say("alice", "/report 2026-09 none")).status == "done"
    before = await program.snapshot()
    said = await program.say(who, text)
    assert said.status == "refused", said.text
    assert problem.lower() in said.text.lower()
    assert len(said.here) == 1 and not said.elsewhere
    assert await program.snapshot() == before
