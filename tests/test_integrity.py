"""`bot.py import` checks what it loads (`commands.integrity`): an export the bot wrote
passes; a document its readers do not read, or references that do not hold, are refused
with one line naming the document and the field, and nothing is written."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from commands.integrity import CHECKS, MAX_DEPTH, ImportRefused, check_export
from storage import SCHEMA, Store
from tests.botprocess import ROOT, child_env
from tests.program import Program

APPLY = (
    '/onboard company="Acme Hosting" type=hosting website=https://acme.example '
    "email=partners@acme.example"
)
Export = dict[str, Any]


async def _written_by_the_bot() -> Export:
    """An export of what the commands themselves stored: a partner signed, a report filed,
    terms, a fee, a review, a language chosen, a conversation left open, and the bot's
    bookkeeping."""
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    program.clock.now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    steps = [
        ("alice", APPLY),
        ("maria", "/approve acme-hosting application"),
        ("maria", "/approve acme-hosting meeting on=2026-11-26"),
        ("alice", "/goals 3m five hosted workspaces"),
        ("alice", "/goals 1y fifty hosted workspaces"),
        ("maria", "/approve acme-hosting goals"),
        ("maria", "/approve acme-hosting contract signed=2026-11-26 support=yes fee=unpaid"),
        ("maria", "/terms acme-hosting hosting=25"),
        ("maria", "/fee acme-hosting paid"),
        ("bob", "/onboard"),  # a conversation, left open
    ]
    report = [
        "/report 2026-11 deal client=Foo amount=1000 kind=hosting",
        "/report 2026-11 prospect client=Bar amount=500 close=2027-06",
        "/report 2026-11 submit",
    ]
    for sender, text in steps:
        said = await program.say(sender, text)
        assert said.status == "done", (text, said.text)
    program.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    for text in report:
        said = await program.say("alice", text)
        assert said.status == "done", (text, said.text)
    program.clock.now = datetime(2027, 2, 26, 12, 0, tzinfo=UTC)
    said = await program.say("maria", "/review acme-hosting pass")
    assert said.status == "done", said.text
    for sender, text in [
        ("maria", "/goals acme-hosting 3m Host 10 customer workspaces"),  # a revision
        ("alice", "/goals 1y 80 customer workspaces"),  # a proposal, waiting
        ("alice", "/language pt-BR"),  # hers and, as a contact, her partner's rooms'
        ("maria", "/announce Webinar on Thursday"),  # an announcement and its mark
        ("maria", '/materials add quarterly "Q1 2027 report" https://vendor.example/q1.pdf'),
        ("maria", "/certify acme-hosting private-cloud-hosting"),
        ("alice", "/serve countries=BR,PT languages=pt,en"),
        ("maria", "/refer client=Foo country=BR language=pt need=hosting amount=2000"),
        ("maria", "/refer R-1 offer acme-hosting"),
    ]:
        said = await program.say(sender, text)
        assert said.status == "done", (text, said.text)
    tx = store.begin("partnerbot", program.clock())
    at = program.clock().isoformat()
    day = program.clock().date().isoformat()
    marks = [("acme-hosting", "report-open", "2026-11"), ("@maria", "pending-approvals", day)]
    for partner, kind, period in marks:
        tx.put("sent", {"partner": partner, "kind": kind, "period": period, "at": at})
    tx.put("cursors", {"room": "room-acme", "ts": at})
    for audience in ("@managers", "acme-hosting"):  # the quarterly summaries' marks
        tx.put("stats_posts", {"quarter": "2026-Q4", "audience": audience, "at": at})
    # the partners' channel's records (`commands.channel`), as its daily check writes them
    tx.put("channel", {"username": "alice", "state": "added", "partner": "acme-hosting", "at": at})
    tx.put("channel", {"username": "mallory", "state": "reported", "partner": None, "at": at})
    await tx.commit()
    out = io.StringIO()
    await store.export(out)
    await store.close()
    export: Export = json.loads(out.getvalue())
    return export


@pytest.fixture(scope="module")
def good() -> Export:
    return asyncio.run(_written_by_the_bot())


async def check(export: Export | str) -> None:
    text = export if isinstance(export, str) else json.dumps(export)
    await check_export(io.StringIO(text))


async def test_what_the_bot_wrote_passes(good: Export) -> None:
    for name in CHECKS:
        assert good[name], f"the export has no {name}: the test does not cover it"
    await check(good)


def test_every_collection_has_a_check() -> None:
    assert set(CHECKS) == {collection.name for collection in SCHEMA}


def _set(collection: str, index: int, field: str, value: Any) -> Callable[[Export], None]:
    def change(export: Export) -> None:
        export[collection][index][field] = value

    return change


def _drop(collection: str, index: int) -> Callable[[Export], None]:
    def change(export: Export) -> None:
        del export[collection][index]

    return change


def _add(collection: str, doc: Any) -> Callable[[Export], None]:
    def change(export: Export) -> None:
        export[collection].append(doc)

    return change


def _second_partner(contact: str, member: bool = True) -> Callable[[Export], None]:
    def change(export: Export) -> None:
        other = copy.deepcopy(export["partners"][0]) | {"id": "bobco", "contacts": [contact]}
        export["partners"].append(other)
        if member:
            export["members"].append({"username": contact, "partner": "bobco"})

    return change


def _nest(depth: int) -> Callable[[Export], None]:
    def change(export: Export) -> None:
        value: Any = "deep"
        for _ in range(depth):
            value = [value]
        export["conversations"][0]["state"] = {"nested": value}

    return change


BAD: list[tuple[str, Callable[[Export], None], str]] = [
    ("steps: 5", _set("partners", 0, "steps", 5), "partners[0]: partner 'acme-hosting': steps"),
    (
        "status superadmin",
        _set("partners", 0, "status", "superadmin"),
        "partners[0]: partner 'acme-hosting': status must be one of",
    ),
    ("type", _set("partners", 0, "type", "reseller"), "partners[0]: partner 'acme-hosting': type"),
    ("contacts", _set("partners", 0, "contacts", "alice"), "contacts must be a list"),
    ("applied_at", _set("partners", 0, "applied_at", "yesterday"), "applied_at must be an ISO"),
    ("partner id", _set("partners", 0, "id", "Acme Hosting"), "id must be a partner id"),
    ("deals: lots", _set("reports", 0, "deals", "lots"), "reports[0]: report 'acme-hosting'"),
    ("owed", _set("reports", 0, "owed", "1.00"), "reports[0]: report 'acme-hosting' '2026-11'"),
    ("report month", _set("reports", 0, "month", "November"), "reports[0]"),
    ("review outcome", _set("reviews", 0, "outcome", "great"), "reviews[0]: review"),
    ("fee year", _set("fees", 0, "year", "twenty"), "fees[0]: fee 'acme-hosting' 'twenty': year"),
    ("terms", _set("terms", 0, "rates", {"hosting": "150"}), "terms[0]: terms 'acme-hosting'"),
    ("filings", _set("filings", 0, "months", ["2026-13"]), "filings[0]: filings 'acme-hosting'"),
    (
        "registration key",
        _set("registrations", 0, "client", "Bar Corp"),
        "registrations[0]: registration 'Bar Corp': client must be a normalised name",
    ),
    (
        "registration until",
        _set("registrations", 0, "until", "2026-01-01"),
        "registrations[0]: registration 'bar': until 2026-01-01 is before since",
    ),
    (
        "registration of no partner",
        _set("registrations", 0, "partner", "ghost"),
        "registrations[0]: partner 'ghost' is not in the file",
    ),
    ("sent kind", _set("sent", 0, "kind", "spam"), "sent[0]: sent"),
    ("seen at", _set("seen", 0, "at", "2026-11-26T12:00:00"), "seen[0]: seen"),
    ("outbox", _set("outbox", 0, "attachments", ["x"]), "outbox[0]: outbox"),
    ("conversation", _set("conversations", 0, "state", []), "conversations[0]: conversation"),
    ("cursor", _set("cursors", 0, "ts", 5), "cursors[0]: cursor 'room-acme': ts"),
    ("language", _set("languages", 0, "language", "tlh"), "languages[0]: language 'partner'"),
    ("language kind", _set("languages", 1, "kind", "room"), "languages[1]: language 'room'"),
    (
        "language of no partner",
        _set("languages", 0, "name", "nobody"),
        "languages[0]: partner 'nobody' is not in the file",
    ),
    ("audit at", _set("audit", 1, "at", None), "audit[1]: audit entry"),
    ("audit seq", _set("audit", 1, "seq", -1), "audit[1]: seq -1 comes after"),
    ("not an object", _add("partners", ["acme"]), "partners[1]: must be an object"),
    ("member upper case", _set("members", 0, "username", "Alice"), "members[0]: member 'Alice'"),
    (
        "member of another partner",
        _set("members", 0, "partner", "nobody"),
        "members[0] (username 'alice'): partner 'nobody' is not in the file",
    ),
    (
        "member not a contact",
        _add("members", {"username": "mallory", "partner": "acme-hosting"}),
        "(username 'mallory'): partner 'acme-hosting' does not list mallory as a contact",
    ),
    (
        "contact without member",
        _drop("members", 0),
        "partners[0] (partner 'acme-hosting'): contacts: alice has no members entry",
    ),
    (
        "contact of two partners",
        _second_partner("alice", member=False),
        "partners[1]: contacts: alice is a contact also of partner 'acme-hosting'",
    ),
    (
        "a second partner's contact without member",
        _second_partner("carol", member=False),
        "partners[1] (partner 'bobco'): contacts: carol has no members entry for bobco",
    ),
    ("partner without id", _add("partners", {}), "partners[1]: partners document has no id"),
    (
        "report of no partner",
        _set("reports", 0, "partner", "ghost"),
        "reports[0]: partner 'ghost' is not in the file",
    ),
    (
        "review of no partner",
        _set("reviews", 0, "partner", "ghost"),
        "reviews[0]: partner 'ghost' is not in the file",
    ),
    ("fee of no partner", _set("fees", 0, "partner", "ghost"), "fees[0]: partner 'ghost'"),
    ("terms of no partner", _set("terms", 0, "partner", "ghost"), "terms[0]: partner 'ghost'"),
    ("mark of no partner", _set("sent", 0, "partner", "ghost"), "sent[0]: partner 'ghost'"),
    ("too deep", _nest(MAX_DEPTH), f"conversations[0]: nested more than {MAX_DEPTH} deep"),
]


@pytest.mark.parametrize(
    ("change", "message"), [(c, m) for _, c, m in BAD], ids=[name for name, _, _ in BAD]
)
async def test_a_bad_document_is_refused_naming_it(
    good: Export, change: Callable[[Export], None], message: str
) -> None:
    export = copy.deepcopy(good)
    change(export)
    with pytest.raises(ImportRefused) as refused:
        await check(export)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value) and len(str(refused.value)) <= 300


async def test_a_partner_twice_is_refused(good: Export) -> None:
    export = copy.deepcopy(good)
    export["partners"].append(copy.deepcopy(export["partners"][0]))
    twice = r"partners\[1\]: partners 'acme-hosting' appears twice"
    with pytest.raises(ImportRefused, match=twice):
        await check(export)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"partners": []}', 'the "version" is missing'),
        ('{"version": 2}', "version 2 is not 1"),
        ('{"version": 1, "admins": [{}]}', "unknown collection 'admins'"),
        ('{"version": 1, "partners": [', "bad JSON"),
        ('{"version": 1, "partners": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deep"),
        ('{"version": ' + "[" * 100_000, "nested too deep"),
    ],
    ids=["no version", "version", "unknown collection", "cut off", "nested", "nested, cut off"],
)
async def test_a_file_that_is_not_an_export_is_refused(text: str, message: str) -> None:
    with pytest.raises(ImportRefused, match=message):
        await check(text)


# --- bot.py import, end to end --------------------------------------------------------


def _import(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "import.json"
    source.write_text(text)
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "import", str(source)],
        env=child_env(PARTNERBOT_DATA=str(tmp_path / "data")),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _deep_file(export: Export) -> str:
    """The export with a conversation's state nested 100,000 deep (json.dumps cannot)."""
    deep = "[" * 100_000 + "]" * 100_000
    return json.dumps(export).replace('"state":', f'"state":{deep},"was":', 1)


@pytest.mark.parametrize(
    "make",
    [
        lambda export: json.dumps(export | {"partners": [export["partners"][0] | {"steps": 5}]}),
        lambda export: json.dumps(export | {"members": []}),
        _deep_file,
    ],
    ids=["steps: 5", "no members", "nested 100,000 deep"],
)
def test_bot_py_import_refuses_with_one_line_and_writes_nothing(
    good: Export, tmp_path: Path, make: Callable[[Export], str]
) -> None:
    result = _import(tmp_path, make(copy.deepcopy(good)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("partnerbot: import refused, nothing written: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "data").exists()


def test_bot_py_import_loads_a_good_file(good: Export, tmp_path: Path) -> None:
    result = _import(tmp_path, json.dumps(good))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "partners").is_dir()


def test_bot_py_import_of_a_missing_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "import", str(tmp_path / "none.json")],
        env=child_env(PARTNERBOT_DATA=str(tmp_path / "data")),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("partnerbot: import: cannot read ")
    assert result.stderr.count("\n") == 1
