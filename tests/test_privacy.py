"""Partner data stays where it belongs (issue 12, item 3): a command that shows a partner's
data answers in the caller's DM unless everyone who reads the room may see it, and no
refusal tells anyone of another partner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chat.base import ChatError, Room, RoomKind
from engine.audience import SENT_DIRECTLY, shown_here
from engine.framework import Caller, Role
from storage import SCHEMA, Store
from tests.fakes import user
from tests.program import SETTINGS, Program

SIGNED = "2026-09-01"
GENERAL = Room("room-general", RoomKind.PUBLIC, "general")  # a channel everyone reads
OTHER_GROUP = Room("room-sales", RoomKind.PRIVATE, "sales")  # a group that is no workgroup
GROUP_DM = Room("dm-alice-bob", RoomKind.DIRECT, "alice, bob")  # a DM with several people
ACME_WG = Room("room-partner-acme-hosting", RoomKind.PRIVATE, "partner-acme-hosting")
BOBCO_WG = Room("room-partner-bobco", RoomKind.PRIVATE, "partner-bobco")
AMS = Room("room-ams", RoomKind.PRIVATE, "ams")  # PARTNERBOT_MANAGER_ROOM


def apply(company: str) -> str:
    host = company.lower().replace(" ", "")
    return (
        f'/onboard company="{company}" type=hosting website=https://{host}.example '
        f"email=partners@{host}.example"
    )


async def onboard(program: Program, contact: str, company: str, partner_id: str) -> None:
    """`contact` applies for `company`, and maria takes it to an active partner."""
    for who, text in [
        (contact, apply(company)),
        ("maria", f"/approve {partner_id} application"),
        ("maria", f"/approve {partner_id} meeting on={SIGNED}"),
        (contact, "/goals 3m five hosted workspaces"),
        (contact, "/goals 1y fifty hosted workspaces"),
        ("maria", f"/approve {partner_id} goals"),
        ("maria", f"/approve {partner_id} contract signed={SIGNED} support=yes fee=paid"),
    ]:
        said = await program.say(who, text)
        assert said.status == "done", (text, said.text)


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    """Acme Hosting (alice) and Bobco (bob), both active with their workgroups, a report
    with a deal each for 2026-09; maria manages both; the managers' room is `ams`."""
    store = await Store.open(None, SCHEMA)
    program = Program(store, replace(SETTINGS, manager_room="ams"))
    program.chat.groups["ams"] = ("maria", "joao")
    program.clock.now = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    await onboard(program, "alice", "Acme Hosting", "acme-hosting")
    await onboard(program, "bob", "Bobco", "bobco")
    program.clock.now = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
    for who in ("alice", "bob"):
        deal = f'/report 2026-09 deal client="{who} client" amount=777000 kind=hosting'
        assert (await program.say(who, deal)).status == "done"
    yield program
    await store.close()


# Where each command is answered: (who, what, room, where the answer goes).
HERE, DM = "here", "dm"
ROUTES = [
    # A partner's contact: in their DM and their own workgroup; nowhere else.
    ("alice", "/status", None, HERE),
    ("alice", "/status", ACME_WG, HERE),
    ("alice", "/report 2026-09", ACME_WG, HERE),
    ("alice", "/status", GENERAL, DM),
    ("alice", "/report 2026-09", GENERAL, DM),
    ("alice", "/contacts", GENERAL, DM),
    ("alice", "/onboard", GENERAL, DM),
    ("alice", "/status", OTHER_GROUP, DM),
    ("alice", "/status", BOBCO_WG, DM),  # another partner's workgroup
    ("alice", "/status", GROUP_DM, DM),
    ("alice", "/status", AMS, HERE),  # the managers may see any partner
    # A manager: in the managers' room and their DM only, whatever partner it is about.
    ("maria", "/status bobco", None, HERE),
    ("maria", "/status bobco", AMS, HERE),
    ("maria", "/status bobco", ACME_WG, DM),
    ("maria", "/status acme-hosting", ACME_WG, DM),
    ("maria", "/report bobco 2026-09", ACME_WG, DM),
    ("maria", "/partners", GENERAL, DM),
    ("maria", "/partners", ACME_WG, DM),
    ("maria", "/review bobco", GENERAL, DM),
    ("maria", "/terms bobco", GENERAL, DM),
    ("maria", "/fee bobco", GENERAL, DM),
    ("maria", "/partners", AMS, HERE),
    # Anyone: /help shows nothing of anyone.
    ("alice", "/help", GENERAL, HERE),
    ("maria", "/help", ACME_WG, HERE),
    ("alice", "/language", GENERAL, HERE),
    ("alice", "/language es", GENERAL, HERE),
]


@pytest.mark.parametrize(("sender", "text", "room", "where"), ROUTES)
async def test_answers_go_where_everyone_may_read_them(
    program: Program, sender: str, text: str, room: Room | None, where: str
) -> None:
    said = await program.say(sender, text, room)
    assert said.status == "done", said.text
    own_dm = f"dm-{sender}"
    if where == HERE:
        assert said.here and not said.elsewhere, said
        return
    assert said.here == [SENT_DIRECTLY]  # and nothing else in the room
    assert list(said.elsewhere) == [own_dm]
    assert said.elsewhere[own_dm]  # the answer itself


async def test_sales_figures_typed_for_in_a_channel_are_not_shown_there(
    program: Program,
) -> None:
    said = await program.say("alice", "/report 2026-09", GENERAL, thread="parent1")
    [note] = [out for out in said.sent if out.room_id == GENERAL.id]
    assert (note.text, note.thread) == (SENT_DIRECTLY, "parent1")  # in the command's thread
    [answer] = [out for out in said.sent if out.room_id == "dm-alice"]
    assert "USD 777,000.00" in answer.text and answer.thread is None
    status = await program.say("maria", "/status bobco", ACME_WG)
    assert not any("Bobco" in text or "bobco" in text for text in status.here)
    assert "Bobco" in status.elsewhere["dm-maria"][0]


async def test_a_change_answered_in_the_dm_is_stored_with_the_dm(program: Program) -> None:
    """The DM is opened before the commit: the outbox holds each reply with the room it goes
    to, so a reply sent again after a crash goes to the same room with the same id."""
    said = await program.say(
        "alice", '/report 2026-09 deal client="Foo" amount=5 kind=hosting', GENERAL
    )
    assert said.status == "done"
    stored = {doc["id"]: doc["room"] async for doc in program.store.scan("outbox")}
    ids = {out.id: out.room_id for out in said.sent}
    assert ids == {f"{said.sent[0].id[:-2]}r0": GENERAL.id, f"{said.sent[0].id[:-2]}r1": "dm-alice"}
    assert {key: stored[key] for key in ids} == ids


async def test_refusals_of_a_private_command_go_to_the_dm_too(program: Program) -> None:
    said = await program.say("alice", "/status bobco", GENERAL)
    assert said.status == "refused"
    assert said.here == [SENT_DIRECTLY]
    refusal = "There is no partner with the id `bobco` that you can see."
    assert said.elsewhere["dm-alice"] == [refusal]
    usage = await program.say("alice", "/status a b", GENERAL)  # the handler's: the DM too
    assert usage.here == [SENT_DIRECTLY] and "at most one" in usage.elsewhere["dm-alice"][0]
    option = await program.say("alice", "/status x=1", GENERAL)  # before it runs: in place
    assert option.status == "refused" and not option.elsewhere
    role = await program.say("carol", "/partners", GENERAL)  # a role refusal: in place
    assert role.status == "refused" and not role.elsewhere


async def test_no_dm_no_answer(program: Program) -> None:
    async def no_dm(username: str) -> str:
        raise ChatError(f"I cannot write to @{username}: not allowed")

    program.chat.direct_room = no_dm  # type: ignore[method-assign]
    said = await program.say("alice", "/report 2026-09", GENERAL)
    assert said.status == "refused" and not said.elsewhere
    assert "could not open one with you" in said.text
    assert "777" not in said.text and "Acme" not in said.text


async def test_a_conversation_started_in_a_channel_goes_on_in_the_dm(program: Program) -> None:
    asked = await program.say("carol", "/onboard", GENERAL)
    assert asked.here == [SENT_DIRECTLY]
    assert "company's name" in asked.elsewhere["dm-carol"][0]
    assert (await program.say("carol", "Carol Co", GENERAL)).status == "ignored"
    answered = await program.say("carol", "Carol Co")  # in the DM
    assert "kind of partner" in answered.text


async def test_the_caller_is_told_once(program: Program) -> None:
    """Before the workgroup, the partner is told in each contact's DM; not twice in the
    DM of the contact whose command was answered there."""
    await program.say("carol", apply("Carol Co"))
    said = await program.say("carol", "/contacts add @dave", GENERAL)
    assert said.status == "done", said.text
    assert said.here == [SENT_DIRECTLY]
    assert len(said.elsewhere["dm-carol"]) == 1  # the answer, not also the news
    assert "dm-dave" in said.elsewhere  # the new contact is told


# Refusals that would tell of another partner.


async def test_adding_another_partners_contact_tells_nothing_of_it(program: Program) -> None:
    said = await program.say("alice", "/contacts add @bob")  # bob is Bobco's contact
    free = await program.say("alice", "/contacts add @zoe")  # zoe is nobody's
    assert said.status == free.status == "done"  # an invitation either way
    assert said.text == free.text.replace("@zoe", "@bob")
    own = await program.say("alice", "/contacts add @alice")  # their own partner: it says so
    assert own.text == "@alice is already a contact of Acme Hosting."


async def test_an_applicant_is_not_shown_that_the_name_was_taken(program: Program) -> None:
    said = await program.say("carol", apply("Bobco"))
    assert said.status == "done"
    assert "bobco-2" not in said.text and "`bobco" not in said.text
    status = await program.say("carol", "/status")
    assert "bobco-2" not in status.text
    [request] = said.elsewhere["room-ams"]  # the managers are told, with the namesake
    assert "`bobco-2`" in request and "`bobco`" in request
    await program.say("maria", "/approve bobco-2 application")
    approved = await program.say("carol", "/status")  # once approved, the id is its own
    assert "`bobco-2`" in approved.text


def test_the_rule_of_who_reads_a_room() -> None:
    contact = Caller(user("alice"), frozenset({Role.ANYONE, Role.PARTNER}), "acme")
    manager = Caller(user("maria"), frozenset({Role.ANYONE, Role.MANAGER}))
    facts = {"own_dm": None, "managers_room": "room-ams", "workgroup": "room-wg"}
    wg = Room("room-wg", RoomKind.PRIVATE)
    assert shown_here(wg, contact, **facts)
    assert not shown_here(wg, manager, **facts)
    assert shown_here(AMS, manager, **facts) and shown_here(AMS, contact, **facts)
    assert not shown_here(GENERAL, contact, **facts)
    dm = Room("dm-alice", RoomKind.DIRECT)
    assert shown_here(dm, contact, **(facts | {"own_dm": "dm-alice"}))
    assert not shown_here(GROUP_DM, contact, **(facts | {"own_dm": "dm-alice"}))
    # A DM is never the managers' room or a workgroup, whatever the ids say.
    assert not shown_here(dm, contact, **(facts | {"managers_room": "dm-alice"}))
