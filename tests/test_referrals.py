"""Expertise (/certify, /serve, /status), referrals (/refer, /referrals, the expiry), referred
deals citing their referral, and the directory: the commands through the real dispatcher
with fake chat actions, the expiry with its store reopened as after a restart."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chat.base import Outgoing
from commands.referring import Expiry, directory_of
from storage import SCHEMA, Store, Transaction
from tests.fakes import Clock
from tests.program import SETTINGS, Program
from tests.test_onboarding_commands import APPLY, onboard_fully
from workflows.onboarding import Partner
from workflows.reminders import Audience

ACME, BRAVO = "room-partner-acme-hosting", "room-partner-bravo-cloud"
REFER = '/refer client="Foo Corp" country=BR language=pt need=private-cloud-hosting amount=20000'


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    store = await Store.open(None, SCHEMA)
    yield Program(store)
    await store.close()


@pytest.fixture
async def two(program: Program) -> Program:
    """Acme Hosting (alice) and Bravo Cloud (bob), active hosting partners, both certified
    and serving Brazil in Portuguese; Bravo already holds one open referral elsewhere."""
    await onboard_fully(program)
    await onboard_fully(program, "bob", "Bravo Cloud", "bravo-cloud")
    await program.say_all(
        [
            ("maria", "/certify acme-hosting private-cloud-hosting on=2026-11-20"),
            ("maria", "/certify bravo-cloud hosting"),
            ("alice", "/serve countries=BR,PT languages=pt,en"),
            ("bob", "/serve countries=br languages=PT"),
        ]
    )
    return program


async def referral(program: Program, ident: str) -> dict[str, object]:
    doc = await program.store.get("referrals", ident)
    assert doc is not None
    return doc


# Expertise ------------------------------------------------------------------------------


async def test_status_shows_the_expertise(two: Program) -> None:
    said = await two.say("alice", "/status")
    assert "Certified for: private-cloud-hosting (2026-11-20)." in said.text
    assert "Serves countries: Brazil (BR), Portugal (PT); languages: Portuguese (pt)" in said.text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("/certify acme-hosting integrations", "offers private-cloud-hosting; not integrations"),
        ("/certify acme-hosting cooking", "is not a service"),
        ("/certify acme-hosting hosting on=2026-11-27", "must not be in the future"),
        ("/certify acme-hosting hosting on=26/11/2026", "YYYY-MM-DD"),
        ("/certify acme-hosting", "one service"),
        ("/certify nobody hosting", "There is no partner"),
    ],
)
async def test_certify_refuses(two: Program, text: str, why: str) -> None:
    before = [doc async for doc in two.store.scan("expertise")]
    said = await two.say("maria", text)
    assert said.status in ("refused", "usage"), said.text
    assert why in said.text
    assert [doc async for doc in two.store.scan("expertise")] == before


async def test_certify_is_for_managers_and_applicants_are_not_certified(program: Program) -> None:
    await program.say("carol", APPLY.replace("Acme Hosting", "Carol Co"))
    said = await program.say("maria", "/certify carol-co hosting")
    assert said.status == "refused" and "not in the program" in said.text
    await onboard_fully(program)
    said = await program.say("alice", "/certify acme-hosting hosting")
    assert said.status == "refused"


@pytest.mark.parametrize("text", ["/serve countries=XX", "/serve languages=portuguese"])
async def test_serve_refuses_unknown_codes(two: Program, text: str) -> None:
    said = await two.say("alice", text)
    assert said.status == "refused" and "Usage:" in said.text, said.text
    assert "ISO" in said.text


# Referrals ------------------------------------------------------------------------------


async def test_a_referral_from_proposal_to_won(two: Program) -> None:
    program = two
    said = await program.say("maria", REFER)
    assert said.status == "done", said.text
    assert said.text.startswith("Referral R-1 recorded: Foo Corp (BR, pt)")
    assert "1. Acme Hosting (`acme-hosting`)" in said.text
    actions = said.attachments[0]["actions"]
    assert [a["msg"] for a in actions] == [
        "@partnerbot refer R-1 offer acme-hosting",
        "@partnerbot refer R-1 offer bravo-cloud",
    ]
    offered = await program.say("maria", actions[0]["msg"])  # the button
    assert offered.status == "done", offered.text
    [text] = offered.elsewhere[ACME]
    assert "Referral R-1" in text and "Foo Corp" in text and "48 hours" in text
    buttons = offered.attachments[0]["actions"]
    assert [b["msg"] for b in buttons] == [
        "@partnerbot referrals R-1 accept",
        "@partnerbot referrals R-1 decline",
    ]
    # bob sees nothing of it; alice sees her own
    assert (await program.say("bob", "/referrals")).text == "No referrals."
    assert (await program.say("bob", "/referrals R-1")).status == "refused"
    assert "R-1 Foo Corp" in (await program.say("alice", "/referrals")).text
    accepted = await program.say("alice", buttons[0]["msg"], room="partner-acme-hosting")
    assert accepted.status == "done", accepted.text
    assert "accepted referral R-1" in accepted.elsewhere["dm-maria"][0]
    assert (await referral(program, "R-1"))["state"] == "accepted"

    program.clock.advance(days=6)  # December: November's report is open
    deal = "/report 2026-11 deal client=Foo amount=20000 kind=referred"
    assert "Usage:" in (await program.say("alice", deal)).text  # no ref=
    assert (await program.say("alice", deal + " ref=R-1")).status == "done"
    assert (await program.say("alice", deal + " ref=R-1")).status == "refused"  # twice
    assert (await program.say("alice", "/report 2026-11 submit")).status == "done"
    won = await referral(program, "R-1")
    assert (won["state"], won["closed_in"]) == ("won", "2026-11")
    assert (await program.say("maria", "/referrals R-1 lost")).status == "refused"  # closed
    listed = await program.say("maria", "/referrals won")
    assert listed.text == "R-1 Foo Corp (BR, pt, private-cloud-hosting): won - Acme Hosting"


async def test_a_decline_goes_to_the_next_match_and_the_manager_is_told(two: Program) -> None:
    program = two
    await program.say_all([("maria", REFER), ("maria", "/refer R-1 offer acme-hosting")])
    declined = await program.say("alice", "/referrals R-1 decline")
    assert declined.status == "done", declined.text
    assert "offered to Bravo Cloud" in declined.elsewhere["dm-maria"][0]
    assert "Referral R-1" in declined.elsewhere[BRAVO][0]
    doc = await referral(program, "R-1")
    assert doc["state"] == "offered"
    assert [o["partner"] for o in doc["offers"]] == ["acme-hosting", "bravo-cloud"]  # type: ignore[attr-defined]
    # alice no longer sees it, and cannot take it back
    assert (await program.say("alice", "/referrals")).text == "No referrals."
    assert (await program.say("alice", "/referrals R-1 accept")).status == "refused"
    # nobody else: declined, and the manager names one
    said = await program.say("bob", "/referrals R-1 decline")
    assert "no other partner matches" in said.elsewhere["dm-maria"][0]
    assert (await referral(program, "R-1"))["state"] == "declined"


async def test_citing_another_partners_referral_is_refused(two: Program) -> None:
    program = two
    await program.say_all(
        [
            ("maria", REFER),
            ("maria", "/refer R-1 offer bravo-cloud"),
            ("bob", "/referrals R-1 accept"),
        ]
    )
    program.clock.advance(days=6)
    for ref in ("R-1", "R-2", "nonsense"):
        said = await program.say(
            "alice", f"/report 2026-11 deal client=Foo amount=10 kind=referred ref={ref}"
        )
        assert said.status in ("refused", "usage"), said.text
        assert "Bravo" not in said.text
    said = await program.say(
        "alice", "/report 2026-11 deal client=Foo amount=10 kind=hosting ref=R-1"
    )
    assert said.status == "refused" and "only for a deal of kind=referred" in said.text


async def test_referring_to_a_suspended_partner_is_refused(two: Program) -> None:
    program = two
    await program.say_all([("maria", "/suspend bravo-cloud late"), ("maria", REFER)])
    said = await program.say("maria", "/refer R-1 offer bravo-cloud")
    assert said.status == "refused"
    assert "suspended: only active partners receive referrals" in said.text
    assert (await referral(program, "R-1"))["state"] == "new"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('/refer client="Foo" country=BR language=pt', "need= is required"),
        ('/refer client="Foo" country=XX language=pt need=hosting', "not a country code"),
        ('/refer client="Foo" country=BR language=pt need=cooking', "not a service"),
        ('/refer client="Foo" country=BR language=pt need=hosting amount=lots', "amount"),
        ("/refer R-1 offer", "/refer R-12 offer <partner-id>"),
        ("/refer", "client="),
    ],
)
async def test_refer_refuses_bad_input(two: Program, text: str, why: str) -> None:
    said = await two.say("maria", text)
    assert said.status == "refused" and "Usage:" in said.text, said.text
    assert why in said.text
    assert [doc async for doc in two.store.scan("referrals")] == []
    assert [doc async for doc in two.store.scan("sequences")] == []


async def test_partners_cannot_refer_or_mark_lost(two: Program) -> None:
    await two.say_all([("maria", REFER), ("maria", "/refer R-1 offer acme-hosting")])
    assert (await two.say("alice", REFER)).status == "refused"
    assert (await two.say("alice", "/referrals R-1 lost")).status == "refused"
    assert (await referral(two, "R-1"))["state"] == "offered"


async def test_two_managers_referring_at_once_get_distinct_ids(two: Program) -> None:
    said = await asyncio.gather(*(two.say(who, REFER) for who in ["maria", "joao"] * 5))
    assert all(s.status == "done" for s in said), [s.text for s in said]
    ids = sorted([doc["id"] async for doc in two.store.scan("referrals")])
    assert len(set(ids)) == 10
    assert {int(ident[2:]) for ident in ids} == set(range(1, 11))


# The expiry -----------------------------------------------------------------------------


class Rooms:
    async def rooms_of(self, audience: Audience, partner: Partner) -> list[tuple[str, str]]:
        if audience is Audience.WORKGROUP:
            return [(partner.workgroup or f"dm-{partner.contacts[0]}", "en")]
        return [("dm-maria", "en")]


class Posted:
    def __init__(self) -> None:
        self.messages: list[Outgoing] = []

    async def __call__(self, tx: Transaction, out: Sequence[Outgoing], now: datetime) -> None:
        await tx.commit()
        self.messages += out


async def test_an_offer_not_answered_in_time_expires_once_across_restarts(tmp_path: Path) -> None:
    store = await Store.open(tmp_path, SCHEMA)
    program = Program(store)
    await onboard_fully(program)
    await onboard_fully(program, "bob", "Bravo Cloud", "bravo-cloud")
    await program.say_all(
        [
            ("maria", "/certify acme-hosting hosting"),
            ("maria", "/certify bravo-cloud hosting"),
            ("alice", "/serve countries=BR languages=pt"),
            ("bob", "/serve countries=BR languages=pt"),
            ("maria", REFER),
            ("maria", "/refer R-1 offer acme-hosting"),
        ]
    )
    assert program.clock() == _at(0)
    await store.close()

    posted = Posted()
    for hours, expected in [(47, 0), (48, 3), (49, 0)]:  # a restart before each run
        store = await Store.open(tmp_path, SCHEMA)
        clock = Clock(_at(hours))
        expiry = Expiry(store, SETTINGS, clock, Rooms(), posted, lambda: "partnerbot")
        before = len(posted.messages)
        assert await expiry.run()
        assert len(posted.messages) - before == expected, hours
        await store.close()
    rooms = [out.room_id for out in posted.messages]
    assert rooms == [ACME, BRAVO, "dm-maria"]
    texts = [out.text for out in posted.messages]
    assert "no longer offered to you" in texts[0]
    assert "Referral R-1" in texts[1] and posted.messages[1].attachments
    assert "did not answer referral R-1 in time; it is now offered to Bravo Cloud" in texts[2]

    store = await Store.open(tmp_path, SCHEMA)
    program = Program(store)
    program._ids = itertools.count(1000)  # new messages after the restart
    program.clock.now = _at(50)
    late = await program.say("alice", "/referrals R-1 accept")
    assert late.status == "refused" and "no referral R-1 for you" in late.text
    assert (await program.say("bob", "/referrals R-1 accept")).status == "done"
    await store.close()


def _at(hours: int) -> datetime:
    """`hours` after the offer was made (the harness's clock, 2026-11-26 09:00 UTC)."""
    return datetime(2026, 11, 26, 9, 0, tzinfo=UTC) + timedelta(hours=hours)


async def test_an_expired_referral_is_refused_with_its_reason(two: Program) -> None:
    program = two
    await program.say_all(
        [
            ("maria", "/suspend bravo-cloud late"),
            ("maria", REFER),
            ("maria", "/refer R-1 offer acme-hosting"),
        ]
    )
    posted = Posted()
    expiry = Expiry(program.store, SETTINGS, lambda: _at(48), Rooms(), posted, lambda: "partnerbot")
    assert await expiry.run()
    assert (await referral(program, "R-1"))["state"] == "expired"
    assert "no other partner matches" in posted.messages[-1].text
    program.clock.now = _at(49)
    said = await program.say("alice", "/referrals R-1 accept")
    assert said.status == "refused" and "expired" in said.text
    said = await program.say(
        "alice", "/report 2026-11 deal client=Foo amount=1 kind=referred ref=R-1"
    )
    assert said.status == "refused"


# The directory --------------------------------------------------------------------------


async def test_the_directory_shows_public_profiles_only(two: Program) -> None:
    await two.say("maria", "/suspend bravo-cloud late")
    profiles = await directory_of(two.store)
    assert profiles == [
        {
            "id": "acme-hosting",
            "company": "Acme Hosting",
            "type": "hosting",
            "country": None,
            "website": "https://acme.example",
            "services": ["private-cloud-hosting"],
            "countries": ["BR", "PT"],
            "languages": ["pt", "en"],
        }
    ]
    text = json.dumps(profiles)
    assert "alice" not in text and "@" not in text and "partners@" not in text


async def test_the_health_server_serves_the_directory_it_is_given(two: Program) -> None:
    import socket

    import aiohttp

    from bot import directory_json
    from chat.health import serve_health

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def metrics() -> str:
        return ""

    runner = await serve_health(
        port, lambda: None, metrics, directory=lambda: directory_json(two.store)
    )
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/directory.json") as got:
                assert got.status == 200
                body = await got.json()
            async with session.post(f"http://127.0.0.1:{port}/directory.json") as posted:
                assert posted.status == 405  # read-only
    finally:
        await runner.cleanup()
    assert [p["id"] for p in body["partners"]] == ["acme-hosting", "bravo-cloud"]
    assert "contacts" not in body["partners"][0] and "email" not in body["partners"][0]
