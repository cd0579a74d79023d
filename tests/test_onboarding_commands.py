"""The onboarding commands through the real dispatcher: the whole flow, conversations,
approval requests, the workgroup, and who may do what."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from storage import SCHEMA, Store
from tests.program import SETTINGS, Program
from workflows.onboarding import STEPS, Partner, State, Status
from workflows.text import quote

APPLY = (
    '/onboard company="Acme Hosting" type=hosting website=https://acme.example '
    "email=partners@acme.example"
)


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    store = await Store.open(None, SCHEMA)
    yield Program(store)
    await store.close()


async def partner(program: Program, partner_id: str) -> Partner:
    doc = await program.store.get("partners", partner_id)
    assert doc is not None
    return Partner.from_doc(doc)


async def onboard_fully(
    program: Program,
    who: str = "alice",
    company: str = "Acme Hosting",
    partner_id: str = "acme-hosting",
) -> None:
    """Every step of one partner, as the flow test does it, without its checks."""
    await program.say(who, APPLY.replace("Acme Hosting", company))
    await program.say("maria", f"/approve {partner_id} application")
    await program.say("maria", f"/approve {partner_id} meeting on=2026-11-26")
    await program.say(who, "/goals 3m five hosted workspaces")
    await program.say(who, "/goals 1y fifty hosted workspaces")
    await program.say("maria", f"/approve {partner_id} goals")
    await program.say(
        "maria", f"/approve {partner_id} contract signed=2026-11-26 term=12 support=yes fee=paid"
    )


async def test_the_whole_onboarding(program: Program) -> None:
    # The application, one question at a time.
    asked = await program.say("alice", "/onboard")
    assert "company's name" in asked.text
    assert "kind of partner" in (await program.say("alice", "Acme Hosting")).text
    assert "website" in (await program.say("alice", "hosting")).text
    assert "must be" in (await program.say("alice", "acme dot example")).text
    assert "e-mail" in (await program.say("alice", "https://acme.example")).text
    sent = await program.say("alice", "partners@acme.example")
    assert "application of Acme Hosting is with the account managers" in sent.text
    request = sent.elsewhere["dm-maria"][0]
    assert "Acme Hosting" in request
    buttons = sent.attachments[0]["actions"]
    assert [(b["text"], b["msg"]) for b in buttons] == [
        ("Approve", "@partnerbot approve acme-hosting application"),
        ("Reject", "@partnerbot reject acme-hosting application "),
    ]

    # The manager clicks Approve: the button sends the mention form.
    approved = await program.say("maria", buttons[0]["msg"])
    assert approved.status == "done", approved.text
    assert (await partner(program, "acme-hosting")).status is Status.ONBOARDING
    assert (await partner(program, "acme-hosting")).manager == "maria"

    await program.say("maria", "/approve acme-hosting meeting on=2026-11-26")
    assert "3 months" in (await program.say("alice", "/goals 3m five hosted workspaces")).text
    goals = await program.say("alice", "/goals 1y fifty hosted workspaces")
    assert goals.elsewhere["dm-maria"]
    await program.say("maria", "/approve acme-hosting goals")

    contract = await program.say(
        "maria", "/approve acme-hosting contract signed=2026-11-26 term=12 support=yes fee=paid"
    )
    assert contract.status == "done", contract.text
    acme = await partner(program, "acme-hosting")
    assert acme.status is Status.ACTIVE
    assert acme.workgroup == "room-partner-acme-hosting"
    assert set(program.chat.groups["partner-acme-hosting"]) == {"alice", "maria"}
    assert contract.elsewhere["room-partner-acme-hosting"]  # the welcome with the checklist

    listing = await program.say("alice", "/listing https://acme.example/partners")
    assert "mentions Rocket.Chat" in listing.text
    assert program.web.checked == ["https://acme.example/partners"]
    await program.say("maria", "/approve acme-hosting listing")
    await program.say("maria", "/approve acme-hosting training on=2026-11-26")

    status = await program.say("alice", "/status")
    acme = await partner(program, "acme-hosting")
    assert [acme.steps[step].state for step in STEPS] == [State.DONE] * 7
    for step in STEPS:
        assert step in status.text
    assert "by @maria" in status.text
    assert status.text.count("✅") == 7

    audit = [entry async for entry in program.store.audit()]
    assert {entry["who"] for entry in audit} >= {"alice", "maria"}
    assert any(entry["what"] == "approved contract" for entry in audit)


async def test_the_application_in_one_message_and_the_export_shape(program: Program) -> None:
    sent = await program.say("alice", APPLY + " country=br")
    assert sent.status == "done", sent.text
    doc = await program.store.get("partners", "acme-hosting")
    assert doc is not None
    assert doc["country"] == "BR"
    assert {
        "id",
        "company",
        "type",
        "status",
        "manager",
        "contacts",
        "workgroup",
        "steps",
    } <= doc.keys()
    assert doc["contacts"] == ["alice"]
    assert doc["steps"]["application"]["state"] == "submitted"
    assert await program.store.get("members", "alice") == {
        "username": "alice",
        "partner": "acme-hosting",
    }


async def test_a_rejection_is_told_with_its_reason(program: Program) -> None:
    await program.say("alice", APPLY)
    asked = await program.say("maria", "/reject acme-hosting application")
    assert asked.text == "Why? (the partner will read it; `cancel` stops)"
    stopped = await program.say("maria", "cancel")
    assert stopped.text == "Not rejected; nothing changed."
    assert (await partner(program, "acme-hosting")).status is Status.APPLICANT
    rejected = await program.say("maria", "/reject acme-hosting application website is down")
    assert "website is down" in rejected.elsewhere["dm-alice"][0]
    assert (await partner(program, "acme-hosting")).status is Status.REJECTED
    again = await program.say("alice", APPLY.replace("acme.example ", "acme.example/new "))
    assert again.status == "done", again.text
    assert (await partner(program, "acme-hosting")).status is Status.APPLICANT


async def test_a_workgroup_that_cannot_be_made_is_retried(program: Program) -> None:
    async def refuse(name: str, members: object) -> str:
        from chat.base import ChatError

        raise ChatError(f"I could not create the group {name}: error-duplicate-channel-name")

    real = program.chat.create_group
    program.chat.create_group = refuse  # type: ignore[method-assign]
    await onboard_fully(program)
    acme = await partner(program, "acme-hosting")
    assert acme.status is Status.ACTIVE
    assert acme.steps[STEPS[5]].state is State.TODO
    program.chat.create_group = real  # type: ignore[method-assign]
    retried = await program.say("maria", "/approve acme-hosting workgroup")
    assert retried.status == "done", retried.text
    assert (await partner(program, "acme-hosting")).workgroup == "room-partner-acme-hosting"


async def test_a_workgroup_name_taken_by_a_stranger_is_passed_over(program: Program) -> None:
    """Someone made `partner-acme-hosting` (the bot may be in it): the workgroup is made
    under the next free name, nothing goes to that room, and the managers are told."""
    program.chat.taken = {"partner-acme-hosting"}
    await onboard_fully(program)
    acme = await partner(program, "acme-hosting")
    assert acme.workgroup == "room-partner-acme-hosting-2"
    assert acme.steps[STEPS[5]].state is State.DONE
    assert set(program.chat.groups) == {"partner-acme-hosting-2"}
    corrected = await program.say(  # a later notice to the partner goes to its workgroup
        "maria", "/approve acme-hosting contract signed=2026-11-26 term=24 support=yes fee=paid"
    )
    assert corrected.status == "done", corrected.text
    assert list(corrected.elsewhere) == ["room-partner-acme-hosting-2"]


async def test_the_managers_hear_which_name_the_workgroup_got(program: Program) -> None:
    program.chat.taken = {"partner-acme-hosting", "partner-acme-hosting-2"}
    await program.say("alice", APPLY)
    await program.say("maria", "/approve acme-hosting application")
    await program.say("maria", "/approve acme-hosting meeting on=2026-11-26")
    await program.say("alice", "/goals 3m five hosted workspaces")
    await program.say("alice", "/goals 1y fifty hosted workspaces")
    await program.say("maria", "/approve acme-hosting goals")
    contract = await program.say(
        "maria", "/approve acme-hosting contract signed=2026-11-26 term=12 support=yes fee=paid"
    )
    assert contract.status == "done", contract.text
    assert (await partner(program, "acme-hosting")).workgroup == "room-partner-acme-hosting-3"
    assert "room-partner-acme-hosting-3" in contract.elsewhere  # the welcome, the checklist
    assert not {"room-partner-acme-hosting", "room-partner-acme-hosting-2"} & set(
        contract.elsewhere
    )
    assert (  # to maria, its manager, in her DM with the bot, where she approved
        "The workgroup of Acme Hosting (`acme-hosting`) is partner-acme-hosting-3: the "
        "name partner-acme-hosting is taken by another room, which gets nothing from me."
    ) in contract.here


async def test_another_partners_workgroup_is_not_taken_over(program: Program) -> None:
    """acme-hosting's workgroup is partner-acme-hosting-2, the first name of the partner
    acme-hosting-2's: that one gets partner-acme-hosting-2-2, not acme-hosting's room."""
    program.chat.taken = {"partner-acme-hosting"}
    await onboard_fully(program)
    await onboard_fully(program, "bob", "ACME  hosting", "acme-hosting-2")
    second = await partner(program, "acme-hosting-2")
    assert second.status is Status.ACTIVE
    assert second.workgroup == "room-partner-acme-hosting-2-2"
    assert program.chat.groups["partner-acme-hosting-2"] == ("alice", "maria")


async def test_a_workgroup_gives_up_when_every_name_is_taken(program: Program) -> None:
    program.chat.taken = {"partner-acme-hosting"} | {
        f"partner-acme-hosting-{n}" for n in range(2, 11)
    }
    await onboard_fully(program)
    acme = await partner(program, "acme-hosting")
    assert acme.workgroup is None and acme.steps[STEPS[5]].state is State.TODO
    assert acme.steps[STEPS[5]].reason == (
        "partner-acme-hosting to partner-acme-hosting-10 are all taken by other rooms"
    )
    assert program.chat.groups == {}


@pytest.mark.parametrize(
    ("company", "partner_id"),
    [
        ("日本語株式会社", "ribenyuzhushihuishe"),
        ("Ελληνική Α.Ε.", "elliniki-a-e"),  # noqa: RUF001 (Greek, as meant)
    ],
)
async def test_a_company_name_in_another_script_is_accepted(
    program: Program, company: str, partner_id: str
) -> None:
    sent = await program.say("alice", APPLY.replace("Acme Hosting", company))
    assert sent.status == "done", sent.text
    assert f"application of {quote(company)} is with" in sent.text
    assert (await partner(program, partner_id)).company == company
    # one field at a time, too
    await program.say("bob", "/onboard")
    answered = await program.say("bob", company)
    assert answered.status == "done", answered.text
    assert "kind of partner" in answered.text


async def test_a_second_application_of_a_known_name_warns_the_managers(program: Program) -> None:
    first = await program.say("alice", APPLY)
    assert "already exists" not in first.elsewhere["dm-maria"][0]
    await program.say("maria", "/approve acme-hosting application")

    again = await program.say("bob", APPLY.replace("Acme Hosting", "ACME  hosting"))
    assert again.status == "done", again.text
    assert "acme-hosting" not in again.text  # not even that the id was taken:
    assert "already exists" not in again.text  # the applicant is not told of other partners
    assert (await partner(program, "acme-hosting-2")).contacts == ("bob",)
    for manager in ("maria", "joao"):
        request = again.elsewhere[f"dm-{manager}"][0]
        assert request.splitlines()[-1] == (
            "⚠️ A partner with the same name already exists: "
            "Acme Hosting (`acme-hosting`, onboarding)."
        )

    third = await program.say("carol", APPLY.replace("Acme Hosting", "Acme-Hosting"))
    assert "acme-hosting" not in third.text
    assert (await partner(program, "acme-hosting-3")).contacts == ("carol",)
    assert third.elsewhere["dm-maria"][0].splitlines()[-1] == (
        "⚠️ 2 partners with the same or a similar name already exist: "
        "Acme Hosting (`acme-hosting`, onboarding); ACME hosting (`acme-hosting-2`, applicant)."
    )

    # "Acme Hosting 2" is another name, though its id comes after acme-hosting's
    other = await program.say("dave", APPLY.replace("Acme Hosting", "Acme Hosting 2"))
    assert (await partner(program, "acme-hosting-2-2")).contacts == ("dave",)
    assert "already exist" not in other.elsewhere["dm-maria"][0]


async def test_applications_of_different_companies_at_once_do_not_conflict(
    program: Program,
) -> None:
    """An application reads only the ids it tries, not every partner: another stored while
    it is under way does not make it run again."""
    asked: list[str] = []
    real = program.chat.direct_room

    async def direct_room(username: str) -> str:
        if username not in SETTINGS.managers:  # the applicant's own DM, where it is answered
            return await real(username)
        asked.append(username)
        if len(asked) == 1:  # alice's request to the managers: bob's application meanwhile
            sent = await program.say("bob", APPLY.replace("Acme Hosting", "Bravo Cloud"))
            assert sent.status == "done", sent.text
        return await real(username)

    program.chat.direct_room = direct_room  # type: ignore[method-assign]
    sent = await program.say("alice", APPLY)
    assert sent.status == "done", sent.text
    assert (await partner(program, "acme-hosting")).contacts == ("alice",)
    assert (await partner(program, "bravo-cloud")).contacts == ("bob",)
    assert len(asked) == 4  # each told both managers once: nothing ran twice


# Who may do what: every command as a contact of A, a contact of B, a manager and a stranger.
A_ONLY = "acme-hosting"
COMMANDS = [
    "/onboard",
    "/help",
    "/status acme-hosting",
    "/goals 3m more",
    "/listing https://acme.example/p",
    "/attest statistics on",
    "/contacts add @zoe",
    "/contacts acme-hosting add @zoe",
    "/join acme-hosting",
    "/partners",
    "/approve acme-hosting meeting on=2026-11-26",
    "/reject acme-hosting goals not ambitious",
    "/assign acme-hosting @joao",
    "/suspend acme-hosting late reports",
    "/reinstate acme-hosting",
    "/remove acme-hosting gone",
    "/report",
    "/report acme-hosting 2026-10 reopen",
    "/terms acme-hosting hosting=25",
    "/review acme-hosting",
    "/review acme-hosting fail late reports",
    "/fee acme-hosting paid",
    "/fee acme-hosting paid 2026",
]
MANAGER_ONLY = {
    "partners",
    "approve",
    "reject",
    "assign",
    "suspend",
    "reinstate",
    "remove",
    "terms",
    "review",
    "fee",
}
PARTNER_ONLY = {"goals", "listing", "attest"}


@pytest.fixture
async def two_partners(program: Program) -> Program:
    await program.say("alice", APPLY)
    await program.say("bob", APPLY.replace("Acme Hosting", "Bravo Cloud"))
    await program.say("maria", "/approve acme-hosting application")
    await program.say("maria", "/approve bravo-cloud application")
    return program


@pytest.mark.parametrize("text", COMMANDS)
@pytest.mark.parametrize("who", ["alice", "bob", "maria", "eve"])
async def test_who_may_do_what(two_partners: Program, who: str, text: str) -> None:
    """alice is a contact of A (acme-hosting), bob of B, maria a manager, eve nobody."""
    program = two_partners
    name = text.split()[0][1:]
    before = await program.snapshot()
    a_before = await program.store.get("partners", "acme-hosting")
    said = await program.say(who, text)
    refused = (
        (who == "eve" and name not in ("onboard", "help"))
        or (who in ("alice", "bob") and "reopen" in text)
        or (who == "maria" and name == "onboard")
        or (who in ("alice", "bob") and name in MANAGER_ONLY)
        or (who == "maria" and name in PARTNER_ONLY)
        or (who == "maria" and text == "/contacts add @zoe")  # a manager names the partner
        or (name == "join")  # nobody is invited
        or (who == "bob" and "acme-hosting" in text)
    )
    if refused:
        assert said.status == "refused", said.text
        assert await program.snapshot() == before
    else:
        assert said.status in ("done", "refused"), said.text  # a rule may still say no
        if said.status == "refused":
            assert await program.snapshot() == before
    if who in ("bob", "eve"):  # nothing of A changes, and nothing of it is shown
        assert await program.store.get("partners", "acme-hosting") == a_before
        assert "Acme Hosting" not in said.text


async def test_requests_go_to_the_managers_room_when_there_is_one(program: Program) -> None:
    settings = replace(program.dispatcher.settings, manager_room="partner-ams")
    program.dispatcher.settings = settings
    program.chat.groups["partner-ams"] = ("maria", "joao")
    sent = await program.say("alice", APPLY)
    assert list(sent.elsewhere) == ["room-partner-ams"]


@pytest.mark.parametrize("creator", ["mallory", None])
async def test_a_managers_room_made_by_anyone_else_is_never_used(
    program: Program, creator: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    """Whoever makes a room of the managers' room's name first and adds the bot must not
    read what the bot tells the managers: an application goes to the managers' DMs, a
    manager's private command typed there answers in the manager's DM, and the log says
    why, once."""
    settings = replace(program.dispatcher.settings, manager_room="partner-ams")
    program.dispatcher.settings = settings
    program.chat.groups["partner-ams"] = ("mallory", "maria")
    program.chat.creators["partner-ams"] = creator
    sent = await program.say("alice", APPLY)
    assert "room-partner-ams" not in sent.elsewhere
    assert sorted(sent.elsewhere) == [f"dm-{name}" for name in sorted(SETTINGS.managers)]
    shown = await program.say("maria", "/status acme-hosting", room="partner-ams")
    assert shown.elsewhere and "Acme" not in shown.text
    warnings = [r.message for r in caplog.records if "PARTNERBOT_MANAGER_ROOM" in r.message]
    assert len(warnings) == 1 and "not used" in warnings[0]


async def test_a_managers_room_an_account_manager_made_is_used(program: Program) -> None:
    settings = replace(program.dispatcher.settings, manager_room="partner-ams")
    program.dispatcher.settings = settings
    program.chat.groups["partner-ams"] = ("maria", "joao")
    program.chat.creators["partner-ams"] = "Maria"  # usernames match whatever their case
    sent = await program.say("alice", APPLY)
    assert list(sent.elsewhere) == ["room-partner-ams"]


async def test_usernames_are_matched_whatever_their_case(program: Program) -> None:
    await program.say("Alice", APPLY)
    assert await program.store.get("members", "alice") is not None
    assert (await program.say("alice", "/status")).status == "done"


async def test_a_refused_answer_asks_the_same_question_again(program: Program) -> None:
    await program.say("alice", "/onboard")
    await program.say("alice", "Soluções Ágeis Ltda.")
    await program.say("alice", "value-added")
    refused = await program.say("alice", "solucoes dot example")
    assert refused.status == "refused"
    assert refused.text.endswith("What is your company's website (https://...)?")
    bare = await program.say("alice", "solucoes.example")
    assert "I read the website as https://solucoes.example." in bare.text
    assert "e-mail" in bare.text
    await program.say("alice", "partners@solucoes.example")
    assert (await partner(program, "solucoes-ageis-ltda")).website == "https://solucoes.example"


async def test_a_bare_domain_in_one_message_is_confirmed(program: Program) -> None:
    sent = await program.say("alice", APPLY.replace("https://acme.example", "acme.example"))
    assert "I read the website as https://acme.example." in sent.text
    assert (await partner(program, "acme-hosting")).website == "https://acme.example"


async def test_an_answer_after_the_conversation_expired_says_so(program: Program) -> None:
    await program.say("alice", "/onboard")
    program.clock.advance(minutes=31)
    late = await program.say("alice", "Acme Hosting")
    assert late.text == "That question expired; start again with `/onboard`."
    assert "only understand" in (await program.say("alice", "hello?")).text
    assert await program.store.get("partners", "acme-hosting") is None


async def test_a_missing_field_shows_the_usage_and_keeps_the_keys_case(program: Program) -> None:
    await program.say("alice", APPLY)
    await program.say("maria", "/approve acme-hosting application")
    said = await program.say("maria", "/approve acme-hosting meeting")
    assert said.status == "refused"
    assert said.text.startswith("on=YYYY-MM-DD is required")
    assert "Usage: `/approve " in said.text and "Example: `/approve " in said.text
    later = await program.say("maria", "/approve acme-hosting meeting on=2026-11-26")
    assert later.status == "done"
    done_first = await program.say("maria", "/approve acme-hosting contract signed=2026-11-26")
    assert done_first.status == "refused" and "Usage:" not in done_first.text  # a rule
    await program.say("alice", "/goals 3m five hosted workspaces")
    await program.say("alice", "/goals 1y fifty hosted workspaces")
    await program.say("maria", "/approve acme-hosting goals")
    signed = await program.say("maria", "/approve acme-hosting contract fee=paid support=yes")
    assert signed.text.startswith("signed=YYYY-MM-DD is required") and "Usage:" in signed.text


async def test_confirmations_name_the_company_first(program: Program) -> None:
    await program.say("alice", APPLY)
    approved = await program.say("maria", "/approve acme-hosting application")
    assert approved.text == (
        "Acme Hosting (`acme-hosting`): application approved. Status: onboarding."
    )
    await program.say("maria", "/approve acme-hosting meeting on=2026-11-26")
    await program.say("alice", "/goals 3m five hosted workspaces")
    await program.say("alice", "/goals 1y fifty hosted workspaces")
    rejected = await program.say("maria", "/reject acme-hosting goals too vague")
    assert (
        rejected.text == "Acme Hosting (`acme-hosting`): goals rejected; the partner is told why."
    )
    unknown = await program.say("maria", "/status nobody")
    assert unknown.text == "There is no partner with the id `nobody` that you can see."


async def test_the_reject_button_asks_for_the_reason(program: Program) -> None:
    sent = await program.say("alice", APPLY)
    reject = sent.attachments[0]["actions"][1]["msg"]
    asked = await program.say("maria", reject)
    assert asked.status == "done" and asked.text.startswith("Why? (the partner will read it")
    told = await program.say("maria", "the website does not load")
    assert (
        told.text == "Acme Hosting (`acme-hosting`): application rejected; the partner is told why."
    )
    assert "the website does not load" in told.elsewhere["dm-alice"][0]
    assert (await partner(program, "acme-hosting")).status is Status.REJECTED
    assert (await program.say("maria", "hello")).text.startswith("I only understand")
    nothing = await program.say("maria", "/reject acme-hosting meeting")
    assert nothing.status == "refused"
    assert (await program.say("maria", "hello")).text.startswith("I only understand")
