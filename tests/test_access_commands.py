"""Access follows status, contacts by consent, no conflicts of interest: the commands
through the real dispatcher, with fake chat actions (the emulator's end of it is in
tests/test_access_e2e.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from engine.framework import Role
from engine.registry import Registry
from storage import SCHEMA, Store
from tests.program import SETTINGS, Program
from tests.test_onboarding_commands import APPLY, onboard_fully, partner

WORKGROUP = "partner-acme-hosting"
CONFLICT = "You are a contact of Acme Hosting: another account manager does that."


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    store = await Store.open(None, SCHEMA)
    yield Program(store)
    await store.close()


@pytest.fixture
async def acme(program: Program) -> Program:
    """Acme Hosting, active, alice its contact, maria its manager, in its workgroup."""
    await onboard_fully(program)
    assert set(program.chat.groups[WORKGROUP]) == {"alice", "maria"}
    return program


async def everything(program: Program) -> dict[str, list[dict[str, Any]]]:
    """Every collection a command may change (not the bot's bookkeeping)."""
    names = ("partners", "members", "terms", "reports", "reviews", "fees", "filings")
    return {name: [doc async for doc in program.store.scan(name)] for name in names}


async def joined(program: Program, username: str, by: str = "alice") -> None:
    invited = await program.say(by, f"/contacts add @{username}")
    assert invited.status == "done", invited.text
    accepted = await program.say(username, "/join acme-hosting")
    assert accepted.status == "done", accepted.text


# Contacts by consent ------------------------------------------------------------------


async def test_a_contact_by_invitation_and_consent(acme: Program) -> None:
    program = acme
    said = await program.say("alice", "/contacts add @Bob", room=WORKGROUP)
    assert said.status == "done", said.text
    assert said.text == (
        "I sent @bob an invitation to be a contact of Acme Hosting; they become one when "
        "they accept it (`/join acme-hosting`)."
    )
    [invitation] = said.elsewhere["dm-bob"]
    assert "@alice invites you to be a contact of Acme Hosting (`acme-hosting`)" in invitation
    buttons = said.attachments[0]["actions"]
    assert [(b["text"], b["msg"]) for b in buttons] == [("Join", "@partnerbot join acme-hosting")]
    # not a contact yet: no access, not in the workgroup, free to apply for their company
    assert await program.store.get("members", "bob") is None
    assert set(program.chat.groups[WORKGROUP]) == {"alice", "maria"}
    assert (await program.say("bob", "/status")).status == "refused"
    listed = await program.say("alice", "/contacts")
    assert listed.text == ("Contacts of Acme Hosting: @alice\nInvited, not accepted yet: @bob")

    accepted = await program.say("Bob", buttons[0]["msg"])  # what the button sends
    assert accepted.status == "done", accepted.text
    assert accepted.text.startswith("Welcome: you are a contact of Acme Hosting (`acme-hosting`)")
    assert "@Bob accepted the invitation" in accepted.elsewhere[f"room-{WORKGROUP}"][0]
    assert (await program.store.get("members", "bob")) == {
        "username": "bob",
        "partner": "acme-hosting",
    }
    assert set(program.chat.groups[WORKGROUP]) == {"alice", "maria", "Bob"}
    assert (await partner(program, "acme-hosting")).contacts == ("alice", "Bob")
    assert (await partner(program, "acme-hosting")).invited == ()
    again = await program.say("bob", "/join acme-hosting")
    assert again.status == "refused"


async def test_join_refusals_reveal_no_partner(acme: Program) -> None:
    program = acme
    await program.say("carol", APPLY.replace("Acme Hosting", "Bravo Cloud"))
    before = await everything(program)
    unknown = await program.say("eve", "/join nowhere")
    not_invited = await program.say("eve", "/join bravo-cloud")
    assert (unknown.status, not_invited.status) == ("refused", "refused")
    assert unknown.text.replace("nowhere", "X") == not_invited.text.replace("bravo-cloud", "X")
    assert "Bravo" not in not_invited.text
    usage = await program.say("eve", "/join")
    assert usage.status == "refused" and "Usage: `/join <partner-id>`" in usage.text
    assert await everything(program) == before

    # carol belongs to Bravo Cloud: inviting her reads as inviting anyone (nothing of Bravo
    # is told to acme), and she cannot accept without leaving Bravo first
    free = await program.say("alice", "/contacts add @zoe")
    taken = await program.say("alice", "/contacts add @carol")
    assert taken.status == "done"
    assert taken.text == free.text.replace("zoe", "carol")
    refused = await program.say("carol", "/join acme-hosting")
    assert refused.status == "refused"
    assert refused.text.startswith("You are already a contact of a partner")
    assert (await partner(program, "acme-hosting")).contacts == ("alice",)
    assert (await program.store.get("members", "carol"))["partner"] == "bravo-cloud"  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "/contacts add @maria",
            "@maria is an account manager: account managers cannot be contacts of a partner.",
        ),
        (
            "/contacts add @JOAO",
            "@joao is an account manager: account managers cannot be contacts of a partner.",
        ),
        ("/contacts add @partnerbot", "I am the bot: I cannot be a contact of a partner."),
        ("/contacts add @alice", "@alice is already a contact of Acme Hosting."),
    ],
)
async def test_managers_and_the_bot_cannot_become_contacts(
    acme: Program, text: str, message: str
) -> None:
    before = await everything(acme)
    said = await acme.say("alice", text)
    assert (said.status, said.text, said.elsewhere) == ("refused", message, {})
    assert await everything(acme) == before


async def test_a_user_made_a_manager_after_the_invitation_cannot_accept(acme: Program) -> None:
    await acme.say("alice", "/contacts add @dora")
    acme.dispatcher.settings = replace(SETTINGS, managers=SETTINGS.managers | {"dora"})
    said = await acme.say("dora", "/join acme-hosting")
    assert said.text == (
        "@dora is an account manager: account managers cannot be contacts of a partner."
    )
    assert (await partner(acme, "acme-hosting")).contacts == ("alice",)


async def test_an_invitation_is_withdrawn(acme: Program) -> None:
    await acme.say("alice", "/contacts add @bob")
    withdrawn = await acme.say("alice", "/contacts remove @bob")
    assert withdrawn.text == "The invitation of @bob to Acme Hosting is withdrawn."
    assert (await acme.say("bob", "/join acme-hosting")).status == "refused"
    assert (await partner(acme, "acme-hosting")).invited == ()


async def test_account_managers_manage_a_partners_contacts(acme: Program) -> None:
    """A partner whose only active contact left is repaired: the manager invites a new
    one, who accepts, and removes the old one."""
    program = acme
    invited = await program.say("maria", "/contacts acme-hosting add @bob")
    assert invited.status == "done", invited.text
    assert invited.elsewhere["dm-bob"]  # the invitation: a manager's add needs consent too
    assert await program.store.get("members", "bob") is None
    assert (await program.say("bob", "/join acme-hosting")).status == "done"
    removed = await program.say("maria", "/contacts acme-hosting remove @alice")
    assert removed.text == "@alice is no longer a contact of Acme Hosting."
    assert set(program.chat.groups[WORKGROUP]) == {"maria", "bob"}
    assert await program.store.get("members", "alice") is None
    listed = await program.say("maria", "/contacts acme-hosting")
    assert listed.text == "Contacts of Acme Hosting: @bob"
    last = await program.say("maria", "/contacts acme-hosting remove @bob")
    assert last.status == "refused" and "only contact" in last.text
    unnamed = await program.say("maria", "/contacts add @zoe")
    assert unnamed.status == "refused" and "Name the partner first" in unnamed.text
    bare = await program.say("maria", "/contacts")
    assert bare.status == "refused" and "Name the partner first" in bare.text


# Access follows status ----------------------------------------------------------------


async def test_access_follows_status(acme: Program) -> None:
    program = acme
    await joined(program, "bob")
    assert set(program.chat.groups[WORKGROUP]) == {"alice", "maria", "bob"}
    await program.say("alice", "/contacts add @carol")  # invited before the suspension

    suspended = await program.say("maria", "/suspend acme-hosting no report for October")
    assert suspended.status == "done", suspended.text
    assert set(program.chat.groups[WORKGROUP]) == {"maria"}  # the manager stays
    for contact in ("alice", "bob"):  # told directly: they no longer read the workgroup
        assert "no report for October" in suspended.elsewhere[f"dm-{contact}"][0]
    before = await everything(program)
    refused = await program.say("alice", "/contacts add @dave")
    assert refused.text == (
        "Acme Hosting is suspended: it takes no new contacts until it is reinstated."
    )
    assert (await program.say("carol", "/join acme-hosting")).status == "refused"
    assert (await program.say("maria", "/contacts acme-hosting add @dave")).status == "refused"
    assert await everything(program) == before

    reinstated = await program.say("maria", "/reinstate acme-hosting")
    assert reinstated.status == "done", reinstated.text
    assert set(program.chat.groups[WORKGROUP]) == {"maria", "alice", "bob"}
    assert "active partner again" in reinstated.elsewhere[f"room-{WORKGROUP}"][0]
    assert (await program.say("carol", "/join acme-hosting")).status == "done"
    assert set(program.chat.groups[WORKGROUP]) == {"maria", "alice", "bob", "carol"}

    removed = await program.say("maria", "/remove acme-hosting the agreement ended")
    assert removed.status == "done", removed.text
    assert set(program.chat.groups[WORKGROUP]) == {"maria"}
    assert "the agreement ended" in removed.elsewhere["dm-carol"][0]
    assert (await program.say("alice", "/contacts add @dave")).status == "refused"


async def test_a_removed_contact_leaves_the_workgroup(acme: Program) -> None:
    await joined(acme, "bob")
    await acme.say("alice", "/contacts remove @bob")
    assert set(acme.chat.groups[WORKGROUP]) == {"alice", "maria"}
    assert await acme.store.get("members", "bob") is None


async def test_one_member_that_cannot_be_removed_keeps_none_of_the_others_in(
    acme: Program,
) -> None:
    await joined(acme, "bob")
    real = acme.chat.remove_members

    async def remove_members(room_id: str, usernames: Any) -> None:
        if "alice" in usernames:
            from chat.base import ChatError

            raise ChatError("I could not remove @alice: error-not-allowed")
        await real(room_id, usernames)

    acme.chat.remove_members = remove_members  # type: ignore[method-assign]
    said = await acme.say("maria", "/suspend acme-hosting late")
    assert set(acme.chat.groups[WORKGROUP]) == {"alice", "maria"}  # bob is out all the same
    assert "I could not remove @alice" in said.text  # told to the managers: maria, here


# No conflicts of interest -------------------------------------------------------------

# Every manager command that acts on a partner, as the manager who is also its contact
# types it (alice, listed in PARTNERBOT_MANAGERS after she applied).
AS_CONTACT = [
    "/approve acme-hosting training on=2026-11-26",
    "/reject acme-hosting listing not our logo",
    "/assign acme-hosting @joao",
    "/suspend acme-hosting late",
    "/reinstate acme-hosting",
    "/remove acme-hosting gone",
    "/terms acme-hosting hosting=0 referred=0 premium=0 services=0",
    "/terms acme-hosting",
    "/review acme-hosting",
    "/review acme-hosting pass",
    "/fee acme-hosting paid",
    "/certify acme-hosting private-cloud-hosting",
    "/refer R-1 offer acme-hosting",
    "/fee acme-hosting",
    "/report acme-hosting 2026-11 reopen",
    "/report 2026-11 reopen",
    "/contacts acme-hosting add @zoe",
    "/contacts acme-hosting remove @alice",
    "/audit acme-hosting",
    "/registration foo award acme-hosting",
]
NAMES_NO_PARTNER = {
    "partners",
    "export",
    "overdue",
    "announce",
}  # manager commands on no one partner


@pytest.fixture
async def alice_a_manager(acme: Program) -> Program:
    """alice, acme's contact, listed in PARTNERBOT_MANAGERS; acme's November report filed."""
    program = acme
    program.clock.advance(days=6)  # 2 December
    await program.say("alice", "/report 2026-11 deal client=Foo amount=1000 kind=hosting")
    assert (await program.say("alice", "/report 2026-11 submit")).status == "done"
    await program.say("bob", APPLY.replace("Acme Hosting", "Bravo Cloud"))
    program.dispatcher.settings = replace(SETTINGS, managers=SETTINGS.managers | {"alice"})
    return program


@pytest.mark.parametrize("text", AS_CONTACT)
async def test_a_manager_does_not_act_on_a_partner_they_are_a_contact_of(
    alice_a_manager: Program, text: str
) -> None:
    program = alice_a_manager
    before = await everything(program)
    said = await program.say("alice", text)
    assert (said.status, said.text, said.elsewhere) == ("refused", CONFLICT, {})
    assert await everything(program) == before


def test_every_manager_command_on_a_partner_is_checked() -> None:
    """A manager command added later is added to `AS_CONTACT` (or `NAMES_NO_PARTNER`)."""
    checked = {text.split()[0][1:] for text in AS_CONTACT}
    manager_only = {c.name for c in Registry.discover() if c.roles == {Role.MANAGER}}
    assert manager_only - NAMES_NO_PARTNER <= checked


async def test_such_a_manager_still_acts_on_other_partners(alice_a_manager: Program) -> None:
    program = alice_a_manager
    said = await program.say("alice", "/terms bravo-cloud hosting=25")
    assert said.status == "done", said.text
    assert (await program.say("alice", "/status")).status == "done"  # her own, as a contact
    assert (await program.say("alice", "/report 2026-11")).status == "done"


async def test_other_managers_act_on_it(alice_a_manager: Program) -> None:
    """The same commands by maria, who is no contact: none of them hears the refusal."""
    program = alice_a_manager
    for text in AS_CONTACT:
        said = await program.say(
            "maria", text.replace("/report 2026-11", "/report acme-hosting 2026-11")
        )
        assert said.text != CONFLICT, text


# Managers taken out of PARTNERBOT_MANAGERS --------------------------------------------


async def test_a_former_managers_partners_go_to_the_remaining_managers(program: Program) -> None:
    program.dispatcher.settings = replace(SETTINGS, managers=SETTINGS.managers | {"bob"})
    await program.say("alice", APPLY)
    await program.say("bob", "/approve acme-hosting application")  # bob is its manager
    program.dispatcher.settings = SETTINGS  # bob is no longer a manager

    sent = await program.say("alice", "/goals 3m five hosted workspaces")
    sent = await program.say("alice", "/goals 1y fifty hosted workspaces")
    assert sorted(sent.elsewhere) == ["dm-joao", "dm-maria"]  # not dm-bob
    assert (await program.say("bob", "/approve acme-hosting goals")).status == "refused"

    await program.say("maria", "/approve acme-hosting goals")
    await program.say("maria", "/approve acme-hosting meeting on=2026-11-26")
    await program.say(
        "maria", "/approve acme-hosting contract signed=2026-11-26 term=12 support=yes fee=paid"
    )
    assert set(program.chat.groups[WORKGROUP]) == {"alice"}  # not with a former manager
    moved = await program.say("maria", "/assign acme-hosting @joao")
    assert moved.status == "done", moved.text
    assert set(program.chat.groups[WORKGROUP]) == {"alice", "joao"}
    sent = await program.say("alice", "/listing https://acme.example/partners")
    assert sorted(sent.elsewhere) == ["dm-joao"]
