"""/export reports through the real dispatcher, and file uploads through each transport:
the rows add up to each filed report, quarters, drafts left out, who may export, bad
periods; the Rocket.Chat transport against the emulator, and the console."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from chat.base import ChatError
from chat.clock import system_clock
from chat.console import Console
from chat.rest import Credentials, RestError
from chat.rocketchat import RocketChat
from commands.export import HEADER, Tally, csv_chunks, parse_period
from engine.framework import UsageError
from storage import SCHEMA, Store
from tests.emulator import RocketChatEmulator
from tests.program import SETTINGS, Program
from workflows.reporting import (
    DEFAULT_RATES,
    DealKind,
    Month,
    Report,
    add_deal,
    add_prospect,
    effective_rates,
    format_usd,
    money_doc,
    new_draft,
    parse_month,
    reopen,
    submit,
    submit_none,
    total,
)

FILED_AT = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)  # the Program's clock: 2026-11-26
# The worked example of workflows/reporting: closed USD 19,734.60, owed USD 5,970.39.
EXAMPLE = [
    ("Foo Hosting", "12000.05", "hosting"),
    ("Bar Corp", "1234.55", "referred"),
    ("Baz Ltd", "2500.00", "premium"),
    ("Qux", "4000.00", "services"),
]
Deals = Sequence[tuple[str, str, str]]


def make_report(
    partner: str,
    month: str,
    deals: Deals,
    *,
    rates: Mapping[DealKind, Decimal] = DEFAULT_RATES,
    filed: bool = True,
) -> Report:
    report = new_draft(partner, parse_month(month), rates)
    for client, amount, kind in deals:
        report = add_deal(report, client, Decimal(amount), DealKind(kind))
    report = add_prospect(
        report, "Northwind", Decimal("5000.00"), Month(2027, 1), None, FILED_AT, UTC
    )
    if filed:
        report = submit(report, f"{partner}-contact", FILED_AT, UTC, 10)
    return report


async def store_reports(store: Store, reports: Iterable[Report]) -> list[dict[str, Any]]:
    docs = [report.to_doc() for report in reports]
    tx = store.begin("test", FILED_AT)
    for doc in docs:
        tx.put("reports", doc)
    await tx.commit()
    return docs


def rows_of(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert text.startswith(",".join(HEADER) + "\r\n")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    """The managers' room is `ams`, where maria exports."""
    store = await Store.open(None, SCHEMA)
    program = Program(store, replace(SETTINGS, manager_room="ams"))
    program.chat.groups["ams"] = ("maria", "joao")
    yield program
    await store.close()


async def test_the_rows_add_up_to_each_filed_report(program: Program) -> None:
    globex_rates = effective_rates({DealKind.HOSTING: Decimal("25")})
    docs = await store_reports(
        program.store,
        [
            make_report("acme-hosting", "2026-09", EXAMPLE),
            make_report("acme-hosting", "2026-08", [("Older", "100.00", "hosting")]),
            make_report(
                "globex",
                "2026-09",
                [("Initech", "12000.05", "hosting"), ('Hooli, "Inc."', "999.99", "premium")],
                rates=globex_rates,
            ),
        ],
    )
    tx = program.store.begin("test", FILED_AT)
    tx.put("partners", {"id": "acme-hosting", "company": "Acme Hosting"})
    await tx.commit()
    said = await program.say("maria", "/export reports 2026-09", room="ams")
    assert said.status == "done", said.text
    assert program.chat.uploaded == [
        (
            "room-ams",
            "reports-2026-09.csv",
            "Filed sales reports for 2026-09: one row a deal, with the amount owed",
        ),
        (
            "room-ams",
            "prospects-2026-09.csv",
            "Prospective sales in the filed reports for 2026-09: one row a prospect",
        ),
    ]
    rows = rows_of(program.chat.uploads["reports-2026-09.csv"])
    assert [(row["partner"], row["client"]) for row in rows] == [
        ("acme-hosting", "Foo Hosting"),
        ("acme-hosting", "Bar Corp"),
        ("acme-hosting", "Baz Ltd"),
        ("acme-hosting", "Qux"),
        ("globex", "Initech"),
        ("globex", 'Hooli, "Inc."'),
    ]
    assert rows[0] == {
        "partner": "acme-hosting",
        "month": "2026-09",
        "client": "Foo Hosting",
        "kind": "hosting",
        "amount": "12000.05",
        "rate": "30%",
        "owed": "3600.02",
        "company": "Acme Hosting",
        "note": "",
        "referral": "",
    }
    assert rows[4]["company"] == ""  # a partner no longer stored
    prospects = list(
        csv.DictReader(io.StringIO(program.chat.uploads["prospects-2026-09.csv"].decode()))
    )
    assert prospects == [
        {
            "partner": partner,
            "month": "2026-09",
            "client": "Northwind",
            "amount": "5000.00",
            "close": "2027-01",
            "company": company,
            "note": "",
        }
        for partner, company in (("acme-hosting", "Acme Hosting"), ("globex", ""))
    ]
    assert [row["owed"] for row in rows] == [
        "3600.02",
        "370.37",
        "2000.00",
        "0.00",
        "3000.01",  # 12,000.05 at 25 %: 3,000.0125
        "799.99",
    ]
    assert [row["rate"] for row in rows[4:]] == ["25%", "80%"]
    filed = [doc for doc in docs if doc["month"] == "2026-09"]
    for doc in filed:
        mine = [row for row in rows if row["partner"] == doc["partner"]]
        assert money_doc(total(Decimal(row["amount"]) for row in mine)) == doc["closed_total"]
        assert money_doc(total(Decimal(row["owed"]) for row in mine)) == doc["owed"]
        assert [row["owed"] for row in mine] == [deal["owed"] for deal in doc["deals"]]
    closed = total(Decimal(doc["closed_total"]) for doc in filed)
    owed = total(Decimal(doc["owed"]) for doc in filed)
    assert (format_usd(closed), format_usd(owed)) == ("USD 32,734.64", "USD 9,770.39")
    assert said.text.splitlines() == [
        "Filed reports for 2026-09, in reports-2026-09.csv: 2 partners, 2 reports, 6 deals. "
        "Closed USD 32,734.64, owed USD 9,770.39. Prospects in prospects-2026-09.csv: "
        "2 prospects.",
        "Per partner:",
        "`acme-hosting` Acme Hosting: closed USD 19,734.60, owed USD 5,970.39, pipeline "
        "USD 5,000.00",
        "`globex` (partner not found): closed USD 13,000.04, owed USD 3,800.00, pipeline "
        "USD 5,000.00",
    ]


async def test_a_quarter_is_its_three_months(program: Program) -> None:
    await store_reports(
        program.store,
        [
            make_report("acme-hosting", month, [(f"Client {month}", "1000.00", "hosting")])
            for month in ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10")
        ]
        + [make_report("globex", "2026-08", [("Initech", "10.00", "premium")])],
    )
    said = await program.say("maria", "/export reports 2026-q3", room="ams")
    assert said.status == "done", said.text
    rows = rows_of(program.chat.uploads["reports-2026-Q3.csv"])
    assert [(row["partner"], row["month"]) for row in rows] == [
        ("acme-hosting", "2026-07"),
        ("acme-hosting", "2026-08"),
        ("acme-hosting", "2026-09"),
        ("globex", "2026-08"),
    ]
    assert said.text.splitlines()[0] == (
        "Filed reports for 2026-Q3 (2026-07 to 2026-09), in reports-2026-Q3.csv: "
        "2 partners, 4 reports, 4 deals. Closed USD 3,010.00, owed USD 908.00. "
        "Prospects in prospects-2026-Q3.csv: 4 prospects."
    )
    assert said.text.splitlines()[2:] == [
        "`acme-hosting` (partner not found): closed USD 3,000.00, owed USD 900.00, pipeline "
        "USD 15,000.00",
        "`globex` (partner not found): closed USD 10.00, owed USD 8.00, pipeline USD 5,000.00",
    ]


async def test_a_quarter_under_way_is_what_is_filed_so_far(program: Program) -> None:
    await store_reports(program.store, [make_report("acme", "2026-10", EXAMPLE[:1])])
    said = await program.say("maria", "/export reports 2026-Q4", room="ams")
    assert said.status == "done", said.text
    assert "2026-Q4 is not over yet: this is what is filed so far." in said.text
    assert len(rows_of(program.chat.uploads["reports-2026-Q4.csv"])) == 1


async def test_drafts_are_left_out(program: Program) -> None:
    reopened = reopen(make_report("globex", "2026-09", EXAMPLE), "maria", FILED_AT)
    await store_reports(
        program.store,
        [
            make_report("acme-hosting", "2026-09", EXAMPLE[:2]),
            make_report("initech", "2026-09", EXAMPLE, filed=False),
            reopened,  # a draft again, its filed version kept in `filed`
        ],
    )
    said = await program.say("maria", "/export reports 2026-09", room="ams")
    assert said.status == "done", said.text
    rows = rows_of(program.chat.uploads["reports-2026-09.csv"])
    assert {row["partner"] for row in rows} == {"acme-hosting"}
    assert "1 partner, 1 report, 2 deals" in said.text
    assert said.text.splitlines()[0].endswith("Left out: 2 drafts, not filed yet.")


async def test_no_filed_report_is_said_and_nothing_uploaded(program: Program) -> None:
    said = await program.say("maria", "/export reports 2026-09", room="ams")
    assert said.status == "done"
    assert said.text == "No report is filed for 2026-09, so there is nothing to export."
    await store_reports(program.store, [make_report("acme", "2026-09", EXAMPLE, filed=False)])
    said = await program.say("maria", "/export reports 2026-Q3", room="ams")
    assert said.text == (
        "No report is filed for 2026-Q3 (2026-07 to 2026-09), so there is nothing to export. "
        "Left out: 1 draft, not filed yet."
    )
    assert program.chat.uploads == {}


async def test_reports_of_no_sales_make_no_file(program: Program) -> None:
    none = submit_none(new_draft("acme", Month(2026, 9), DEFAULT_RATES), "al", FILED_AT, UTC, 10)
    await store_reports(program.store, [none])
    said = await program.say("maria", "/export reports 2026-09", room="ams")
    assert said.text == (
        "The 1 report filed for 2026-09 (1 partner) had no sales, so there is nothing to export."
    )
    assert program.chat.uploads == {}


async def test_only_account_managers_export(program: Program) -> None:
    await store_reports(program.store, [make_report("acme", "2026-09", EXAMPLE)])
    said = await program.say("alice", "/export reports 2026-09")
    assert said.status == "refused"
    assert said.text == "/export is for account managers only."
    assert program.chat.uploads == {}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/export reports 2026-Q5", "2026-Q5 is not a quarter: a year has quarters Q1 to Q4."),
        ("/export reports 2026-Q0", "2026-Q0 is not a quarter: a year has quarters Q1 to Q4."),
        ("/export reports 2026-13", "2026-13 is not a month: write the month as 01 to 12."),
        ("/export reports 2026-9", "2026-9 is not a month: write the month as 01 to 12."),
        (
            "/export reports september",
            "The period must be a month YYYY-MM or a quarter YYYY-Qn, e.g. 2026-09 or "
            "2026-Q3, not `september`.",
        ),
        (
            "/export reports",
            "The period, a month YYYY-MM or a quarter YYYY-Qn, e.g. 2026-09 or 2026-Q3, is "
            "missing.",
        ),
        ("/export", "What to export (reports) is missing."),
        ("/export partners 2026-09", "I can export reports, not `partners`."),
        ("/export reports 2026-09 now", "Unexpected `now`."),
        ("/export reports 2026-09 format=xlsx", "Unknown option format=."),
        (
            "/export reports 2026-11",
            "No report for 2026-11 can be filed yet: the report for 2026-11 opens on "
            "2026-12-01, once the month is over.",
        ),
        (
            "/export reports 2027-Q1",
            "No report for 2027-Q1 can be filed yet: the report for 2026-11 opens on "
            "2026-12-01, once the month is over.",
        ),
    ],
)
async def test_bad_periods_are_refused_with_the_reason(
    program: Program, text: str, reason: str
) -> None:
    said = await program.say("maria", text, room="ams")
    assert said.status == "refused"
    assert said.here == [
        f"{reason}\nUsage: `/export reports YYYY-MM|YYYY-Qn`\nExample: `/export reports 2026-Q3`"
    ]
    assert program.chat.uploads == {}


def test_periods() -> None:
    assert parse_period("2026-09").months == (Month(2026, 9),)
    q4 = parse_period(" 2026-q4 ")
    assert (q4.name, q4.months) == ("2026-Q4", (Month(2026, 10), Month(2026, 11), Month(2026, 12)))
    assert str(q4) == "2026-Q4 (2026-10 to 2026-12)"
    for bad in ("0000-Q1", "0000-01", "2026-Q", "2026Q1", "26-09", ""):
        with pytest.raises(UsageError):
            parse_period(bad)


async def test_deal_notes_and_prospects_only(program: Program) -> None:
    report = new_draft("acme", Month(2026, 9), DEFAULT_RATES)
    report = add_deal(report, "Foo", Decimal("10.00"), DealKind.HOSTING, "=cmd renewal")
    await store_reports(program.store, [submit(report, "al", FILED_AT, UTC, 10)])
    said = await program.say("maria", "/export reports 2026-09", room="ams")
    assert rows_of(program.chat.uploads["reports-2026-09.csv"])[0]["note"] == "'=cmd renewal"
    assert "prospects-2026-09.csv" not in program.chat.uploads  # none in the report
    assert "Prospects in" not in said.text
    prospects_only = add_prospect(
        new_draft("bravo", Month(2026, 8), DEFAULT_RATES),
        "Bar",
        Decimal("5000.00"),
        Month(2027, 1),
        "pilot",
        FILED_AT,
        UTC,
    )
    await store_reports(program.store, [submit(prospects_only, "bo", FILED_AT, UTC, 10)])
    said = await program.say("maria", "/export reports 2026-08", room="ams")
    assert said.status == "done", said.text
    assert "reports-2026-08.csv" not in program.chat.uploads
    assert said.text.splitlines()[0] == (
        "The filed reports for 2026-08 had no deals, so there is no reports-2026-08.csv. "
        "Prospects in prospects-2026-08.csv: 1 prospect."
    )
    assert (
        b"bravo,2026-08,Bar,5000.00,2027-01,,pilot" in program.chat.uploads["prospects-2026-08.csv"]
    )


async def test_a_client_that_looks_like_a_formula_stays_text(program: Program) -> None:
    deals = [
        ('=HYPERLINK("http://evil.example")', "10.00", "hosting"),
        ("-Dash", "10.00", "hosting"),
    ]
    await store_reports(program.store, [make_report("acme", "2026-09", deals)])
    said = await program.say("maria", "/export reports 2026-09", room="ams")
    assert said.status == "done", said.text
    rows = rows_of(program.chat.uploads["reports-2026-09.csv"])
    assert [row["client"] for row in rows] == ['\'=HYPERLINK("http://evil.example")', "'-Dash"]


async def test_an_upload_that_fails_is_said(
    program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store_reports(program.store, [make_report("acme", "2026-09", EXAMPLE)])

    async def refuse(room_id: str, filename: str, chunks: AsyncIterator[bytes], **_: str) -> None:
        async for _chunk in chunks:
            pass
        raise ChatError(f"I could not upload {filename}: File size exceeds allowed size")

    monkeypatch.setattr(program.chat, "upload", refuse)
    said = await program.say("maria", "/export reports 2026-09", room="ams")
    assert said.status == "refused"
    assert said.text == "I could not upload reports-2026-09.csv: File size exceeds allowed size."


async def test_the_file_comes_a_partner_a_chunk() -> None:
    store = await Store.open(None, SCHEMA)
    try:
        none = submit_none(
            new_draft("b-none", Month(2026, 9), DEFAULT_RATES), "b", FILED_AT, UTC, 10
        )
        await store_reports(
            store,
            [
                none,
                make_report("a-first", "2026-09", EXAMPLE[:2]),
                make_report("c-third", "2026-07", EXAMPLE[:1]),
                make_report("c-third", "2026-09", EXAMPLE[2:]),
                make_report("d-draft", "2026-09", EXAMPLE, filed=False),
            ],
        )
        tally = Tally()
        tx = store.begin("test", FILED_AT)
        chunks = [chunk async for chunk in csv_chunks(tx, [Month(2026, 7), Month(2026, 9)], tally)]
        assert tx.empty  # an export writes nothing
    finally:
        await store.close()
    assert [chunk.decode().count("\r\n") for chunk in chunks] == [3, 3]  # header + 2, 3 rows
    assert chunks[0].startswith(b"partner,month,")
    assert b"partner,month," not in chunks[1]
    assert (tally.partners, tally.reports, tally.deals, tally.drafts) == (3, 4, 5, 1)
    assert tally.complete


# -- the transports ------------------------------------------------------------------------


async def chunked(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


@pytest.fixture
async def emu() -> AsyncIterator[RocketChatEmulator]:
    async with RocketChatEmulator() as emulator:
        emulator.add_user("partnerbot", "pw", roles=("bot",))
        emulator.add_user("maria", "pw")
        emulator.add_room("partner-ams", "p", ["maria", "partnerbot"])
        emulator.add_room("elsewhere", "p", ["maria"])
        yield emulator


@pytest.fixture
async def chat(emu: RocketChatEmulator) -> AsyncIterator[RocketChat]:
    transport = RocketChat(
        emu.url,
        Credentials(user="partnerbot", password="pw"),
        system_clock,
        catchup=timedelta(hours=1),
    )
    await transport.connect()
    yield transport
    await transport.disconnect()


async def test_rocketchat_upload_posts_a_file_message(
    emu: RocketChatEmulator, chat: RocketChat
) -> None:
    room = emu.store.room("partner-ams")
    big = b"x" * 300_000 + b"\r\n"  # more than one write to the spool
    body = [b"partner,month\r\n", "acme-hosting,2026-09 ção\r\n".encode(), big]
    await chat.upload(room.id, "reports-2026-09.csv", chunked(*body), description="Filed reports")
    [upload] = emu.uploads("partner-ams")
    assert upload.data == b"".join(body)
    assert (upload.name, upload.content_type) == ("reports-2026-09.csv", "text/csv")
    assert upload.confirmed and upload.description == "Filed reports"
    [message] = [m for m in emu.messages("partner-ams") if m["u"]["username"] == "partnerbot"]
    assert message["_id"] == upload.message_id
    assert message["file"]["name"] == "reports-2026-09.csv"
    [attachment] = message["attachments"]
    assert attachment["title"] == "reports-2026-09.csv"
    assert attachment["description"] == "Filed reports"
    assert (emu.rest_calls("rooms.media"), emu.rest_calls("rooms.mediaConfirm")) == (1, 1)
    assert emu.rest_calls("rooms.upload") == 0


async def test_rocketchat_upload_waits_out_a_rate_limit(
    emu: RocketChatEmulator, chat: RocketChat
) -> None:
    emu.rate_limit("rooms.media", calls=1, reset_ms=50)
    await chat.upload(emu.store.room("partner-ams").id, "a.csv", chunked(b"a,b\r\n", b"1,2\r\n"))
    [upload] = emu.uploads("partner-ams")
    assert upload.data == b"a,b\r\n1,2\r\n"  # the retry sent the whole file again
    assert emu.rest_calls("rooms.media") == 2
    assert upload.description is None


async def test_rocketchat_upload_falls_back_to_rooms_upload(
    emu: RocketChatEmulator, chat: RocketChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = chat.rest.call

    async def without_rooms_media(method: str, *args: Any, **kwargs: Any) -> Any:
        if method == "rooms_media":  # an older server: no such route
            raise RestError("rooms.media: 404", status=404)
        return await call(method, *args, **kwargs)

    monkeypatch.setattr(chat.rest, "call", without_rooms_media)
    room = emu.store.room("partner-ams")
    await chat.upload(room.id, "reports-2026-Q3.csv", chunked(b"a\r\n"), description="Q3")
    [upload] = emu.uploads("partner-ams")
    assert (upload.data, upload.description, upload.confirmed) == (b"a\r\n", "Q3", True)
    assert emu.rest_calls("rooms.upload") == 1


async def test_rocketchat_upload_refused_is_a_chat_error(
    emu: RocketChatEmulator, chat: RocketChat
) -> None:
    with pytest.raises(ChatError, match=r"I could not upload x\.csv"):
        await chat.upload(emu.store.room("elsewhere").id, "x.csv", chunked(b"a\r\n"))
    assert emu.uploads() == []


def take(path: Path) -> bytes:
    """The file's bytes; the file and its folder are removed."""
    data = path.read_bytes()
    path.unlink()
    path.parent.rmdir()
    return data


async def test_console_upload_saves_the_file_and_says_where() -> None:
    out = io.StringIO()
    console = Console("maria", "ams", system_clock, stdin=io.StringIO(), stdout=out)
    chunks = chunked(b"a,", b"b\r\n")
    await console.upload("room-ams", "reports-2026-09.csv", chunks, description="Q3")
    said, description = out.getvalue().splitlines()
    prefix = "(partnerbot uploaded reports-2026-09.csv: "
    assert said.startswith(prefix) and said.endswith(")")
    path = Path(said.removeprefix(prefix)[:-1])
    assert path.name == "reports-2026-09.csv"
    assert path.parent.name.startswith("partnerbot-upload-")
    assert take(path) == b"a,b\r\n"
    assert description == "    Q3"
