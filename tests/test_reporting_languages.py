"""Reports in the reader's language (issue 14): amounts typed in the reader's notation,
and figures, dates and notes shown in it. These check the mechanics (which notation is
read, where money and dates go, whose language a message is made in), not the wording,
which the catalogs' own checks cover."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from i18n import LANGUAGES, day, money, number, speaking
from tests.program import Program
from tests.test_report_commands import program  # noqa: F401  (the fixture)
from workflows.onboarding import Partner
from workflows.reporting import (
    DEFAULT_RATES,
    MAX_AMOUNT,
    DealKind,
    Month,
    RuleError,
    add_deal,
    entry_changed,
    new_draft,
    parse_amount,
    parse_percent,
    render,
    show_percent,
    submit,
    summary,
)
from workflows.reporting.history import history

D = Decimal
ZONE = ZoneInfo("America/Sao_Paulo")
NOW = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)
COMMA = ("pt-BR", "es")  # the languages that write 12.000,50

amounts = st.decimals(min_value=D("0.01"), max_value=MAX_AMOUNT, places=2)


@pytest.mark.parametrize("tag", LANGUAGES)
@given(amount=amounts)
@example(amount=D("0.01"))
@example(amount=D("1500.00"))
@example(amount=D("12000.50"))
@example(amount=MAX_AMOUNT)
def test_an_amount_shown_to_a_reader_reads_back_the_same(tag: str, amount: Decimal) -> None:
    with speaking(tag):
        assert parse_amount(money(amount)) == amount
        assert parse_amount(number(amount)) == amount


@pytest.mark.parametrize("tag", COMMA)
@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("12.000,50", "12000.50"),
        ("12000,50", "12000.50"),
        ("12000,5", "12000.50"),
        ("1.500", "1500.00"),
        ("1.500.000", "1500000.00"),
        ("12000", "12000.00"),
        ("US$ 12.000,50", "12000.50"),
        ("US$12.000,50", "12000.50"),
        ("12.000,50 US$", "12000.50"),
        ("12.000,50\u00a0US$", "12000.50"),
        ("USD 12.000,50", "12000.50"),
        ("$ 1.500", "1500.00"),
        ("12.000,50 usd", "12000.50"),
    ],
)
def test_a_portuguese_or_spanish_reader_types_points_between_thousands(
    tag: str, typed: str, amount: str
) -> None:
    with speaking(tag):
        assert parse_amount(typed) == D(amount)


@pytest.mark.parametrize("tag", COMMA)
@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("12,000.50", "12.000,50"),  # an English amount: the hint shows the reader's form
        ("12000.50", "12.000,50"),
        ("1.5", "12.000,50"),
        ("1,500", "12.000,50"),  # three decimals: 1500 to an English reader
        ("1,505", "12.000,50"),
        ("R$ 12.000,50", "R$"),  # another currency
        ("12.000,50 R$", "R$"),
        ("EUR 12.000,50", "EUR"),
        ("1.50.000", "amount"),
        ("12.000,", "amount"),
        ("-12,50", "amount"),
        ("0,00", "amount"),
        ("1.000.000.000,01", "1.000.000.000,00"),
    ],
)
def test_what_a_portuguese_or_spanish_reader_may_misread_is_refused(
    tag: str, typed: str, shown: str
) -> None:
    with speaking(tag), pytest.raises(RuleError) as refused:
        parse_amount(typed)
    assert shown in str(refused.value)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("12,000.50", "12000.50"), ("1,500", "1500.00"), ("USD 12,000", "12000.00")],
)
def test_english_reads_amounts_as_before(typed: str, amount: str) -> None:
    assert parse_amount(typed) == D(amount)
    with speaking("en"):
        assert parse_amount(typed) == D(amount)


@pytest.mark.parametrize(("typed", "shown"), [("12.000,50", "12,000.50"), ("1.500", "12,000.50")])
def test_english_still_refuses_the_other_notation_with_a_hint(typed: str, shown: str) -> None:
    with speaking("en"), pytest.raises(RuleError) as refused:
        parse_amount(typed)
    assert shown in str(refused.value)


@pytest.mark.parametrize("tag", LANGUAGES)
def test_a_report_is_shown_with_the_readers_money_and_dates(tag: str) -> None:
    draft = new_draft("acme-hosting", Month(2026, 9), DEFAULT_RATES)
    added = add_deal(draft, "Foo Hosting", D("12000.05"), DealKind.HOSTING, "renewal")
    filed = submit(added, "alice", NOW, ZONE, 10)
    with speaking(tag):
        amount, owed = money(D("12000.05")), money(D("3600.02"))
        on = day(NOW.astimezone(ZONE).date())
        confirmed = entry_changed(draft, added)
        shown = render(filed, ZONE)
        line = summary(filed, ZONE, "Acme Hosting")
        filings = history(filed, "Acme Hosting", ZONE)
    for text in (confirmed, shown, line):
        assert amount in text and owed in text, text
        assert "hosting" in text and "2026-09" in text  # keywords and months stay as typed
    for text in (shown, line, filings):
        assert on in text and "@alice" in text, text
    assert f"{on} 09:00" in filings  # the local time of the filing
    assert "(renewal)" in confirmed and "`/report 2026-09 submit`" in confirmed
    if tag != "en":
        assert "USD" not in confirmed + shown + line + filings


@dataclass
class Book:
    """The users' languages for a test; the partner's rooms read `partner`."""

    users: dict[str, str] = field(default_factory=dict)
    partner: str = "en"
    default: str = "en"

    async def of_user(self, username: str) -> str:
        return self.users.get(username, self.default)

    async def of_partner(self, partner: Partner) -> str:
        return self.partner


async def test_each_reader_sees_the_figures_in_their_own_notation(
    program: Program,  # noqa: F811
) -> None:
    program.dispatcher.languages = Book({"alice": "pt-BR", "maria": "es"}, partner="pt-BR")
    said = await program.say(
        "alice", '/report 2026-09 deal client="Foo Hosting" amount=12.000,05 kind=hosting'
    )
    assert said.status == "done", said.text
    with speaking("pt-BR"):
        assert money(D("12000.05")) in said.text  # the amount repeated as she reads it
    refused = await program.say(
        "alice", '/report 2026-09 deal client="Bar" amount=1,234.55 kind=referred'
    )
    assert refused.status == "refused" and "12.000,50" in refused.text
    filed = await program.say("alice", "/report 2026-09 submit")
    assert filed.status == "done", filed.text
    with speaking("pt-BR"):
        assert money(D("3600.02")) in filed.text
    [notice] = filed.elsewhere["dm-maria"]  # made in the manager's language, not alice's
    with speaking("es"):
        assert money(D("3600.02")) in notice and day(NOW.date()) in notice
    reopened = await program.say("maria", "/report acme-hosting 2026-09 reopen")
    assert reopened.status == "done", reopened.text
    [told] = [text for texts in reopened.elsewhere.values() for text in texts]
    assert "@maria" in told and "`/report 2026-09 submit`" in told
    doc = await program.store.get("reports", "acme-hosting", "2026-09")
    assert doc is not None and doc["deals"][0]["amount"] == "12000.05"  # stored neutral


async def test_the_managers_note_follows_the_managers_language(
    program: Program,  # noqa: F811
) -> None:
    program.dispatcher.languages = Book({"alice": "es", "maria": "en"}, partner="es")
    said = await program.say("alice", "/report 2026-09 deal client=Foo amount=12.000 kind=hosting")
    assert said.status == "done", said.text
    filed = await program.say("alice", "/report 2026-09 submit")
    assert "3.600,00\u00a0US$" in filed.text  # CLDR: a no-break space
    [notice] = filed.elsewhere["dm-maria"]
    assert "USD 3,600.00" in notice and "2026-10-05" in notice


@pytest.mark.parametrize(("tag", "yes"), [("pt-BR", "sim"), ("es", "sí"), ("es", "si")])
async def test_the_conversation_takes_amounts_and_yes_in_the_readers_language(
    program: Program,  # noqa: F811
    tag: str,
    yes: str,
) -> None:
    program.dispatcher.languages = Book({"alice": tag}, partner=tag)
    room = "partner-acme-hosting"
    await program.say("alice", "/report", room=room)
    added = await program.say("alice", "client=Foo amount=1.234,55 kind=hosting", room=room)
    assert added.status == "done", added.text
    assert "`done`" in added.text
    await program.say("alice", "done", room=room)
    await program.say("alice", "done", room=room)
    filed = await program.say("alice", yes, room=room)
    with speaking(tag):
        assert money(D("1234.55")) in filed.text and money(D("370.37")) in filed.text
    doc = await program.store.get("reports", "acme-hosting", "2026-09")
    assert doc is not None and doc["state"] == "submitted"
    assert doc["deals"][0]["amount"] == "1234.55"


@pytest.mark.parametrize("tag", COMMA)
def test_a_rate_takes_the_readers_decimal_comma(tag: str) -> None:
    with speaking(tag):
        assert parse_percent("12,5", "hosting") == D("12.5")
        assert parse_percent("12.5", "hosting") == D("12.5")
        assert show_percent(D("12.5")) == "12,5%"
        with pytest.raises(RuleError):
            parse_percent("1,2,5", "hosting")
    with pytest.raises(RuleError):
        parse_percent("12,5", "hosting")  # not in English
    assert show_percent(D("12.5")) == "12.5%"
