"""/announce and /materials (issue 16, item 6): an announcement reaches each active
workgroup once, with ids from the announcement and the room; materials are listed to
partners and managers, kept by managers, and a quarterly report is told to the workgroups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from commands.bulletin import ANNOUNCEMENT, message_id
from storage import SCHEMA, Store
from tests.program import SETTINGS, Program
from tests.test_privacy import onboard

ACME_WG, BOBCO_WG = "room-partner-acme-hosting", "room-partner-bobco"


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    """Acme Hosting (alice) and Bobco (bob) active; Carol Co (carol) suspended."""
    store = await Store.open(None, SCHEMA)
    program = Program(store, replace(SETTINGS, manager_room="ams"))
    program.chat.groups["ams"] = ("maria", "joao")
    program.clock.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    await onboard(program, "alice", "Acme Hosting", "acme-hosting")
    await onboard(program, "bob", "Bobco", "bobco")
    await onboard(program, "carol", "Carol Co", "carol-co")
    said = await program.say("maria", "/suspend carol-co no report")
    assert said.status == "done"
    yield program
    await store.close()


async def test_an_announcement_goes_to_each_active_workgroup_once(program: Program) -> None:
    said = await program.say("maria", "/announce Webinar *Thursday* 15:00 UTC, @all welcome")
    assert said.here == ["Announcement A-1 goes to 2 workgroups."]
    copies = {out.room_id: out for out in said.sent if out.room_id != "dm-maria"}
    assert set(copies) == {ACME_WG, BOBCO_WG}  # not the suspended partner's
    for room, out in copies.items():
        assert out.id == message_id(ANNOUNCEMENT, "A-1", room)  # the same after a crash
        assert "@maria" in out.text
        assert "`Webinar *Thursday* 15:00 UTC, \u2060@all welcome`" in out.text  # inert
    marks = {(d["partner"], d["period"]) async for d in program.store.scan("sent")}
    assert {("acme-hosting", "A-1"), ("bobco", "A-1")} <= marks
    again = await program.say("maria", "/announce Second one")
    assert again.here == ["Announcement A-2 goes to 2 workgroups."]


async def test_announce_bad_input_and_access(program: Program) -> None:
    said = await program.say("maria", "/announce")
    assert said.status == "refused" and "/announce <text ...>" in said.text
    said = await program.say("maria", "/announce " + "x" * 2001)
    assert said.status == "refused" and "at most 2000" in said.text
    said = await program.say("alice", "/announce hello everyone")
    assert said.status == "refused" and "account managers only" in said.text
    assert [doc async for doc in program.store.scan("announcements")] == []


async def test_materials_are_kept_by_managers_and_listed_to_partners(program: Program) -> None:
    said = await program.say("alice", "/materials")
    assert said.here == ["No materials yet."]
    said = await program.say("maria", '/materials add "Brand guide" https://vendor.example/brand')
    assert said.here == ["Added to the materials: Brand guide."]
    assert not [out for out in said.sent if out.room_id in (ACME_WG, BOBCO_WG)]
    said = await program.say(
        "maria", '/materials add quarterly "Q3 2027 report" https://vendor.example/q3.pdf'
    )
    assert said.here == ["Added to the materials: Q3 2027 report; 2 workgroups are told."]
    told = {out.room_id for out in said.sent if "quarterly report" in out.text}
    assert told == {ACME_WG, BOBCO_WG}
    listing = (await program.say("bob", "/materials")).text
    assert "1. Brand guide: `https://vendor.example/brand`" in listing
    assert "2. Q3 2027 report (quarterly report): `https://vendor.example/q3.pdf`" in listing
    said = await program.say("maria", "/materials remove 1")
    assert said.here == ["Removed from the materials: Brand guide."]
    listing = (await program.say("alice", "/materials")).text
    assert "Brand guide" not in listing and "1. Q3 2027 report" in listing


@pytest.mark.parametrize(
    ("who", "text", "says"),
    [
        ("alice", "/materials add Guide https://vendor.example", "account managers"),
        ("alice", "/materials remove 1", "account managers"),
        ("maria", "/materials add https://vendor.example", "title and the address"),
        ("maria", "/materials add Guide ftp://vendor.example/x", "not a web address"),
        ("maria", "/materials add Guide javascript:alert(1)", "not a web address"),
        ("maria", "/materials add Guide vendor.example", "not a web address"),
        ("maria", "/materials remove 1", "no materials to remove"),
        ("maria", "/materials remove one", "by its number"),
        ("maria", "/materials delete 1", "not understood"),
    ],
)
async def test_materials_bad_input_changes_nothing(
    program: Program, who: str, text: str, says: str
) -> None:
    said = await program.say(who, text)
    assert said.status == "refused" and says in said.text, said.text
    assert [doc async for doc in program.store.scan("materials")] == []


async def test_a_contact_of_no_partner_cannot_list_materials(program: Program) -> None:
    said = await program.say("mallory", "/materials")
    assert said.status == "refused"
