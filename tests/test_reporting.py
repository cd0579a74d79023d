"""The monthly report rules: the worked example of the module docstring, amounts and rates,
months and due dates, entries, filing, locking and reopening, the report document, and
property tests of the money rules (SPEC §1, §3, §5)."""

from __future__ import annotations

import contextlib
import inspect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import workflows.reporting as reporting
from workflows.reporting import (
    DEFAULT_RATES,
    MAX_ENTRIES,
    TRANSITIONS,
    Deal,
    DealKind,
    Month,
    Prospect,
    Report,
    ReportState,
    RuleError,
    add_deal,
    add_prospect,
    check_month,
    deal_from_options,
    due_date,
    effective_rates,
    entry,
    format_usd,
    make_deal,
    money_doc,
    new_draft,
    open_month,
    parse_amount,
    parse_kind,
    parse_month,
    parse_percent,
    parse_rates,
    prospect_from_options,
    remove_entry,
    render,
    reopen,
    submit,
    submit_none,
    summary,
    with_rates,
)
from workflows.reporting.money import canonical_rate, share

ZONE = ZoneInfo("America/Sao_Paulo")  # UTC-3, no DST since 2019
NOW = datetime(2026, 10, 5, 13, 0, tzinfo=UTC)  # 10:00 on 2026-10-05 in São Paulo
SEPTEMBER = Month(2026, 9)
PARTNER, ALICE, BOB = "acme-hosting", "alice", "bob"
DUE_DAY = 10


def D(text: str) -> Decimal:
    return Decimal(text)


def draft(month: Month = SEPTEMBER, rates: Mapping[DealKind, Decimal] = DEFAULT_RATES) -> Report:
    return new_draft(PARTNER, month, effective_rates(rates))


def with_deal(report: Report | None = None, amount: str = "1000") -> Report:
    return add_deal(report or draft(), "Foo Corp", parse_amount(amount), DealKind.HOSTING)


def worked_example() -> Report:
    """The example of the `workflows.reporting` docstring, entered as a partner would."""
    report = draft()
    for text in (
        'client="Foo Hosting" amount=12,000.05 kind=hosting',
        'client="Bar Corp" amount=$1,234.55 kind=REFERRED ref=R-1 note="referred by the vendor"',
        'client="Baz Ltd" amount="USD 2,500" kind=Premium note="enterprise licence"',
        "client=Qux amount=4000 kind=services",
        "client=Northwind amount=5000 close=2026-12",
        'client=Contoso amount=20000.50 close=2027-03 note="two-year plan"',
    ):
        options = _options(text)
        item = (
            prospect_from_options(options, NOW, ZONE)
            if "close" in options
            else deal_from_options(options)
        )
        report = reporting.add(report, item, NOW, ZONE)
    return report


def _options(text: str) -> dict[str, str]:
    return {key: value.strip('"') for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', text)}


# The worked example ---------------------------------------------------------------------


def test_worked_example_figures() -> None:
    report = worked_example()
    assert report.owed_per_deal() == [D("3600.02"), D("370.37"), D("2000.00"), D("0.00")]
    assert report.closed_total == D("19734.60")
    assert report.owed == D("5970.39")
    assert report.pipeline_total == D("25000.50")
    # rounding the exact total once would give a cent less than the rows
    exact = sum(deal.amount * report.rates[deal.kind] / 100 for deal in report.deals)
    assert exact == D("5970.38")
    assert reporting.__doc__ is not None
    for figure in ("USD 19,734.60", "USD 5,970.39", "USD 25,000.50", "3,600.02", "370.37"):
        assert figure in reporting.__doc__


def test_worked_example_filed_on_time_and_exported() -> None:
    filed = submit(worked_example(), ALICE, NOW, ZONE, DUE_DAY)
    assert filed.state is ReportState.SUBMITTED
    assert filed.on_time is True
    assert filed.submitted_at == NOW
    assert filed.submitted_by == ALICE
    doc = filed.to_doc()
    assert list(doc)[:8] == [
        "partner",
        "month",
        "state",
        "deals",
        "prospects",
        "closed_total",
        "owed",
        "pipeline_total",
    ]
    assert doc["partner"] == PARTNER
    assert doc["month"] == "2026-09"
    assert doc["state"] == "submitted"
    assert (doc["closed_total"], doc["owed"], doc["pipeline_total"]) == (
        "19734.60",
        "5970.39",
        "25000.50",
    )
    assert [deal["owed"] for deal in doc["deals"]] == ["3600.02", "370.37", "2000.00", "0.00"]
    assert doc["deals"][1] == {
        "client": "Bar Corp",
        "amount": "1234.55",
        "kind": "referred",
        "rate": "30",  # fixed by the filing
        "owed": "370.37",
        "note": "referred by the vendor",
        "ref": "R-1",
    }
    assert worked_example().to_doc()["deals"][1]["rate"] is None  # a draft's: the terms
    assert doc["prospects"][1] == {
        "client": "Contoso",
        "amount": "20000.50",
        "close": "2027-03",
        "note": "two-year plan",
    }
    # the export adds up: the rows' shares sum to the total owed
    assert sum(D(deal["owed"]) for deal in doc["deals"]) == D(doc["owed"])
    assert sum(D(deal["amount"]) for deal in doc["deals"]) == D(doc["closed_total"])


def test_worked_example_with_a_hosting_override() -> None:
    report = with_rates(worked_example(), effective_rates(parse_rates({"hosting": "25"})))
    assert report.owed_per_deal()[0] == D("3000.01")  # 3,000.0125


def test_worked_example_rendered() -> None:
    lines = render(worked_example(), ZONE).splitlines()
    assert lines[0] == "*Report for 2026-09* of `acme-hosting`: draft"
    assert lines[1:10] == [
        "Deals closed:",
        "1. Foo Hosting: USD 12,000.05, hosting at 30%, owed USD 3,600.02",
        "2. Bar Corp: USD 1,234.55, referred at 30%, owed USD 370.37 (referred by the vendor)",
        "3. Baz Ltd: USD 2,500.00, premium at 80%, owed USD 2,000.00 (enterprise licence)",
        "4. Qux: USD 4,000.00, services at 0%, owed USD 0.00",
        "Prospects:",
        "5. Northwind: USD 5,000.00, expected to close 2026-12",
        "6. Contoso: USD 20,000.50, expected to close 2027-03 (two-year plan)",
        "Closed total USD 19,734.60, owed to the vendor USD 5,970.39, pipeline total USD 25,000.50",
    ]
    assert "`/report 2026-09 submit`" in lines[10]
    filed = submit(worked_example(), ALICE, NOW, ZONE, DUE_DAY)
    assert render(filed, ZONE).splitlines()[0] == (
        "*Report for 2026-09* of `acme-hosting`: filed on time on 2026-10-05 by @alice"
    )
    assert "submit" not in render(filed, ZONE)
    assert summary(filed, ZONE) == (
        "Report for 2026-09 of `acme-hosting`: filed on time on 2026-10-05 by @alice. "
        "Closed total USD 19,734.60, owed to the vendor USD 5,970.39, "
        "pipeline total USD 25,000.50. Rates: hosting 30% (deal 1), referred 30% (deal 2), "
        "premium 80% (deal 3), services 0% (deal 4)."
    )


# Amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("12000", "12000.00"),
        ("12,000", "12000.00"),
        ("12000.50", "12000.50"),
        ("$12,000", "12000.00"),
        ("USD 12,000", "12000.00"),
        ("usd 12000.5", "12000.50"),
        ("12,000.50 USD", "12000.50"),
        ("US$ 1,234,567.89", "1234567.89"),
        ("  0.01 ", "0.01"),
        ("1,000,000,000", "1000000000.00"),
        ("1000000000.00", "1000000000.00"),
    ],
)
def test_amounts_accepted(text: str, amount: str) -> None:
    parsed = parse_amount(text)
    assert parsed == D(amount)
    assert str(parsed) == amount  # always two decimals


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("-5", "cannot be negative"),
        ("\u22125", "cannot be negative"),  # a typographic minus
        ("$-5", "cannot be negative"),
        ("(500)", "cannot be negative"),
        ("0", "more than zero"),
        ("0.00", "more than zero"),
        ("12.345", "at most two decimals"),
        ("1000000000.01", "at most USD 1,000,000,000.00"),
        ("2,000,000,000", "at most USD 1,000,000,000.00"),
        ("1e5", "without an exponent"),
        ("1E+05", "without an exponent"),
        ("NaN", "number of US dollars"),
        ("Infinity", "number of US dollars"),
        ("12.000,50", "a point for cents"),
        ("12,50", "a point for cents"),
        ("1,2345", "commas separate thousands"),
        ("EUR 100", "not EUR"),
        ("100 brl", "not BRL"),
        ("€100", "not €"),
        ("R$ 100", "not R$"),
        ("", "required"),
        ("USD", "needs a number"),
        ("twelve", "number of US dollars"),
        ("\uff11\uff12", "number of US dollars"),  # full-width digits
    ],
)
def test_amounts_refused_with_the_reason(text: str, why: str) -> None:
    with pytest.raises(RuleError, match=re.escape(why)):
        parse_amount(text)


def test_format_usd() -> None:
    assert format_usd(D("12000")) == "USD 12,000.00"
    assert format_usd(D("0.5")) == "USD 0.50"
    assert format_usd(D("1234567.89")) == "USD 1,234,567.89"
    assert money_doc(D("3600")) == "3600.00"


def test_share_is_rounded_half_up_to_the_cent() -> None:
    assert share(D("0.05"), D("30")) == D("0.02")  # 0.015
    assert share(D("0.05"), D("10")) == D("0.01")  # 0.005: half-up, not half-even
    assert share(D("0.25"), D("10")) == D("0.03")  # 0.025
    assert share(D("1000000000.00"), D("100")) == D("1000000000.00")
    assert share(D("999.99"), D("0")) == D("0.00")
    with pytest.raises(TypeError):
        share(12.5, D("30"))  # type: ignore[arg-type]  # no float on the money path


# Kinds and rates ------------------------------------------------------------------------


def test_default_rates_are_the_brochure() -> None:
    assert dict(DEFAULT_RATES) == {
        DealKind.HOSTING: D("30"),
        DealKind.REFERRED: D("30"),
        DealKind.PREMIUM: D("80"),
        DealKind.SERVICES: D("0"),
    }


@pytest.mark.parametrize("text", ["hosting", "HOSTING", " Referred ", "premium", "Services"])
def test_kinds_in_any_case(text: str) -> None:
    assert parse_kind(text) is DealKind(text.strip().lower())


def test_unknown_kind() -> None:
    with pytest.raises(RuleError, match="hosting, referred, premium, services"):
        parse_kind("licence")


def test_rates_for_terms() -> None:
    assert parse_rates({"Hosting": "25", "premium": "75.5%", "services": "0"}) == {
        DealKind.HOSTING: D("25"),
        DealKind.PREMIUM: D("75.5"),
        DealKind.SERVICES: D("0"),
    }
    assert parse_rates({"referred": "default"}) == {DealKind.REFERRED: D("30")}
    assert str(parse_percent("30.00", "hosting")) == "30"
    rates = effective_rates({DealKind.HOSTING: D("25")})
    assert rates == {**DEFAULT_RATES, DealKind.HOSTING: D("25")}


@pytest.mark.parametrize(
    ("options", "why"),
    [
        ({}, "at least one rate"),
        ({"hosting": "101"}, "0 to 100"),
        ({"hosting": "-1"}, "0 to 100"),
        ({"hosting": "12.345"}, "at most two decimals"),
        ({"hosting": "1e1"}, "0 to 100"),
        ({"hosting": "NaN"}, "0 to 100"),
        ({"licence": "10"}, "licence= is not a deal kind"),
        ({"hosting": "10", "HOSTING": "20"}, "given twice"),
    ],
)
def test_rates_refused(options: dict[str, str], why: str) -> None:
    with pytest.raises(RuleError, match=re.escape(why)):
        parse_rates(options)


# Months ---------------------------------------------------------------------------------


def test_months() -> None:
    assert parse_month("2026-09") == SEPTEMBER
    assert str(Month(2026, 1)) == "2026-01"
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2027, 1).previous() == Month(2026, 12)
    assert Month(2028, 2).last_day() == date(2028, 2, 29)
    assert Month(2026, 2).last_day() == date(2026, 2, 28)
    assert SEPTEMBER.first_day() == date(2026, 9, 1)
    assert SEPTEMBER.opens_on() == date(2026, 10, 1)
    assert Month(2025, 12) < Month(2026, 1) < SEPTEMBER
    assert sorted([SEPTEMBER, Month(2025, 12), Month(2026, 1)])[0] == Month(2025, 12)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-09", "0000-01", "Sept"])
def test_bad_months(text: str) -> None:
    with pytest.raises(RuleError, match="YYYY-MM"):
        parse_month(text)


@pytest.mark.parametrize("text", ["2026-9", "09-2026", "9/2026", "2026/09", "09.2026"])
def test_a_month_written_another_way_is_shown_as_written_here(text: str) -> None:
    with pytest.raises(RuleError, match=r"^write the month as 2026-09$"):
        parse_month(text)


def test_the_open_month_is_the_previous_local_month() -> None:
    assert open_month(NOW, ZONE) == SEPTEMBER
    # 02:00 UTC on 1 October is still 30 September in São Paulo
    assert open_month(datetime(2026, 10, 1, 2, 59, tzinfo=UTC), ZONE) == Month(2026, 8)
    assert open_month(datetime(2026, 10, 1, 3, 0, tzinfo=UTC), ZONE) == SEPTEMBER
    # New York leaves summer time on 1 November 2026: midnight is 04:00 UTC
    new_york = ZoneInfo("America/New_York")
    assert open_month(datetime(2026, 11, 1, 3, 59, tzinfo=UTC), new_york) == SEPTEMBER
    assert open_month(datetime(2026, 11, 1, 4, 0, tzinfo=UTC), new_york) == Month(2026, 10)
    assert open_month(datetime(2027, 1, 1, tzinfo=UTC), UTC) == Month(2026, 12)
    with pytest.raises(ValueError, match="aware"):
        open_month(datetime(2026, 10, 5), ZONE)  # noqa: DTZ001


def test_which_months_a_partner_may_file() -> None:
    signed = date(2026, 3, 20)
    for month in (Month(2026, 3), Month(2026, 6), SEPTEMBER):
        check_month(month, signed, NOW, ZONE)
    with pytest.raises(RuleError, match=r"signed \(2026-03\); there is no report for 2026-02"):
        check_month(Month(2026, 2), signed, NOW, ZONE)
    with pytest.raises(RuleError, match="opens on 2026-11-01"):
        check_month(Month(2026, 10), signed, NOW, ZONE)
    with pytest.raises(RuleError, match="2026-11 is in the future"):
        check_month(Month(2026, 11), signed, NOW, ZONE)
    with pytest.raises(RuleError, match="once the contract is signed"):
        check_month(SEPTEMBER, None, NOW, ZONE)


def test_a_partner_signed_this_month_waits_for_its_first_report() -> None:
    with pytest.raises(RuleError, match="Your first report opens on 2026-11-01"):
        check_month(open_month(NOW, ZONE), date(2026, 10, 2), NOW, ZONE)


def test_due_date() -> None:
    assert due_date(SEPTEMBER, 10) == date(2026, 10, 10)
    assert due_date(Month(2026, 12)) == date(2027, 1, 10)
    assert due_date(Month(2027, 1), 28) == date(2027, 2, 28)
    for bad in (0, 29, 31):
        with pytest.raises(ValueError, match="1 to 28"):
            due_date(SEPTEMBER, bad)


@pytest.mark.parametrize(
    ("at", "on_time"),
    [
        (datetime(2026, 10, 1, 3, 0, tzinfo=UTC), True),  # the day it opens
        (datetime(2026, 10, 11, 2, 59, tzinfo=UTC), True),  # 23:59 on the 10th, local
        (datetime(2026, 10, 11, 3, 0, tzinfo=UTC), False),  # 00:00 on the 11th, local
        (datetime(2027, 3, 1, tzinfo=UTC), False),
    ],
)
def test_on_time_is_by_the_end_of_the_due_day_local(at: datetime, on_time: bool) -> None:
    assert submit(with_deal(), ALICE, at, ZONE, DUE_DAY).on_time is on_time


# Entries --------------------------------------------------------------------------------


def test_client_and_note() -> None:
    report = add_deal(draft(), "  Foo \n  Corp ", D("1.00"), DealKind.SERVICES, "  a  note ")
    assert report.deals[0] == Deal("Foo Corp", D("1.00"), DealKind.SERVICES, "a note")
    assert add_deal(draft(), "x" * 200, D("1.00"), DealKind.HOSTING, " ").deals[0].note is None
    add_deal(draft(), "Foo", D("1.00"), DealKind.HOSTING, "n" * 500)
    for client, note, why in [
        ("", None, "client is required"),
        ("   ", None, "client is required"),
        ("x" * 201, None, "at most 200"),
        ("Foo\x00", None, "control characters"),
        ("Foo", "n" * 501, "at most 500"),
    ]:
        with pytest.raises(RuleError, match=why):
            add_deal(draft(), client, D("1.00"), DealKind.HOSTING, note)


def test_amounts_are_checked_even_when_given_as_decimals() -> None:
    for amount, why in [
        (D("0"), "more than zero"),
        (D("-1"), "negative"),
        (D("1.001"), "two decimals"),
        (D("NaN"), "number"),
        (D("1e10"), "at most"),
    ]:
        with pytest.raises(RuleError, match=why):
            add_deal(draft(), "Foo", amount, DealKind.HOSTING)
    assert str(add_deal(draft(), "Foo", D("12"), DealKind.HOSTING).deals[0].amount) == "12.00"


def test_options_of_a_deal_and_a_prospect() -> None:
    with pytest.raises(RuleError, match="needs amount=, kind="):
        deal_from_options({"client": "Foo"})
    with pytest.raises(RuleError, match="there is no close= for a deal"):
        deal_from_options({"client": "Foo", "amount": "1", "kind": "hosting", "close": "x"})
    with pytest.raises(RuleError, match="needs close="):
        prospect_from_options({"client": "Foo", "amount": "1"}, NOW, ZONE)
    with pytest.raises(RuleError, match="kind must be one of"):
        deal_from_options({"client": "Foo", "amount": "1", "kind": "other"})
    with pytest.raises(RuleError, match="close= must be written YYYY-MM"):
        prospect_from_options({"client": "Foo", "amount": "1", "close": "soon"}, NOW, ZONE)


def test_a_prospect_closes_this_month_or_later() -> None:
    report = add_prospect(draft(), "Bar", D("5000"), Month(2026, 10), None, NOW, ZONE)
    assert report.prospects == (Prospect("Bar", D("5000.00"), Month(2026, 10)),)
    with pytest.raises(RuleError, match="2026-09 is past; give 2026-10 or later"):
        add_prospect(draft(), "Bar", D("5000"), SEPTEMBER, None, NOW, ZONE)
    add_prospect(draft(), "Bar", D("5000"), Month(2036, 10), None, NOW, ZONE)
    with pytest.raises(RuleError, match="within 10 years"):
        add_prospect(draft(), "Bar", D("5000"), Month(2036, 11), None, NOW, ZONE)


def test_entries_are_numbered_deals_first_and_removed_by_number() -> None:
    report = worked_example()
    assert [item.client for item in report.entries] == [
        "Foo Hosting",
        "Bar Corp",
        "Baz Ltd",
        "Qux",
        "Northwind",
        "Contoso",
    ]
    assert entry(report, 5).client == "Northwind"
    after = remove_entry(remove_entry(report, 2), 4)  # Bar Corp, then Northwind (now 4th)
    assert [item.client for item in after.entries] == ["Foo Hosting", "Baz Ltd", "Qux", "Contoso"]
    assert after.owed == D("5600.02")
    for n in (0, 7, -1):
        with pytest.raises(RuleError, match="numbered 1 to 6"):
            remove_entry(report, n)
    with pytest.raises(RuleError, match="no entries"):
        remove_entry(draft(), 1)


def test_a_report_takes_a_bounded_number_of_entries() -> None:
    report = draft()
    for _ in range(MAX_ENTRIES):
        report = with_deal(report)
    with pytest.raises(RuleError, match=f"at most {MAX_ENTRIES} entries"):
        with_deal(report)


# Filing, locking, reopening -------------------------------------------------------------


def test_an_empty_report_is_filed_with_none() -> None:
    with pytest.raises(RuleError, match=r"add a deal or a prospect first.*`/report 2026-09 none`"):
        submit(draft(), ALICE, NOW, ZONE, DUE_DAY)
    filed = submit_none(draft(), ALICE, NOW, ZONE, DUE_DAY)
    assert filed.none is True
    assert filed.state is ReportState.SUBMITTED
    assert (filed.closed_total, filed.owed, filed.pipeline_total) == (D("0"), D("0"), D("0"))
    assert filed.to_doc()["owed"] == "0.00"
    assert "No sales this month." in render(filed)
    assert summary(filed).endswith(": no sales this month.")
    with pytest.raises(RuleError, match="has 1 entry: file it with `/report 2026-09 submit`"):
        submit_none(with_deal(), ALICE, NOW, ZONE, DUE_DAY)


def test_prospects_alone_can_be_filed() -> None:
    report = add_prospect(draft(), "Bar", D("5000"), Month(2026, 12), None, NOW, ZONE)
    filed = submit(report, ALICE, NOW, ZONE, DUE_DAY)
    assert (filed.closed_total, filed.owed, filed.pipeline_total) == (D("0"), D("0"), D("5000"))


def test_a_month_not_over_cannot_be_filed() -> None:
    october = with_deal(draft(Month(2026, 10)))
    with pytest.raises(RuleError, match="opens on 2026-11-01"):
        submit(october, ALICE, NOW, ZONE, DUE_DAY)
    with pytest.raises(RuleError, match="opens on 2026-11-01"):
        submit_none(draft(Month(2026, 10)), ALICE, NOW, ZONE, DUE_DAY)


def test_a_filed_report_is_locked() -> None:
    filed = submit(with_deal(), ALICE, NOW, ZONE, DUE_DAY)
    locked = "filed and locked.*`/report acme-hosting 2026-09 reopen`"
    with pytest.raises(RuleError, match=locked):
        with_deal(filed)
    with pytest.raises(RuleError, match=locked):
        add_prospect(filed, "Bar", D("1"), Month(2026, 12), None, NOW, ZONE)
    with pytest.raises(RuleError, match=locked):
        remove_entry(filed, 1)
    with pytest.raises(RuleError, match=locked):
        with_rates(filed, DEFAULT_RATES)
    for again in (submit, submit_none):
        with pytest.raises(RuleError, match="already filed"):
            again(filed, ALICE, NOW, ZONE, DUE_DAY)
    with pytest.raises(RuleError, match="not filed; there is nothing to reopen"):
        reopen(with_deal(), BOB, NOW)


def test_rates_are_fixed_when_the_report_is_filed() -> None:
    report = with_deal(amount="1000")  # hosting, 30 % in the draft
    assert report.owed == D("300.00")
    filed = submit(
        report, ALICE, NOW, ZONE, DUE_DAY, rates=effective_rates({DealKind.HOSTING: D("25")})
    )
    assert filed.owed == D("250.00")
    assert filed.to_doc()["rates"]["hosting"] == "25"
    # a later /terms gives new drafts new rates; the filed report keeps its figures
    assert Report.from_doc(json.loads(json.dumps(filed.to_doc()))).owed == D("250.00")
    later = with_rates(draft(Month(2026, 8)), effective_rates({DealKind.HOSTING: D("20")}))
    assert with_deal(later).owed == D("200.00")


def test_a_filed_deal_keeps_its_rate_through_a_reopen_and_a_refiling() -> None:
    """Filed at hosting 30 %, then `/terms` hosting=25 and a reopen: the filed deal still
    owes 30 %, and says so; only a deal added after the change owes 25 %."""
    filed = submit(with_deal(amount="12000"), ALICE, NOW, ZONE, DUE_DAY)
    assert filed.owed == D("3600.00") and filed.deals[0].rate == D("30")
    terms = effective_rates({DealKind.HOSTING: D("25")})
    opened = with_rates(reopen(filed, BOB, NOW), terms)  # as /report loads a draft
    assert opened.owed == D("3600.00")
    assert (
        "1. Foo Corp: USD 12,000.00, hosting at 30%, kept from its first filing "
        "(new deals: 25%), owed USD 3,600.00"
    ) in render(opened, ZONE).splitlines()
    added = add_deal(opened, "Bar Corp", D("1000.00"), DealKind.HOSTING)
    assert "2. Bar Corp: USD 1,000.00, hosting at 25%, owed USD 250.00" in render(added, ZONE)
    refiled = submit(added, ALICE, NOW + timedelta(days=1), ZONE, DUE_DAY, rates=terms)
    assert [deal.rate for deal in refiled.deals] == [D("30"), D("25")]
    assert refiled.owed_per_deal() == [D("3600.00"), D("250.00")]
    assert refiled.owed == D("3850.00")
    assert summary(refiled, ZONE).endswith(
        "Rates: hosting 30% (deal 1, kept from its first filing), hosting 25% (deal 2)."
    )
    assert "hosting at 30%, kept from its first filing, owed" in render(refiled, ZONE)
    doc = refiled.to_doc()
    assert [deal["rate"] for deal in doc["deals"]] == ["30", "25"]
    assert (doc["rates"]["hosting"], doc["owed"]) == ("25", "3850.00")
    assert Report.from_doc(json.loads(json.dumps(doc))) == refiled
    # the terms back at 30 and filed once more: each deal still owes its own rate
    again = submit(reopen(refiled, BOB, NOW), ALICE, NOW, ZONE, DUE_DAY, rates=DEFAULT_RATES)
    assert again.owed_per_deal() == [D("3600.00"), D("250.00")]
    assert summary(again, ZONE).endswith(
        "Rates: hosting 30% (deal 1), hosting 25% (deal 2, kept from its first filing)."
    )
    # a deal removed and added again is a new deal: it owes the terms of its filing
    fresh = with_deal(remove_entry(with_rates(reopen(again, BOB, NOW), terms), 1), "12000")
    assert submit(fresh, ALICE, NOW, ZONE, DUE_DAY, rates=terms).owed_per_deal() == [
        D("250.00"),
        D("3000.00"),
    ]


def _as_stored_before_deals_kept_their_rate(doc: dict[str, Any]) -> dict[str, Any]:
    old: dict[str, Any] = json.loads(json.dumps(doc))
    for version in (old, *old["filed"]):
        for deal in version["deals"]:
            del deal["rate"]
    return old


def test_documents_from_before_deals_kept_their_rate_still_read() -> None:
    """A filed deal stored without its rate keeps the one its stored `owed` was figured at
    (the report's rates); in a reopened draft, a deal of the last filed version keeps that
    version's rate, even when the draft was stored re-priced at later terms."""
    filed = submit(with_deal(amount="12000"), ALICE, NOW, ZONE, DUE_DAY)
    assert Report.from_doc(_as_stored_before_deals_kept_their_rate(filed.to_doc())) == filed
    terms = effective_rates({DealKind.HOSTING: D("25")})
    opened = reopen(filed, BOB, NOW)
    repriced = replace(  # what the code before stored: every deal at the terms of the day
        opened,
        deals=(
            replace(opened.deals[0], rate=None),
            make_deal("Bar", D("1000.00"), DealKind.HOSTING),
        ),
        rates=terms,
    )
    stored = _as_stored_before_deals_kept_their_rate(repriced.to_doc())
    assert stored["owed"] == "3250.00"
    read = Report.from_doc(stored)
    assert [deal.rate for deal in read.deals] == [D("30"), None]
    assert read.owed_per_deal() == [D("3600.00"), D("250.00")]
    assert read.filed == opened.filed
    never_filed = _as_stored_before_deals_kept_their_rate(with_deal().to_doc())
    assert Report.from_doc(never_filed) == with_deal()


def test_reopen_keeps_the_filed_version_and_the_first_verdict() -> None:
    filed = submit(worked_example(), ALICE, NOW, ZONE, DUE_DAY)
    reopened_at = datetime(2026, 10, 20, 15, 0, tzinfo=UTC)  # after the due day
    opened = reopen(filed, BOB, reopened_at)
    assert opened.state is ReportState.DRAFT
    assert opened.entries == filed.entries
    assert (opened.submitted_at, opened.submitted_by, opened.on_time) == (None, None, None)
    assert len(opened.filed) == 1
    kept = opened.filed[0]
    assert (kept.submitted_by, kept.submitted_at, kept.on_time) == (ALICE, NOW, True)
    assert (kept.reopened_by, kept.reopened_at) == (BOB, reopened_at)
    assert kept.deals == filed.deals
    assert (
        render(opened, ZONE)
        .splitlines()[0]
        .endswith("draft, reopened on 2026-10-20 by @bob (the filed version is kept)")
    )

    corrected = remove_entry(opened, 4)
    refiled = submit(corrected, ALICE, reopened_at + timedelta(hours=1), ZONE, DUE_DAY)
    assert refiled.on_time is True  # judged by the first filing, not the correction
    assert (
        render(refiled, ZONE)
        .splitlines()[0]
        .endswith(
            "first filed on time on 2026-10-05 by @alice, filed again on 2026-10-20 by @alice "
            "after a reopen"
        )
    )
    assert summary(refiled, ZONE).startswith(
        "Report for 2026-09 of `acme-hosting`: first filed on time on 2026-10-05 by @alice, "
        "filed again on 2026-10-20 by @alice after a reopen. Closed total"
    )
    doc = refiled.to_doc()
    assert (doc["on_time"], doc["submitted_at"], doc["first_submitted_at"]) == (
        True,
        "2026-10-20T16:00:00+00:00",
        "2026-10-05T13:00:00+00:00",
    )
    assert opened.to_doc()["first_submitted_at"] == "2026-10-05T13:00:00+00:00"
    assert draft().to_doc()["first_submitted_at"] is None
    assert filed.to_doc()["first_submitted_at"] == filed.to_doc()["submitted_at"]
    with pytest.raises(ValueError, match="first_submitted_at is not its first filing's"):
        Report.from_doc({**doc, "first_submitted_at": doc["submitted_at"]})
    assert refiled.owed == D("5970.39") and refiled.closed_total == D("15734.60")
    assert refiled.filed[0].closed_total == D("19734.60")  # the first version, unchanged
    assert refiled.filed[0].owed == D("5970.39")
    twice = reopen(refiled, BOB, reopened_at + timedelta(days=1))
    assert [version.closed_total for version in twice.filed] == [D("19734.60"), D("15734.60")]
    assert Report.from_doc(json.loads(json.dumps(twice.to_doc()))) == twice


def test_a_late_report_stays_late_after_a_reopen() -> None:
    late = submit(with_deal(), ALICE, datetime(2026, 10, 15, tzinfo=UTC), ZONE, DUE_DAY)
    assert late.on_time is False
    assert "filed late on 2026-10-14" in render(late, ZONE)  # 21:00 the day before, local
    reopened = reopen(late, BOB, datetime(2026, 10, 16, tzinfo=UTC))
    again = submit(reopened, ALICE, datetime(2026, 10, 17, tzinfo=UTC), ZONE, DUE_DAY)
    assert again.on_time is False
    assert "first filed late on 2026-10-14 by @alice, filed again on 2026-10-16" in (
        summary(again, ZONE)
    )


def test_transitions_table() -> None:
    """Each action is allowed from the state the table names, and refused from the other."""
    actions: dict[str, Callable[[Report], Report]] = {
        "add_deal": lambda report: with_deal(report),
        "add_prospect": lambda report: add_prospect(
            report, "Bar", D("1"), Month(2026, 12), None, NOW, ZONE
        ),
        "remove_entry": lambda report: remove_entry(report, 1),
        "with_rates": lambda report: with_rates(report, DEFAULT_RATES),
        "submit": lambda report: submit(report, ALICE, NOW, ZONE, DUE_DAY),
        "submit_none": lambda report: submit_none(
            remove_entry(report, 1) if report.state is ReportState.DRAFT else report,
            ALICE,
            NOW,
            ZONE,
            DUE_DAY,
        ),
        "reopen": lambda report: reopen(report, BOB, NOW),
    }
    assert set(actions) == set(TRANSITIONS)
    in_state = {
        ReportState.DRAFT: with_deal(),
        ReportState.SUBMITTED: submit(with_deal(), ALICE, NOW, ZONE, DUE_DAY),
    }
    for action, (before, after) in TRANSITIONS.items():
        assert actions[action](in_state[before]).state is after
        other = next(state for state in ReportState if state is not before)
        with pytest.raises(RuleError):
            actions[action](in_state[other])


# The document ---------------------------------------------------------------------------


def test_a_draft_document() -> None:
    doc = draft().to_doc()
    assert doc["state"] == "draft"
    assert (doc["deals"], doc["prospects"]) == ([], [])
    assert (doc["closed_total"], doc["owed"], doc["pipeline_total"]) == ("0.00", "0.00", "0.00")
    assert doc["submitted_at"] is None and doc["filed"] == []
    assert Report.from_doc(doc) == draft()


def test_a_document_that_does_not_add_up_is_refused() -> None:
    doc = submit(worked_example(), ALICE, NOW, ZONE, DUE_DAY).to_doc()
    changes: list[Callable[[dict[str, Any]], None]] = [
        lambda d: d.update(owed="5970.38"),
        lambda d: d["deals"][0].update(owed="3600.01"),
        lambda d: d.update(closed_total="1.00"),
        lambda d: d["deals"][0].update(amount="12000.5"),
        lambda d: d["deals"][0].update(amount=12000.05),
        lambda d: d.update(month="2026-9"),
        lambda d: d.update(state="filed"),
        lambda d: d.update(submitted_at=None),
        lambda d: d["rates"].update(hosting="30.00"),
        lambda d: d["prospects"][0].update(client=""),
    ]
    for change in changes:
        broken = json.loads(json.dumps(doc))
        change(broken)
        with pytest.raises(ValueError, match=r"report '?acme-hosting"):
            Report.from_doc(broken)


def _floats(value: Any) -> list[Any]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [found for item in value.values() for found in _floats(item)]
    if isinstance(value, list):
        return [found for item in value for found in _floats(item)]
    return []


def test_the_reporting_rules_read_no_clock_and_use_no_float() -> None:
    for module in (reporting.money, reporting.months, reporting.model, reporting.rules):
        source = inspect.getsource(module)
        assert not re.search(r"\.now\(|\.today\(|utcnow|time\.time", source), module
        assert not re.search(r"\bfloat\b", source), module


# Properties -----------------------------------------------------------------------------

# USD 0.01 to 1,000,000,000.00, small amounts often (where the half cents are)
cents = st.integers(min_value=1, max_value=999) | st.integers(1, 100_000_000_000)
amounts = cents.map(lambda n: Decimal(n).scaleb(-2))
# 0.00 % to 100.00 %; the brochure's rates and 50 % (a half cent on every odd cent) often
basis_points = st.sampled_from([0, 3000, 5000, 8000]) | st.integers(0, 10_000)
rates = st.builds(
    lambda points: {
        kind: canonical_rate(Decimal(point).scaleb(-2))
        for kind, point in zip(DealKind, points, strict=True)
    },
    st.lists(basis_points, min_size=4, max_size=4),
)
names = (
    st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=40)
    .map(lambda text: " ".join(text.split()))
    .filter(bool)
)
notes = st.none() | names
deals = st.builds(Deal, names, amounts, st.sampled_from(DealKind), notes)
months = st.builds(Month, st.integers(2020, 2035), st.integers(1, 12))
prospects = st.builds(Prospect, names, amounts, months, notes)


@given(st.lists(st.tuples(cents, st.sampled_from(DealKind)), max_size=30), rates)
@example([(5, DealKind.HOSTING)], {**DEFAULT_RATES, DealKind.HOSTING: Decimal(10)})  # 0.005
def test_owed_is_the_sum_of_the_rounded_shares(
    items: list[tuple[int, DealKind]], rates: dict[DealKind, Decimal]
) -> None:
    report = draft(rates=rates)
    for amount, kind in items:
        report = add_deal(report, "Client", Decimal(amount).scaleb(-2), kind)
    # each share computed apart, in integers: cents x basis points / 10,000, half-up
    expected = []
    for amount, kind in items:
        points = int(rates[kind] * 100)
        expected.append((amount * points * 2 + 10_000) // 20_000)
    assert report.owed_per_deal() == [Decimal(cent).scaleb(-2) for cent in expected]
    assert report.owed == Decimal(sum(expected)).scaleb(-2)
    assert report.closed_total == Decimal(sum(amount for amount, _ in items)).scaleb(-2)
    doc = report.to_doc()
    assert sum((Decimal(deal["owed"]) for deal in doc["deals"]), Decimal(0)) == Decimal(doc["owed"])
    assert all(re.fullmatch(r"[0-9]+\.[0-9]{2}", deal["owed"]) for deal in doc["deals"])
    assert _floats(doc) == []


@given(amounts)
def test_an_amount_survives_formatting_and_parsing(amount: Decimal) -> None:
    shown = format_usd(amount)
    assert parse_amount(shown) == amount
    assert format_usd(parse_amount(shown)) == shown
    assert parse_amount(money_doc(amount)) == amount
    plain = f"{amount:f}"
    for text in (plain, f"${amount:,.2f}", f"USD {amount:,}", f"{plain} usd"):
        assert parse_amount(text) == amount


number_like = st.text(
    st.sampled_from(list("0123456789,.$-+()eE€ USDusdNaINF\u0663\uff11\u2212")), max_size=25
)


@given(st.one_of(st.text(max_size=40), number_like))
def test_parsers_raise_only_rule_errors(text: str) -> None:
    parsers: list[Callable[[str], object]] = [
        parse_amount,
        parse_month,
        parse_kind,
        lambda value: parse_percent(value, "hosting"),
        lambda value: parse_rates({value: value}),
        lambda value: parse_rates({"hosting": value}),
        lambda value: deal_from_options({"client": value, "amount": value, "kind": value}),
        lambda value: deal_from_options({"client": value, "amount": value, "kind": "hosting"}),
        lambda value: prospect_from_options(
            {"client": value, "amount": value, "close": value}, NOW, ZONE
        ),
        lambda value: add_deal(draft(), value, Decimal("1.00"), DealKind.HOSTING, value),
    ]
    for parse in parsers:
        with contextlib.suppress(RuleError):
            parse(text)


@given(
    st.lists(deals, max_size=5),
    st.lists(prospects, max_size=5),
    rates,
    st.sampled_from(["draft", "submitted", "none", "reopened"]),
    st.datetimes(
        min_value=datetime(2036, 1, 2),  # noqa: DTZ001
        max_value=datetime(2040, 1, 1),  # noqa: DTZ001
        timezones=st.sampled_from([UTC, ZONE]),
    ),
)
def test_the_document_round_trips(
    deal_list: list[Deal],
    prospect_list: list[Prospect],
    rates: dict[DealKind, Decimal],
    how: str,
    now: datetime,
) -> None:
    report = Report(
        PARTNER,
        Month(2035, 12),
        deals=tuple(deal_list),
        prospects=tuple(prospect_list),
        rates=rates,
    )
    if how == "none":
        report = submit_none(draft(Month(2035, 12), rates), ALICE, now, ZONE, DUE_DAY)
    elif how != "draft" and report.entries:
        report = submit(report, ALICE, now, ZONE, DUE_DAY)
        if how == "reopened":
            report = reopen(report, BOB, now)
    doc = report.to_doc()
    assert Report.from_doc(json.loads(json.dumps(doc))) == report
    assert Report.from_doc(doc).to_doc() == doc
