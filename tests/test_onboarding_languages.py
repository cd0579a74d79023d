"""Onboarding in its readers' languages: each message is made in the language of the one who
reads it (the caller, the partner's workgroup, a contact, the managers), not the caller's.

These tests check the mechanics (which reader's language a message is made in, and the
numbers, money and dates written for it); the wording of the translations is the catalogs'.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from commands.program import checklist
from i18n import day, money, speaking
from storage import SCHEMA, Store
from tests.partners import onboarded
from tests.program import Program
from workflows.onboarding import (
    Apply,
    Approve,
    Partner,
    Step,
    TellPartner,
    apply,
    decide,
    state_name,
    status_name,
    step_name,
)
from workflows.onboarding.rules import YEARLY_FEE

NOON = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo("America/Sao_Paulo")


@dataclass
class Split:
    """Each user in their own language; the partner's rooms in `partner`."""

    users: Mapping[str, str]
    partner: str
    default: str = "en"
    asked: list[str] = field(default_factory=list)

    async def of_user(self, username: str) -> str:
        self.asked.append(username)
        return self.users.get(username, self.default)

    async def of_partner(self, partner: Partner) -> str:
        return self.partner


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    program.dispatcher.languages = Split({"alice": "en", "maria": "es"}, partner="pt-BR")
    yield program
    await store.close()


async def test_the_contract_is_told_in_each_readers_language(program: Program) -> None:
    """maria (es) approves the contract: alice reads it in her DM in English, the new
    workgroup reads its welcome and checklist in the partner's Portuguese."""
    await program.say_all(
        [
            (
                "alice",
                '/onboard company="Acme Hosting" type=hosting website=https://acme.example '
                "email=partners@acme.example",
            ),
            ("maria", "/approve acme-hosting application"),
            ("maria", "/approve acme-hosting meeting on=2026-11-26"),
            ("alice", "/goals 3m five hosted workspaces"),
            ("alice", "/goals 1y fifty hosted workspaces"),
            ("maria", "/approve acme-hosting goals"),
        ]
    )
    said = await program.say(
        "maria", "/approve acme-hosting contract signed=2026-11-26 term=12 support=yes fee=unpaid"
    )
    assert said.status == "done", said.text
    told = "\n".join(said.elsewhere["dm-alice"])
    assert "USD 1,200.00" in told and "2027-01-25" in told  # alice reads English
    workgroup = "\n".join(said.elsewhere["room-partner-acme-hosting"])
    with speaking("pt-BR"):
        due = day(NOON.date() + timedelta(days=60))
        signed = day(NOON.date())
        assert step_name(Step.APPLICATION) in workgroup
    assert due == "25/01/2027" and due in workgroup  # the training's due day, in Portuguese
    assert signed in workgroup  # the checklist's times
    assert "2027-01-25" not in workgroup


async def test_the_managers_read_a_request_in_their_language(program: Program) -> None:
    """An application's approval request is made for maria in Spanish (the caller, alice,
    reads English): a manager's DM is written in the manager's language."""
    languages = program.dispatcher.languages
    assert isinstance(languages, Split)
    said = await program.say(
        "alice",
        '/onboard company="Acme Hosting" type=hosting website=https://acme.example '
        "email=partners@acme.example",
    )
    assert said.elsewhere["dm-maria"]
    assert "maria" in languages.asked


def test_an_effect_is_made_when_its_reader_reads_it() -> None:
    """The rules return messages to make, not made ones: the same effect, rendered under
    each language, writes the fee and the dates as that reader does."""
    partner, _effects = apply(
        "acme-hosting",
        Apply("Acme Hosting", "hosting", "https://acme.example", "partners@acme.example"),
        "alice",
        NOON,
    )
    for step, fields in (
        (Step.APPLICATION, {}),
        (Step.MEETING, {"on": "2026-11-26"}),
    ):
        partner, _effects = decide(partner, Approve(step, fields), "maria", NOON, ZONE)
    partner = Partner.from_doc(
        {
            **partner.to_doc(),
            "goals_3m": "five",
            "goals_1y": "fifty",
            "steps": {
                **partner.to_doc()["steps"],
                "goals": {"state": "done", "at": NOON.isoformat(), "by": "maria"},
            },
        }
    )
    contract = {"signed": "2026-11-26", "term": "12", "support": "yes", "fee": "unpaid"}
    _partner, effects = decide(partner, Approve(Step.CONTRACT, contract), "maria", NOON, ZONE)
    tell = next(effect for effect in effects if isinstance(effect, TellPartner))
    assert "USD 1,200.00" in tell.text() and "2026-11-26" in tell.text()
    for language, fee, signed in (
        ("pt-BR", "US$\xa01.200,00", "26/11/2026"),
        ("es", "1.200,00\xa0US$", "26/11/26"),
    ):
        with speaking(language):
            text = tell.text()
            assert money(YEARLY_FEE) == fee
            assert day(NOON.date()) == signed
        assert fee in text and signed in text, (language, text)
        assert "USD" not in text.replace("US$", "")


def test_the_checklist_is_written_in_the_language_in_force() -> None:
    partner, _effects = apply(
        "acme-hosting",
        Apply("Acme Hosting", "hosting", "https://acme.example", "partners@acme.example"),
        "alice",
        NOON,
    )
    english = checklist(partner, NOON, ZONE)
    assert english.splitlines()[:2] == [
        "*Acme Hosting* (hosting): applicant",
        "⏳ 1. application: submitted on 2026-11-26 09:00 by @alice",
    ]
    for language, when in (("pt-BR", "26/11/2026 09:00"), ("es", "26/11/26 09:00")):
        with speaking(language):
            text = checklist(partner, NOON, ZONE)
            names = (step_name(Step.APPLICATION), state_name(partner.state(Step.APPLICATION)))
            status = status_name(partner.status)
        assert when in text and "2026-11-26" not in text, text
        assert all(name in text for name in names) and status in text
        assert "hosting" in text  # the partner type is a keyword: never translated


@pytest.mark.parametrize("tag", ["en", "pt-BR", "es"])
def test_the_checklist_shows_the_dates_the_steps_took_place(tag: str) -> None:
    """A meeting held on the 1st, a contract signed on the 2nd, both recorded on the 9th:
    the checklist says when each was recorded and when it took place (`on=`, `signed=`)."""
    held, signed, recorded = date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 9)
    partner = onboarded("acme-hosting", "Acme Hosting", "alice", recorded, None)
    partner = dataclass_replace(partner, meeting_on=held, signed=signed)
    with speaking(tag):
        lines = checklist(partner, datetime(2026, 12, 10, 9, tzinfo=UTC), ZoneInfo("UTC"))
        meeting = next(line for line in lines.splitlines() if " 2. " in line)
        contract = next(line for line in lines.splitlines() if " 4. " in line)
        assert day(recorded) in meeting and meeting.endswith(day(held))
        assert day(recorded) in contract and contract.endswith(day(signed))
    if tag == "en":
        assert meeting.endswith("; the meeting was held on 2026-12-01")
        assert contract.endswith("; signed on 2026-12-02")
