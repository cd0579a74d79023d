"""/report and /terms through the real dispatcher: the worked example of
workflows/reporting, the conversation form, months, input errors, reopen, permissions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands import report as report_command
from commands.report import filed_months
from storage import SCHEMA, Store
from tests.program import Program
from workflows.reporting import Month

APPLY = (
    '/onboard company="Acme Hosting" type=hosting website=https://acme.example '
    "email=partners@acme.example"
)
EXAMPLE = [
    '/report 2026-09 deal client="Foo Hosting" amount=12000.05 kind=hosting',
    '/report 2026-09 deal client="Bar Corp" amount="$1,234.55" kind=referred ref=R-1',
    '/report 2026-09 deal client="Baz Ltd" amount="USD 2,500" kind=premium',
    "/report 2026-09 deal client=Qux amount=4000 kind=services",
    "/report 2026-09 prospect client=Northwind amount=5000 close=2026-12",
    "/report 2026-09 prospect client=Contoso amount=20000.50 close=2027-03",
]


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    """Acme Hosting, signed on 2026-09-01; the clock on 2026-10-05, when 2026-09 is open."""
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    program.clock.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    day = "2026-09-01"
    for who, text in [
        ("alice", APPLY),
        ("maria", "/approve acme-hosting application"),
        ("maria", f"/approve acme-hosting meeting on={day}"),
        ("alice", "/goals 3m five hosted workspaces"),
        ("alice", "/goals 1y fifty hosted workspaces"),
        ("maria", "/approve acme-hosting goals"),
        ("maria", f"/approve acme-hosting contract signed={day} support=yes fee=paid"),
        ("maria", "/certify acme-hosting private-cloud-hosting"),
        ("maria", "/refer client=Bar country=BR language=pt need=hosting"),
        ("maria", "/refer R-1 offer acme-hosting"),
        ("alice", "/referrals R-1 accept"),
    ]:
        assert (await program.say(who, text)).status == "done", text
    program.clock.now = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
    yield program
    await store.close()


async def test_the_worked_example(program: Program) -> None:
    for text in EXAMPLE:
        said = await program.say("alice", text)
        assert said.status == "done", said.text
    draft = await program.say("alice", "/report")
    assert "1. Foo Hosting: USD 12,000.05, hosting at 30%, owed USD 3,600.02" in draft.text
    filed = await program.say("alice", "/report 2026-09 submit")
    assert (
        "Closed total USD 19,734.60, owed to the vendor USD 5,970.39, pipeline total "
        "USD 25,000.50" in filed.text
    )
    assert "on time" in filed.text
    assert "USD 5,970.39" in filed.elsewhere["dm-maria"][0]  # the manager is told
    doc = await program.store.get("reports", "acme-hosting", "2026-09")
    assert doc is not None
    assert (doc["state"], doc["closed_total"], doc["owed"], doc["pipeline_total"]) == (
        "submitted",
        "19734.60",
        "5970.39",
        "25000.50",
    )
    locked = await program.say("alice", EXAMPLE[0])
    assert locked.status == "refused"


async def test_the_conversation_form(program: Program) -> None:
    first = await program.say("alice", "/report", room="partner-acme-hosting")
    assert "first closed deal" in first.text
    await program.say(
        "alice", 'client="Foo Hosting" amount=12000.05 kind=hosting', room="partner-acme-hosting"
    )
    bad = await program.say(
        "alice", "client=Bar amount=-5 kind=hosting", room="partner-acme-hosting"
    )
    assert bad.status == "refused" and "negative" in bad.text.lower()
    asks = await program.say("alice", "done", room="partner-acme-hosting")
    assert "prospective sale" in asks.text
    await program.say(
        "alice", "client=Northwind amount=5000 close=2026-12", room="partner-acme-hosting"
    )
    confirm = await program.say("alice", "done", room="partner-acme-hosting")
    assert "File the report for 2026-09 now?" in confirm.text
    filed = await program.say("alice", "yes", room="partner-acme-hosting")
    assert "owed to the vendor USD 3,600.02" in filed.text
    doc = await program.store.get("reports", "acme-hosting", "2026-09")
    assert doc is not None and doc["state"] == "submitted"


async def test_cancel_in_the_conversation_says_what_the_draft_keeps(program: Program) -> None:
    """Each answer is stored as it comes: `cancel` ends the conversation and says what the
    draft keeps, instead of claiming that nothing was stored."""
    room = "partner-acme-hosting"
    await program.say("alice", "/report", room=room)
    stopped = await program.say("alice", "cancel", room=room)
    assert stopped.text == "Stopped; nothing was added to the draft of 2026-09."
    await program.say("alice", "/report", room=room)
    await program.say("alice", "client=Foo amount=12000 kind=hosting", room=room)
    await program.say("alice", "client=Bar amount=-1 kind=hosting", room=room)  # refused
    await program.say("alice", "done", room=room)
    await program.say("alice", "client=Northwind amount=5000 close=2026-12", room=room)
    stopped = await program.say("alice", "Cancel", room=room)
    assert stopped.status == "done"
    assert stopped.text == (
        "Stopped, not filed: the draft of 2026-09 keeps the 1 deal and 1 prospect you added; "
        "`/report 2026-09` shows it and `/report 2026-09 submit` files it."
    )
    doc = await program.store.get("reports", "acme-hosting", "2026-09")
    assert doc is not None and doc["state"] == "draft"
    assert [deal["client"] for deal in doc["deals"]] == ["Foo"]
    assert [prospect["client"] for prospect in doc["prospects"]] == ["Northwind"]
    assert await program.store.get("conversations", "room-" + room, "alice") is None


def test_cancel_in_a_conversation_stored_before_the_entries_were_counted() -> None:
    assert report_command.cancelled({"month": "2026-09", "asking": "deals"}) == (
        "Stopped, not filed: the draft of 2026-09 keeps what you added; "
        "`/report 2026-09` shows it and `/report 2026-09 submit` files it."
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("/report 2026-11", "future"),
        ("/report 2026-08", "contract was signed"),
        ("/report 2026-10", "opens on 2026-11-01"),
        ("/report 2026-09 deal client=X amount=1e5 kind=hosting", "exponent"),
        ("/report 2026-09 deal client=X amount=12.000,50 kind=hosting", ""),
        ("/report 2026-09 deal client=X amount=100 kind=lunch", "one of hosting"),
        ("/report 2026-09 deal client=X amount=EUR 100 kind=hosting", ""),
        ("/report 2026-09 deal amount=100 kind=hosting", "client"),
        ("/report 2026-09 prospect client=X amount=100 close=2026-01", "past"),
        ("/report 2026-09 remove 3", ""),
        ("/report 2026-09 submit", "no entries"),
        ("/report 2026-09 frobnicate", "frobnicate"),
    ],
)
async def test_bad_input_is_refused_and_stores_nothing(
    program: Program, text: str, problem: str
) -> None:
    said = await program.say("alice", text)
    assert said.status == "refused", said.text
    assert problem.lower() in said.text.lower()
    assert await program.store.get("reports", "acme-hosting", "2026-09") is None


async def test_no_sales_and_a_managers_reopen(program: Program) -> None:
    assert "no sales" in (await program.say("alice", "/report none")).text.lower()
    refused = await program.say("alice", "/report acme-hosting 2026-09 reopen")
    assert refused.status == "refused"
    reopened = await program.say("maria", "/report acme-hosting 2026-09 reopen")
    assert reopened.status == "done", reopened.text
    doc = await program.store.get("reports", "acme-hosting", "2026-09")
    assert doc is not None and doc["state"] == "draft" and len(doc["filed"]) == 1
    shown = await program.say("maria", "/report acme-hosting 2026-09")
    assert "2026-09" in shown.text


async def test_a_report_filed_again_after_its_due_day_says_when_it_was_first_filed(
    program: Program,
) -> None:
    """Lateness is the first filing's date against the due day; filed again after a reopen,
    past the due day, the report says both dates instead of just "filed on time"."""
    await program.say("alice", "/report 2026-09 deal client=Foo amount=100 kind=hosting")
    assert "filed on time on 2026-10-05" in (await program.say("alice", "/report submit")).text
    program.clock.now = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)  # due on 2026-10-10
    assert (await program.say("maria", "/report acme-hosting 2026-09 reopen")).status == "done"
    refiled = await program.say("alice", "/report 2026-09 submit")
    words = (
        "first filed on time on 2026-10-05 by @alice, filed again on 2026-10-20 by @alice "
        "after a reopen"
    )
    assert f"Filed. Report for 2026-09 of `acme-hosting`: {words}." in refiled.text
    assert words in refiled.elsewhere["dm-maria"][0]
    assert words in (await program.say("maria", "/report acme-hosting 2026-09")).text
    doc = await program.store.get("reports", "acme-hosting", "2026-09")
    assert doc is not None
    assert (doc["on_time"], doc["first_submitted_at"], doc["submitted_at"]) == (
        True,
        "2026-10-05T12:00:00+00:00",
        "2026-10-20T12:00:00+00:00",
    )


async def test_reopen_needs_the_month(program: Program) -> None:
    """Which filed report to unlock is never guessed: without the month the manager gets the
    usage and every report stays filed."""
    assert (await program.say("alice", "/report 2026-09 none")).status == "done"
    program.clock.now = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    assert (await program.say("alice", "/report 2026-10 none")).status == "done"
    before = [doc async for doc in program.store.scan("reports")]
    said = await program.say("maria", "/report acme-hosting reopen")
    assert said.status == "refused"
    assert said.text.startswith(
        "Say which month to reopen: `/report acme-hosting YYYY-MM reopen`.\nUsage: `/report "
    )
    assert not said.elsewhere
    assert [doc async for doc in program.store.scan("reports")] == before
    assert all(doc["state"] == "submitted" for doc in before)
    refused = await program.say("alice", "/report reopen")  # a partner: not theirs to do
    assert refused.status == "refused" and "Only an account manager" in refused.text


async def test_terms_change_the_rates_of_drafts_not_of_filed_reports(program: Program) -> None:
    await program.say("alice", EXAMPLE[0])
    await program.say("alice", "/report submit")
    terms = await program.say("maria", "/terms acme-hosting hosting=25")
    assert "hosting 25%" in terms.text
    assert (await program.say("alice", "/terms acme-hosting hosting=5")).status == "refused"
    doc = await program.store.get("reports", "acme-hosting", "2026-09")
    assert doc is not None and doc["owed"] == "3600.02"
    program.clock.now = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    await program.say("alice", EXAMPLE[0].replace("2026-09", "2026-10"))
    filed = await program.say("alice", "/report 2026-10 submit")
    assert "owed to the vendor USD 3,000.01" in filed.text


async def test_a_filed_report_keeps_its_rates_through_a_reopen(program: Program) -> None:
    """Issue 10: filed at hosting 30 % (USD 12,000.00 owes USD 3,600.00), then `/terms`
    hosting=25 and a reopen: the draft, the re-filed report and the CSV keep 30 % for that
    deal; only the deal added after the change owes 25 %, and the replies say which is which."""
    await program.say("alice", "/report 2026-09 deal client=Foo amount=12000 kind=hosting")
    filed = await program.say("alice", "/report 2026-09 submit")
    assert "owed to the vendor USD 3,600.00" in filed.text
    assert "Rates: hosting 30% (deal 1)." in filed.text
    assert (await program.say("maria", "/terms acme-hosting hosting=25")).status == "done"
    assert (await program.say("maria", "/report acme-hosting 2026-09 reopen")).status == "done"
    shown = await program.say("alice", "/report 2026-09")
    assert (
        "1. Foo: USD 12,000.00, hosting at 30%, kept from its first filing (new deals: 25%), "
        "owed USD 3,600.00" in shown.text
    )
    added = await program.say("alice", "/report 2026-09 deal client=Bar amount=1000 kind=hosting")
    assert "2. Bar: USD 1,000.00, hosting at 25%, owed USD 250.00" in added.text
    refiled = await program.say("alice", "/report 2026-09 submit")
    assert refiled.status == "done", refiled.text
    assert "owed to the vendor USD 3,850.00" in refiled.text
    assert "Rates: hosting 30% (deal 1, kept from its first filing), hosting 25% (deal 2)." in (
        refiled.text
    )
    assert "Rates: hosting 30% (deal 1, kept" in refiled.elsewhere["dm-maria"][0]
    doc = await program.store.get("reports", "acme-hosting", "2026-09")
    assert doc is not None
    assert [(deal["rate"], deal["owed"]) for deal in doc["deals"]] == [
        ("30", "3600.00"),
        ("25", "250.00"),
    ]
    assert (await program.say("maria", "/export reports 2026-09")).status == "done"
    csv = program.chat.uploads["reports-2026-09.csv"].decode().splitlines()
    assert csv[1:] == [
        "acme-hosting,2026-09,Foo,hosting,12000.00,30%,3600.00,Acme Hosting,,",
        "acme-hosting,2026-09,Bar,hosting,1000.00,25%,250.00,Acme Hosting,,",
    ]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=60))
async def test_random_text_after_report_stores_nothing_it_refused(
    program: Program, text: str
) -> None:
    before = await program.store.get("reports", "acme-hosting", "2026-09")
    said = await program.say("alice", f"/report 2026-09 {text}")
    after = await program.store.get("reports", "acme-hosting", "2026-09")
    if said.status == "refused":
        assert after == before


async def test_filing_keeps_the_index_of_filed_months(program: Program) -> None:
    """The reminders and /partners read the filed months from `filings`, every one, kept
    with each filing; data from before the index, or from when it kept only the last 12
    months, gets it from its reports at the next filing."""
    assert await program.store.get("filings", "acme-hosting") is None
    await program.say("alice", "/report 2026-09 deal client=Foo amount=100 kind=hosting")
    assert await program.store.get("filings", "acme-hosting") is None  # a draft is not filed
    assert (await program.say("alice", "/report 2026-09 submit")).status == "done"
    index = await program.store.get("filings", "acme-hosting")
    assert index == {"partner": "acme-hosting", "months": ["2026-09"], "complete": True}
    assert (await program.say("maria", "/report acme-hosting 2026-09 reopen")).status == "done"
    assert await program.store.get("filings", "acme-hosting") == index  # still filed
    tx = program.store.begin(actor="test", now=program.clock())
    tx.delete("filings", "acme-hosting")  # as in data from before the index
    await tx.commit()
    program.clock.now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert (await program.say("alice", "/report 2026-10 none")).status == "done"
    index = await program.store.get("filings", "acme-hosting")
    assert index == {
        "partner": "acme-hosting",
        "months": ["2026-09", "2026-10"],
        "complete": True,
    }
    # an index as kept before: the last 12 months only, here a wrong one of 12 months
    wrong = [str(Month(2025, 1).plus(n)) for n in range(12)]
    tx = program.store.begin(actor="test", now=program.clock())
    tx.put("filings", {"partner": "acme-hosting", "months": wrong})
    await tx.commit()
    assert await filed_months(program.store, "acme-hosting") == {Month(2026, 9), Month(2026, 10)}
    tx = program.store.begin(actor="test", now=program.clock())
    tx.put("filings", {"partner": "acme-hosting", "months": wrong[:11]})  # none left out
    await tx.commit()
    assert len(await filed_months(program.store, "acme-hosting")) == 11


async def test_a_wrong_amount_shows_the_usage(program: Program) -> None:
    said = await program.say("alice", "/report 2026-09 deal client=X amount=lots kind=hosting")
    assert said.status == "refused"
    assert said.text.startswith("Amount must be") or said.text.startswith("amount=")
    assert "Usage: `/report " in said.text and "Example: `/report " in said.text
    late = await program.say("alice", "/report 2026-10")
    assert "Usage:" not in late.text  # a rule of the program, not a typing error


async def test_a_month_written_another_way_is_refused_with_how_to_write_it(
    program: Program,
) -> None:
    for typed in ("09/2026", "2026/09", "9-2026"):
        said = await program.say("alice", f"/report {typed}")
        assert said.status == "refused", typed
        assert said.text.startswith("Write the month as 2026-09."), said.text
    odd = await program.say("alice", "/report frobnicate")
    assert "reopen" not in odd.text and "history" not in odd.text
    assert "`frobnicate` is not one of deal, none, prospect, remove, submit" in odd.text
    manager = await program.say("maria", "/report acme-hosting 2026-09 frobnicate")
    assert "`frobnicate` is not one of history, reopen" in manager.text


async def test_adding_and_removing_answer_with_the_entry_and_the_totals(
    program: Program,
) -> None:
    added = await program.say(
        "alice", '/report 2026-09 deal client="Foo Corp" amount=12000 kind=hosting'
    )
    assert added.text.startswith("Added to the draft of 2026-09: 1. Foo Corp: USD 12,000.00")
    assert "Closed total USD 12,000.00" in added.text
    assert "Deals closed:" not in added.text
    prospect = await program.say(
        "alice", "/report 2026-09 prospect client=Bar amount=5000 close=2026-12"
    )
    assert prospect.text.startswith("Added to the draft of 2026-09: 2. Bar: USD 5,000.00")
    removed = await program.say("alice", "/report 2026-09 remove 1")
    assert removed.text.startswith("Removed the deal 1. Foo Corp: USD 12,000.00")
    assert "Closed total USD 0.00" in removed.text
    last = await program.say("alice", "/report 2026-09 remove 1")
    assert last.text.startswith("Removed the prospect 1. Bar")
    assert "The draft of 2026-09 has no entries now." in last.text


async def test_a_manager_looking_at_a_draft_is_not_told_to_file_it(program: Program) -> None:
    await program.say("alice", '/report 2026-09 deal client="Foo Corp" amount=12000 kind=hosting')
    seen = await program.say("maria", "/report acme-hosting 2026-09")
    assert "Foo Corp" in seen.text
    assert "submit" not in seen.text and "Add more" not in seen.text
    empty = await program.say("maria", "/report acme-hosting 2026-08")
    assert "submit" not in empty.text and "Add a closed deal" not in empty.text


async def test_the_managers_hear_who_filed_without_repeating_it(program: Program) -> None:
    await program.say("alice", '/report 2026-09 deal client="Foo Corp" amount=12000 kind=hosting')
    filed = await program.say("alice", "/report 2026-09 submit")
    [notice] = filed.elsewhere["dm-maria"]
    assert notice.startswith(
        "Report for 2026-09 of Acme Hosting (`acme-hosting`): "
        "filed on time on 2026-10-05 by @alice."
    )


async def test_a_managers_status_and_report_in_a_workgroup_are_of_its_partner(
    program: Program,
) -> None:
    room = "partner-acme-hosting"
    await program.say("alice", '/report 2026-09 deal client="Foo Corp" amount=12000 kind=hosting')
    # A manager's answers go to their DM outside the managers' room (issue 12).
    status = await program.say("maria", "/status", room=room)
    assert status.status == "done" and "Acme Hosting" in status.elsewhere["dm-maria"][0]
    seen = await program.say("maria", "/report 2026-09", room=room)
    [draft] = seen.elsewhere["dm-maria"]
    assert seen.status == "done" and "Foo Corp" in draft and "submit" not in draft
    elsewhere = await program.say("maria", "/status")
    assert elsewhere.status == "refused" and "Name the partner" in elsewhere.text
    other = await program.say("maria", "/status", room="lobby")
    assert other.status == "refused"
