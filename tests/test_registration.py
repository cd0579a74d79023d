"""Deal registration (issue 16, item 4): the normaliser's properties, and /registration and
the filing hook through the real dispatcher, with the clock moved by hand."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage import SCHEMA, Store
from tests.program import SETTINGS, Program
from tests.test_onboarding_commands import onboard_fully
from tests.test_user_text import CLIENT, COMPANY, MARK, echoed, problems
from workflows.onboarding import slug
from workflows.registration import (
    SUFFIXES,
    Registration,
    Reported,
    award,
    clients,
    holds_until,
    normalise,
    on_filing,
)

# The normaliser -----------------------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyz"
ACCENTED = {
    "a": "áàâãäå",
    "e": "éèêë",
    "i": "íìîï",
    "o": "óòôõö",
    "u": "úùûü",
    "c": "ç",
    "n": "ñ",
}
# Words with a letter first that are no suffix, so a name made of them keeps every word.
words = st.text(LETTERS + "0123456789", min_size=1, max_size=8).filter(
    lambda word: word[0].isalpha() and (word,) not in SUFFIXES
)
names = st.lists(words, min_size=1, max_size=4).map(" ".join)
# How the suffixes are written: "S.A.", "s.a", "SA", "Ltd.", ", Inc." ...
WRITTEN_SUFFIXES = [
    "Ltd",
    "Ltd.",
    "LTDA",
    "Ltda.",
    "LLC",
    "L.L.C.",
    "GmbH",
    "Inc",
    ", Inc.",
    "S.A.",
    "S. A.",
    "SA",
    "s.a",
    "S.L.",
    "SL",
    "Corp",
    "Corp.",
    "Corporation",
    "Co. Ltd",
    "S.A. de C.V.",
]
blanks = st.text(" \t\n\u00a0\u2003", min_size=1, max_size=3)


@given(names)
def test_a_plain_name_is_its_own_key(name: str) -> None:
    assert normalise(name) == name
    assert normalise(normalise(name)) == normalise(name)


@given(names, st.sampled_from(WRITTEN_SUFFIXES), st.sampled_from(WRITTEN_SUFFIXES))
def test_company_suffixes_do_not_count(name: str, suffix: str, another: str) -> None:
    assert normalise(f"{name} {suffix}") == normalise(name)
    assert normalise(f"{name} {suffix} {another}") == normalise(name)


@given(names, st.data())
def test_case_does_not_count(name: str, data: st.DataObject) -> None:
    upper = [data.draw(st.booleans()) for _char in name]
    mixed = "".join(c.upper() if up else c for c, up in zip(name, upper, strict=True))
    assert normalise(mixed) == normalise(name)
    assert normalise(name.upper()) == normalise(name)


@given(names, st.data())
def test_accents_do_not_count(name: str, data: st.DataObject) -> None:
    accented = "".join(
        data.draw(st.sampled_from(ACCENTED[c])) if c in ACCENTED and data.draw(st.booleans()) else c
        for c in name
    )
    assert normalise(accented) == normalise(name)


@given(st.lists(words, min_size=1, max_size=4), st.data())
def test_blanks_and_punctuation_between_words_do_not_count(
    parts: list[str], data: st.DataObject
) -> None:
    between = [
        data.draw(st.one_of(blanks, st.sampled_from([", ", " - ", " & ", "/"]))) for _p in parts
    ]
    written = data.draw(blanks) + "".join(
        part + sep for part, sep in zip(parts, between, strict=True)
    )
    assert normalise(written) == " ".join(parts)


@given(st.text(max_size=60))
def test_any_text_gives_a_key_or_nothing(text: str) -> None:
    key = normalise(text)
    assert normalise(key) == key
    assert key == " ".join(key.split())
    assert key.isascii() and key == key.lower()


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Soluções Ágeis Ltda.", "SOLUCOES AGEIS"),
        ("Foo Corp", "foo, inc."),
        ("Müller GmbH", "Muller"),
        ("O'Brien & Sons, LLC", "OBrien Sons"),
        ("Acme S.A.", "acme sa"),
        ("Contoso, S.L.", "Contoso"),
    ],
)
def test_examples_of_one_client(one: str, other: str) -> None:
    assert normalise(one) == normalise(other)


def test_a_name_of_suffixes_keeps_a_word_and_punctuation_alone_has_no_key() -> None:
    assert normalise("Inc") == "inc"
    assert normalise("Co. Ltd") == "co"
    assert normalise("!!! ...") == ""
    assert normalise("Foo Bar") != normalise("Foobar Ltd")  # words keep their breaks
    assert normalise("Foo Bar") != normalise("Foo Baz")


# The rules ----------------------------------------------------------------------------

DAY = date(2026, 12, 2)


def test_a_prospect_registers_and_a_deal_does_not() -> None:
    reported = clients([Reported("Foo Corp", True), Reported("Bar", False)])
    outcome = on_filing("acme", reported, {}, DAY, 90)
    assert [(r.client, r.partner, r.until) for r in outcome.changed] == [
        ("foo", "acme", date(2027, 3, 1))
    ]
    assert outcome.conflicts == ()
    assert holds_until(DAY, 1) == DAY


def test_another_partners_entry_is_a_conflict_told_once() -> None:
    held = Registration("foo", "Foo Corp", "acme", DAY, holds_until(DAY, 90))
    reported = clients([Reported("FOO Inc", False), Reported("foo", True)])
    first = on_filing("bobco", reported, {"foo": held}, DAY, 90)
    [conflict] = first.conflicts
    assert (conflict.other, conflict.prospect) == ("bobco", True)
    [noticed] = first.changed
    assert (noticed.partner, noticed.noticed) == ("acme", (("acme", "bobco"),))
    again = on_filing("bobco", reported, {"foo": noticed}, DAY, 90)
    assert again == type(again)()  # nothing changes, nobody is told


def test_an_expired_registration_stops_counting() -> None:
    held = Registration("foo", "Foo", "acme", DAY, holds_until(DAY, 90))
    later = date(2027, 3, 2)
    assert held.active(date(2027, 3, 1)) and not held.active(later)
    outcome = on_filing("bobco", clients([Reported("Foo", True)]), {"foo": held}, later, 90)
    assert outcome.conflicts == ()
    assert [r.partner for r in outcome.changed] == ["bobco"]


def test_an_award_moves_it_for_the_days_from_then() -> None:
    held = Registration("foo", "Foo", "acme", DAY, holds_until(DAY, 90), noticed=(("a", "b"),))
    moved = award(held, "bobco", "maria", date(2027, 1, 10), 30)
    assert (moved.partner, moved.since, moved.until, moved.awarded_by, moved.noticed) == (
        "bobco",
        date(2027, 1, 10),
        date(2027, 2, 8),
        "maria",
        (("a", "b"),),
    )
    assert Registration.from_doc(moved.to_doc()) == moved


# Through the dispatcher ---------------------------------------------------------------

ACME, BOBCO = "acme-hosting", "bravo-cloud"
FILED = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    """Acme Hosting (alice) and Bravo Cloud (bob), both active, maria their manager; the
    clock on 2026-12-02, when the November reports are open."""
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    await onboard_fully(program)
    await onboard_fully(program, "bob", "Bravo Cloud", BOBCO)
    program.clock.now = FILED
    yield program
    await store.close()


async def file(program: Program, who: str, *entries: str) -> list[str]:
    """`who` files the November report with `entries`; what the managers' DMs got."""
    for entry in entries:
        said = await program.say(who, f"/report 2026-11 {entry}")
        assert said.status == "done", said.text
    said = await program.say(who, "/report 2026-11 submit")
    assert said.status == "done", said.text
    assert "registration" not in said.text.lower()  # the partner is told nothing
    return [
        text for room, texts in said.elsewhere.items() if room.startswith("dm-") for text in texts
    ]


def notices(texts: list[str]) -> list[str]:
    return [text for text in texts if text.startswith("Deal registration")]


async def registrations(program: Program) -> list[dict[str, Any]]:
    return [doc async for doc in program.store.scan("registrations")]


PROSPECT = 'prospect client="Foo Corp" amount=5000 close=2027-03'


async def test_a_conflict_tells_the_managers_once_and_neither_partner(program: Program) -> None:
    told = await file(program, "alice", PROSPECT)
    assert notices(told) == []
    [doc] = await registrations(program)
    assert (doc["client"], doc["partner"], doc["until"]) == ("foo", ACME, "2027-03-01")

    program.clock.advance(hours=1)
    told = await file(
        program,
        "bob",
        'deal client="FOO, Inc." amount=1000 kind=services',
        'prospect client="foo corp." amount=2000 close=2027-04',
    )
    [notice] = notices(told)  # one, for two entries, to maria (the manager of both)
    assert notice == (
        "Deal registration: Foo Corp is registered to Acme Hosting (`acme-hosting`) until "
        "2027-03-01.\n"
        "Bravo Cloud (`bravo-cloud`) reported foo corp. as a prospect in its report for "
        "2026-11.\n"
        'Neither partner was told. Decide with `/registration "foo" award <partner-id>`.'
    )
    [doc] = await registrations(program)
    assert doc["partner"] == ACME  # the registration stays

    # the same pair and client again, after a reopen and a re-filing: not told again
    assert (await program.say("maria", "/report bravo-cloud 2026-11 reopen")).status == "done"
    said = await program.say("bob", "/report 2026-11 submit")
    assert said.status == "done"
    assert notices([t for texts in said.elsewhere.values() for t in texts]) == []


async def test_the_notice_has_award_buttons(program: Program) -> None:
    await file(program, "alice", PROSPECT)
    for entry in ['deal client="Foo Corp" amount=1000 kind=services']:
        await program.say("bob", f"/report 2026-11 {entry}")
    said = await program.say("bob", "/report 2026-11 submit")
    buttons = [a for att in said.attachments for a in att.get("actions", [])]
    assert [(b["text"], b["msg"]) for b in buttons] == [
        ("Award to acme-hosting", '@partnerbot registration "foo" award acme-hosting'),
        ("Award to bravo-cloud", '@partnerbot registration "foo" award bravo-cloud'),
    ]
    awarded = await program.say("maria", buttons[1]["msg"])
    assert awarded.status == "done", awarded.text
    assert awarded.text == "Foo Corp is registered to Bravo Cloud (`bravo-cloud`) until 2027-03-01."


async def test_both_filing_in_one_burst_the_managers_hear_once(
    program: Program, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="engine.dispatch")
    for who in ("alice", "bob"):
        said = await program.say(who, f"/report 2026-11 {PROSPECT}")
        assert said.status == "done"
    both = await asyncio.gather(
        program.say("alice", "/report 2026-11 submit"), program.say("bob", "/report 2026-11 submit")
    )
    assert [said.status for said in both] == ["done", "done"]
    assert "conflict handling" in caplog.text  # they did overlap: one ran again, alone
    told = [t for said in both for texts in said.elsewhere.values() for t in texts]
    assert len(notices(told)) == 1
    [doc] = await registrations(program)
    assert doc["noticed"] == [[doc["partner"], ({ACME, BOBCO} - {doc["partner"]}).pop()]]


async def test_managers_see_who_holds_it_and_award_it(program: Program) -> None:
    await file(program, "alice", PROSPECT)
    shown = await program.say("maria", "/registration foo corp")
    assert shown.text == (
        "Foo Corp is registered to Acme Hosting (`acme-hosting`) from 2026-12-02 until 2027-03-01."
    )
    program.clock.now = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
    awarded = await program.say("maria", '/registration "Foo Corp Ltd" award bravo-cloud')
    assert awarded.status == "done", awarded.text
    assert awarded.text == "Foo Corp is registered to Bravo Cloud (`bravo-cloud`) until 2027-04-09."
    assert awarded.elsewhere["room-partner-bravo-cloud"] == [
        "An account manager registered Foo Corp to you until 2027-04-09."
    ]
    [lost] = awarded.elsewhere["room-partner-acme-hosting"]
    assert "Bravo" not in lost and "bravo" not in lost
    shown = await program.say("maria", "/registration foo")
    assert "Bravo Cloud (`bravo-cloud`) from 2027-01-10 until 2027-04-09" in shown.text
    assert "Awarded by @maria." in shown.text
    confirmed = await program.say("maria", "/registration foo award bravo-cloud")
    assert confirmed.elsewhere["room-partner-bravo-cloud"] == [
        "An account manager confirmed your deal registration for Foo Corp until 2027-04-09."
    ]
    audit = await program.say("maria", "/audit acme-hosting 3")
    assert "registration foo: awarded to bravo-cloud" in audit.text
    listed = await program.say("maria", "/registration")
    assert listed.text.endswith("• Foo Corp: `bravo-cloud` until 2027-04-09")


async def test_expiry_by_the_clock(program: Program) -> None:
    await file(program, "alice", PROSPECT)
    program.clock.now = datetime(2027, 3, 1, 23, 0, tzinfo=UTC)
    assert "Foo Corp until 2027-03-01" in (await program.say("alice", "/registration")).text
    program.clock.now = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
    assert (await program.say("alice", "/registration")).text.startswith(
        "You hold no deal registration now."
    )
    assert "it has expired" in (await program.say("maria", "/registration foo")).text
    # an expired registration is no conflict: bob's prospect takes it
    program.clock.now = datetime(2027, 3, 2, 12, 0, tzinfo=UTC)
    said = await program.say("bob", f"/report 2027-02 {PROSPECT.replace('2027-03', '2027-05')}")
    assert said.status == "done", said.text
    said = await program.say("bob", "/report 2027-02 submit")
    assert notices([t for texts in said.elsewhere.values() for t in texts]) == []
    [doc] = await registrations(program)
    assert (doc["partner"], doc["since"], doc["until"]) == (BOBCO, "2027-03-02", "2027-05-30")


async def test_the_days_are_configurable(program: Program) -> None:
    program.dispatcher.settings = replace(SETTINGS, registration_days=30)
    await file(program, "alice", PROSPECT)
    [doc] = await registrations(program)
    assert doc["until"] == "2026-12-31"


async def test_a_partner_sees_its_own_and_nothing_of_anothers(program: Program) -> None:
    await file(program, "alice", PROSPECT)
    await file(program, "bob", 'prospect client="Bar" amount=10 close=2027-03')
    mine = await program.say("alice", "/registration")
    assert mine.text == "Your deal registrations:\n• Foo Corp until 2027-03-01"
    assert "Bar" not in mine.text
    own = await program.say("alice", "/registration FOO")
    assert own.text == "You hold the deal registration for Foo Corp until 2027-03-01."
    anothers = await program.say("alice", "/registration Bar")
    unknown = await program.say("alice", "/registration Nobody")
    assert (anothers.status, unknown.status) == ("refused", "refused")
    assert anothers.text.replace("Bar", "X") == unknown.text.replace("Nobody", "X")
    assert "Bravo" not in anothers.text


@pytest.mark.parametrize(
    ("who", "text", "says"),
    [
        ("alice", "/registration Foo award acme-hosting", "Only account managers award"),
        ("maria", "/registration Nobody", "No partner has registered Nobody."),
        ("maria", "/registration Nobody award acme-hosting", "No partner has registered Nobody."),
        ("maria", "/registration Foo award", "Name the partner to award it to"),
        ("maria", "/registration Foo award acme-hosting extra", "Name the partner to award"),
        ("maria", "/registration Foo award nowhere", "There is no partner with the id"),
        ("maria", '/registration "!!!"', "is not a client's name"),
    ],
)
async def test_bad_input_changes_nothing(program: Program, who: str, text: str, says: str) -> None:
    await file(program, "alice", PROSPECT)
    before = await registrations(program)
    said = await program.say(who, text)
    assert said.status == "refused"
    assert says in said.text
    assert said.elsewhere == {}
    assert await registrations(program) == before


async def test_an_inactive_partner_is_not_awarded(program: Program) -> None:
    await file(program, "alice", PROSPECT)
    assert (await program.say("maria", "/suspend bravo-cloud late")).status == "done"
    said = await program.say("maria", "/registration foo award bravo-cloud")
    assert said.status == "refused"
    assert "not active" in said.text


async def test_hostile_names_in_the_notice_are_inert(program: Program) -> None:
    program.clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # applied before signing
    await onboard_fully(program, "mallory", COMPANY, slug(COMPANY))
    program.clock.now = FILED
    await file(program, "alice", f'prospect client="{CLIENT}" amount=5000 close=2027-03')
    entry = f'/report 2026-11 deal client="{CLIENT} Ltd" amount=1 kind=hosting'
    added = await program.say("mallory", entry)
    assert added.status == "done", added.text
    said = await program.say("mallory", "/report 2026-11 submit")
    assert said.status == "done", said.text
    [notice] = [out for out in said.sent if out.text.startswith("Deal registration")]
    assert not problems(notice.text), notice.text
    assert echoed(notice.text, MARK)
    for button in notice.attachments[0]["actions"]:  # what a click sends: the key, quoted
        clicked = '@partnerbot registration "here evil https evilexample" award '
        assert button["msg"].startswith(clicked)
