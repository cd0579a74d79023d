"""The compliance rules: fee years (29 February, the 31st), the current review date, month
ends, recording a fee or a review, and the quarterly checklist's lines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from i18n import LANGUAGES, day, speaking
from tests.partners import acme
from workflows.compliance import (
    FeeRecord,
    FeeStatus,
    FeeYear,
    Filed,
    Late,
    MonthReport,
    Outcome,
    ReportMonths,
    Review,
    Waiting,
    check_fee_year,
    current_fee_year,
    current_review,
    fee_due_date,
    fee_line,
    fee_mark,
    fee_paid,
    fee_status,
    fee_years,
    late,
    next_review,
    overdue_reports,
    parse_outcome,
    parse_year,
    partner_notice,
    previous_review,
    record_fee,
    record_review,
    report_months,
    review_checklist,
    upcoming_review,
)
from workflows.onboarding import (
    Partner,
    RuleError,
    State,
    Status,
    Step,
    StepRecord,
    fresh_steps,
)
from workflows.reminders import anniversaries, review_dates
from workflows.reporting import Month

UTC_ZONE = ZoneInfo("UTC")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
SIGNED = date(2026, 11, 26)
CONTRACT_AT = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def partner(
    signed: date | None = SIGNED,
    status: Status = Status.ACTIVE,
    fee_paid: bool | None = False,
    **changes: object,
) -> Partner:
    steps = dict(fresh_steps())
    steps[Step.CONTRACT] = StepRecord(State.DONE, CONTRACT_AT, "maria")
    made = acme(
        status=status,
        manager="maria",
        steps=steps,
        applied_at=datetime(2026, 11, 1, tzinfo=UTC),
        signed=signed,
        support=True,
        fee_paid=fee_paid,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, tzinfo=UTC)


# Fee years.


@pytest.mark.parametrize(
    ("signed", "year", "due"),
    [
        (SIGNED, 2026, date(2026, 11, 26)),
        (SIGNED, 2027, date(2027, 11, 26)),
        (SIGNED, 2025, None),
        (date(2028, 2, 29), 2028, date(2028, 2, 29)),
        (date(2028, 2, 29), 2029, date(2029, 2, 28)),
        (date(2028, 2, 29), 2031, date(2031, 2, 28)),
        (date(2028, 2, 29), 2032, date(2032, 2, 29)),
        (date(2027, 1, 31), 2028, date(2028, 1, 31)),
        (date(2027, 8, 31), 2030, date(2030, 8, 31)),
    ],
)
def test_fee_due_date(signed: date, year: int, due: date | None) -> None:
    assert fee_due_date(signed, year) == due


@pytest.mark.parametrize(
    ("signed", "today", "current"),
    [
        (SIGNED, SIGNED, 2026),
        (SIGNED, date(2027, 11, 25), 2026),
        (SIGNED, date(2027, 11, 26), 2027),
        (SIGNED, date(2029, 1, 1), 2028),
        (date(2028, 2, 29), date(2029, 2, 27), 2028),
        (date(2028, 2, 29), date(2029, 2, 28), 2029),
        (date(2028, 2, 29), date(2032, 2, 28), 2031),
        (date(2028, 2, 29), date(2032, 2, 29), 2032),
        (date(2027, 1, 31), date(2028, 1, 30), 2027),
        (date(2027, 1, 31), date(2028, 1, 31), 2028),
        (SIGNED, date(2026, 11, 1), 2026),  # before signing: the signing year
    ],
)
def test_current_fee_year(signed: date, today: date, current: int) -> None:
    assert current_fee_year(signed, today) == current


def test_fee_years_run_from_signing_to_the_next_anniversary() -> None:
    assert fee_years(SIGNED, SIGNED) == [2026, 2027]
    assert fee_years(SIGNED, date(2027, 11, 25)) == [2026, 2027]
    assert fee_years(SIGNED, date(2027, 11, 26)) == [2026, 2027, 2028]
    assert fee_years(date(2028, 2, 29), date(2029, 2, 28)) == [2028, 2029, 2030]


@given(
    signed=st.dates(date(2020, 1, 1), date(2040, 12, 31)),
    days=st.integers(0, 4000),
)
def test_the_current_fee_year_holds_today(signed: date, days: int) -> None:
    today = signed + timedelta(days=days)
    current = current_fee_year(signed, today)
    due, following = fee_due_date(signed, current), fee_due_date(signed, current + 1)
    assert due is not None and following is not None
    assert due <= today < following
    assert due.year == current and following.year == current + 1
    assert due in [signed, *anniversaries(signed, today)]  # the reminders' anniversaries
    assert fee_years(signed, today)[-2:] == [current, current + 1]


@pytest.mark.parametrize("text", ["27", "twenty", "20277", "\uff12\uff10\uff12\uff17", "-202", ""])
def test_parse_year_refuses_what_is_not_yyyy(text: str) -> None:
    with pytest.raises(RuleError, match="YYYY"):
        parse_year(text)


def test_parse_year() -> None:
    assert parse_year(" 2027 ") == 2027


def test_check_fee_year() -> None:
    acme = partner()
    assert check_fee_year(acme, None, date(2027, 12, 1)) == 2027
    assert check_fee_year(acme, 2028, date(2027, 12, 1)) == 2028
    with pytest.raises(RuleError, match=r"2026 \(signed on 2026-11-26\) to 2028"):
        check_fee_year(acme, 2029, date(2027, 12, 1))
    with pytest.raises(RuleError, match="2025 is not one of them"):
        check_fee_year(acme, 2025, date(2027, 12, 1))
    with pytest.raises(RuleError, match="onboarding: only active or suspended"):
        check_fee_year(partner(status=Status.ONBOARDING), None, date(2027, 12, 1))


def test_the_fee_at_signing_may_be_marked_with_the_contract() -> None:
    assert fee_paid(partner(fee_paid=True), 2026, ())
    assert not fee_paid(partner(fee_paid=True), 2027, ())
    assert not fee_paid(partner(fee_paid=False), 2026, ())
    assert not fee_paid(partner(fee_paid=None), 2026, ())
    assert fee_paid(partner(fee_paid=False), 2026, {2026})
    assert fee_paid(partner(fee_paid=False), 2028, {2026, 2028})


def test_fee_status() -> None:
    today = date(2027, 11, 1)
    status = fee_status(partner(fee_paid=True), {2027}, today)
    assert status == FeeStatus(
        FeeYear(2026, date(2026, 11, 26), True), FeeYear(2027, date(2027, 11, 26), True)
    )
    assert fee_status(partner(status=Status.ONBOARDING, signed=None), (), today) is None
    assert fee_status(partner(status=Status.REMOVED), (), today) is None
    assert fee_status(partner(status=Status.SUSPENDED), (), today) is not None


@pytest.mark.parametrize(
    ("fee_paid", "recorded", "today", "line"),
    [
        (True, (), date(2027, 1, 5), "✅ Program fee for 2026 (due 2026-11-26): paid."),
        (False, (), date(2027, 1, 5), "❌ Program fee for 2026 (due 2026-11-26): unpaid."),
        (
            True,
            (),
            date(2027, 11, 1),
            "✅ Program fee for 2026 (due 2026-11-26): paid; "
            "for 2027 due on 2027-11-26, in 25 days.",
        ),
        (
            True,
            (2027,),
            date(2027, 10, 27),
            "✅ Program fee for 2026 (due 2026-11-26): paid; "
            "for 2027 (due 2027-11-26): paid in advance.",
        ),
        (True, (), date(2027, 10, 26), "✅ Program fee for 2026 (due 2026-11-26): paid."),
        (
            True,
            (),
            date(2027, 11, 26),
            "❌ Program fee for 2027 (due 2027-11-26): unpaid.",
        ),
        (
            False,
            (),
            date(2026, 11, 20),  # signed in the future: not due yet
            "⏳ Program fee for 2026: due on 2026-11-26, in 6 days.",
        ),
    ],
)
def test_fee_line(fee_paid: bool, recorded: tuple[int, ...], today: date, line: str) -> None:
    status = fee_status(partner(fee_paid=fee_paid), recorded, today)
    assert status is not None
    assert f"{fee_mark(status, today)} {fee_line(status, today)}" == line


def test_record_fee_defaults_to_the_current_year_and_dates_it_locally() -> None:
    # 01:00 UTC on 1 January is still 31 December in São Paulo
    now = datetime(2028, 1, 1, 1, 0, tzinfo=UTC)
    year = check_fee_year(partner(), None, date(2027, 12, 31))
    record = record_fee(partner(), year, None, "maria", now, SAO_PAULO)
    assert record == FeeRecord("acme-hosting", 2027, date(2027, 12, 31), "maria")
    assert record.to_doc() == {
        "partner": "acme-hosting",
        "year": "2027",
        "paid_on": "2027-12-31",
        "by": "maria",
    }
    assert FeeRecord.from_doc(record.to_doc()) == record


def test_record_fee_refusals() -> None:
    now = noon(date(2027, 1, 5))
    before = FeeRecord("acme-hosting", 2026, date(2026, 12, 1), "joao")
    with pytest.raises(RuleError, match="already recorded as paid on 2026-12-01 by @joao"):
        record_fee(partner(), 2026, before, "maria", now, UTC_ZONE)
    with pytest.raises(
        RuleError, match="marked paid with the contract, approved on 2026-11-26 by @maria"
    ):
        record_fee(partner(fee_paid=True), 2026, None, "maria", now, UTC_ZONE)
    with pytest.raises(RuleError, match="2028 is not one of them"):
        record_fee(partner(), 2028, None, "maria", now, UTC_ZONE)
    with pytest.raises(RuleError, match="You are a contact of Acme Hosting"):
        record_fee(partner(), 2026, None, "alice", now, UTC_ZONE)
    with pytest.raises(RuleError, match="removed: only active or suspended"):
        record_fee(partner(status=Status.REMOVED), 2026, None, "maria", now, UTC_ZONE)
    paid = record_fee(partner(fee_paid=True), 2027, None, "maria", now, UTC_ZONE)
    assert paid.year == 2027  # the coming year, early


# Review dates.


@pytest.mark.parametrize(
    ("signed", "today", "current", "following"),
    [
        (SIGNED, date(2027, 2, 18), None, date(2027, 2, 26)),
        (SIGNED, date(2027, 2, 19), date(2027, 2, 26), date(2027, 5, 26)),
        (SIGNED, date(2027, 2, 26), date(2027, 2, 26), date(2027, 5, 26)),
        (SIGNED, date(2027, 5, 18), date(2027, 2, 26), date(2027, 5, 26)),
        (SIGNED, date(2027, 5, 19), date(2027, 5, 26), date(2027, 8, 26)),
        # the 31st: clamped to the month's end, each counted from the signing date
        (date(2027, 1, 31), date(2027, 4, 22), None, date(2027, 4, 30)),
        (date(2027, 1, 31), date(2027, 4, 23), date(2027, 4, 30), date(2027, 7, 31)),
        (date(2027, 1, 31), date(2027, 7, 24), date(2027, 7, 31), date(2027, 10, 31)),
        # 31 August: 30 November, then 29 February in a leap year, then 31 May
        (date(2027, 8, 31), date(2027, 11, 23), date(2027, 11, 30), date(2028, 2, 29)),
        (date(2027, 8, 31), date(2028, 2, 22), date(2028, 2, 29), date(2028, 5, 31)),
        (date(2028, 8, 31), date(2029, 2, 21), date(2029, 2, 28), date(2029, 5, 31)),
        # 29 February
        (date(2028, 2, 29), date(2028, 5, 22), date(2028, 5, 29), date(2028, 8, 29)),
        (date(2028, 2, 29), date(2029, 2, 21), date(2029, 2, 28), date(2029, 5, 29)),
    ],
)
def test_current_and_next_review(
    signed: date, today: date, current: date | None, following: date
) -> None:
    assert current_review(signed, today) == current
    assert next_review(signed, today) == following


def test_previous_and_upcoming_review() -> None:
    assert previous_review(SIGNED, date(2027, 2, 26)) is None
    assert previous_review(SIGNED, date(2027, 5, 26)) == date(2027, 2, 26)
    assert previous_review(date(2027, 1, 31), date(2027, 7, 31)) == date(2027, 4, 30)
    assert upcoming_review(SIGNED, date(2027, 2, 26)) == date(2027, 2, 26)
    assert upcoming_review(SIGNED, date(2027, 2, 27)) == date(2027, 5, 26)
    assert upcoming_review(SIGNED, SIGNED) == date(2027, 2, 26)


@given(
    signed=st.dates(date(2020, 1, 1), date(2040, 12, 31)),
    days=st.integers(0, 2000),
)
def test_the_current_review_is_the_latest_date_of_the_reminders(signed: date, days: int) -> None:
    today = signed + timedelta(days=days)
    dates = review_dates(signed, today + timedelta(days=400))
    current = current_review(signed, today)
    following = next_review(signed, today)
    assert following in dates
    assert today + timedelta(days=7) < following
    if current is None:
        assert following == dates[0]
    else:
        assert current <= today + timedelta(days=7)
        assert dates[dates.index(current) + 1] == following


# Recording a review.


@pytest.mark.parametrize(("text", "outcome"), [("pass", Outcome.PASS), (" WARN", Outcome.WARN)])
def test_parse_outcome(text: str, outcome: Outcome) -> None:
    assert parse_outcome(text) is outcome


def test_parse_outcome_refuses_others() -> None:
    with pytest.raises(RuleError, match="give pass, warn or fail"):
        parse_outcome("ok")


def test_record_review() -> None:
    now = datetime(2027, 2, 20, 2, 0, tzinfo=UTC)
    review = record_review(partner(), Outcome.WARN, "  late\n reports ", "maria", now, UTC_ZONE)
    assert review == Review(
        "acme-hosting", date(2027, 2, 26), Outcome.WARN, "late reports", "maria", now
    )
    assert review.to_doc() == {
        "partner": "acme-hosting",
        "date": "2027-02-26",
        "outcome": "warn",
        "notes": "late reports",
        "by": "maria",
        "at": "2027-02-20T02:00:00+00:00",
    }
    assert Review.from_doc(review.to_doc()) == review
    assert review.describe(UTC_ZONE) == "warn by @maria on 2027-02-20 (late reports)"
    assert review.describe(SAO_PAULO) == "warn by @maria on 2027-02-19 (late reports)"
    empty = record_review(partner(), Outcome.PASS, " ", "maria", now, UTC_ZONE)
    assert empty.notes is None and empty.to_doc()["notes"] is None


def test_record_review_takes_the_local_date() -> None:
    # 2027-02-19 02:00 UTC is 2027-02-18 in São Paulo: the review is not near there yet
    now = datetime(2027, 2, 19, 2, 0, tzinfo=UTC)
    assert record_review(partner(), Outcome.PASS, "", "maria", now, UTC_ZONE).day == date(
        2027, 2, 26
    )
    with pytest.raises(RuleError, match=r"first quarterly review .* is on 2027-02-26"):
        record_review(partner(), Outcome.PASS, "", "maria", now, SAO_PAULO)


def test_record_review_refusals() -> None:
    now = noon(date(2027, 2, 20))
    with pytest.raises(
        RuleError,
        match="first quarterly review of Acme Hosting is on 2027-02-26: it can be recorded "
        "from 2027-02-19",
    ):
        record_review(partner(), Outcome.PASS, "", "maria", noon(date(2027, 1, 5)), UTC_ZONE)
    with pytest.raises(RuleError, match="onboarding: only active or suspended partners"):
        record_review(
            partner(status=Status.ONBOARDING, signed=None), Outcome.PASS, "", "maria", now, UTC_ZONE
        )
    with pytest.raises(RuleError, match="You are a contact"):
        record_review(partner(), Outcome.PASS, "", "alice", now, UTC_ZONE)
    with pytest.raises(RuleError, match="too long"):
        record_review(partner(), Outcome.PASS, "x" * 1001, "maria", now, UTC_ZONE)
    for outcome in (Outcome.WARN, Outcome.FAIL):  # the partner is told to put the notes right
        with pytest.raises(RuleError, match=f"a {outcome} needs notes"):
            record_review(partner(), outcome, " \n ", "maria", now, UTC_ZONE)
    suspended = record_review(
        partner(status=Status.SUSPENDED), Outcome.FAIL, "no reports", "maria", now, UTC_ZONE
    )
    assert suspended.outcome is Outcome.FAIL


def test_partner_notice() -> None:
    now = noon(date(2027, 2, 20))
    review = record_review(partner(), Outcome.WARN, "file on time", "maria", now, UTC_ZONE)
    text = partner_notice(review, date(2027, 5, 26))()  # made in the language in force
    assert "2027-02-26 passed with a warning" in text
    assert "next review, on 2027-05-26" in text
    assert text.endswith("Notes: file on time")
    failed = replace(review, outcome=Outcome.FAIL, notes=None)
    assert "2027-02-26 failed" in partner_notice(failed, date(2027, 5, 26))()


# The checklist.


def reports(today: date) -> list[MonthReport]:
    return [
        MonthReport(Month(2027, 1), date(2027, 2, 10), Filed.MISSING),
        MonthReport(Month(2026, 12), date(2027, 1, 10), Filed.LATE),
        MonthReport(Month(2026, 11), date(2026, 12, 10), Filed.ON_TIME),
    ]


def test_the_checklist_of_a_compliant_partner() -> None:
    today = date(2027, 2, 20)
    steps = dict(fresh_steps())
    for step in steps:
        steps[step] = StepRecord(State.DONE, CONTRACT_AT, "maria")
    good = partner(
        fee_paid=True,
        steps=steps,
        goals_3m="five hosted workspaces",
        goals_1y="fifty",
        listing_url="https://acme.example/partners",
        listing_mentions_vendor=True,
        training_on=date(2026, 12, 1),
        statistics_shared=True,
        vendor_referenced=True,
    )
    fee = fee_status(good, (), today)
    assert fee is not None
    month = [MonthReport(Month(2027, 1), date(2027, 2, 10), Filed.ON_TIME)]
    lines = review_checklist(good, month, fee, {}, noon(today), UTC_ZONE)
    assert lines[0] == (
        "*Quarterly review of Acme Hosting* (`acme-hosting`, active), signed on 2026-11-26"
    )
    assert lines[1:] == [
        "⚠️ This review is for 2027-02-26: not recorded yet "
        "(`/review acme-hosting pass [notes]`, or `warn` or `fail` with notes).",
        "✅ Report 2027-01: filed on time (due 2027-02-10).",
        "✅ Goals: done; 3 months: five hosted workspaces; 1 year: fifty.",
        "✅ Listing: done, `https://acme.example/partners` (the page mentions the vendor).",
        "✅ Statistics sharing: attested on.",
        "✅ Vendor reference: attested on.",
        "✅ Program fee for 2026 (due 2026-11-26): paid.",
        "✅ Support contract: yes.",
        "✅ Training: done on 2026-12-01.",
    ]


def test_the_checklist_flags_what_is_missing() -> None:
    today = date(2027, 5, 20)
    steps = dict(fresh_steps())
    steps[Step.GOALS] = StepRecord(State.SUBMITTED, CONTRACT_AT, "alice")
    lax = partner(
        steps=steps,
        statistics_shared=False,
        support=False,
        listing_url="https://acme.example",
        listing_mentions_vendor=False,
    )
    fee = fee_status(lax, (), today)
    assert fee is not None
    earlier = Review(
        "acme-hosting", date(2027, 2, 26), Outcome.WARN, "late", "joao", noon(date(2027, 2, 25))
    )
    now = Review("acme-hosting", date(2027, 5, 26), Outcome.FAIL, None, "maria", noon(today))
    reviews = {earlier.day: earlier, now.day: now}
    text = "\n".join(review_checklist(lax, reports(today), fee, reviews, noon(today), UTC_ZONE))
    for line in [
        "❌ This review is for 2027-05-26: recorded, fail by @maria on 2027-05-20.",
        "⚠️ Previous review (2027-02-26): warn by @joao on 2027-02-25 (late).",
        "❌ Report 2027-01: not filed (due 2027-02-10).",
        "⚠️ Report 2026-12: filed late (due 2027-01-10).",
        "✅ Report 2026-11: filed on time (due 2026-12-10).",
        "⚠️ Goals: submitted; 3 months: (none); 1 year: (none).",
        "❌ Listing: todo, `https://acme.example` (the vendor was not found on the page",
        "❌ Statistics sharing: attested off.",
        "❌ Vendor reference: not attested (`/attest reference on`).",
        "❌ Program fee for 2026 (due 2026-11-26): unpaid.",
        "❌ Support contract: none.",
        "❌ Training: late, it was due by 2027-01-25.",
    ]:
        assert line in text
    unrecorded = review_checklist(lax, [], fee, {}, noon(today), UTC_ZONE)
    assert "⚠️ Previous review (2027-02-26): not recorded." in unrecorded


def test_the_checklist_before_the_first_review() -> None:
    today = date(2026, 12, 1)
    acme = partner()
    fee = fee_status(acme, (), today)
    assert fee is not None
    lines = review_checklist(acme, [], fee, {}, noon(today), UTC_ZONE)
    assert lines[1] == ("⏳ The first review is on 2027-02-26; it can be recorded from 2027-02-19.")
    assert "⏳ Monthly reports: none due yet." in lines
    assert "⏳ Training: due by 2027-01-25, in 55 days." in lines
    assert "Previous review" not in "\n".join(lines)


def test_a_report_not_due_yet_is_not_a_failure() -> None:
    waiting = MonthReport(Month(2027, 1), date(2027, 2, 10), Filed.DRAFT)
    assert waiting.mark(date(2027, 2, 10)) == "⏳"
    assert waiting.mark(date(2027, 2, 11)) == "❌"
    assert str(waiting) == "2027-01: draft (due 2027-02-10)"


def test_the_checklist_is_only_for_partners_in_the_program() -> None:
    fee = FeeStatus(FeeYear(2026, SIGNED, True), FeeYear(2027, date(2027, 11, 26), False))
    with pytest.raises(RuleError, match="applicant: only active or suspended"):
        review_checklist(
            partner(status=Status.APPLICANT, signed=None), [], fee, {}, noon(SIGNED), UTC_ZONE
        )


# The report months shown, and what is late.


def test_the_months_shown_are_the_last_three_and_every_older_one_never_filed() -> None:
    stored = {
        Month(2026, 10): Filed.ON_TIME,
        Month(2026, 9): Filed.REOPENED,
        Month(2026, 1): Filed.ON_TIME,
        Month(2026, 2): Filed.LATE,
        Month(2026, 3): Filed.DRAFT,  # never filed: shown
        Month(2026, 4): Filed.REOPENED,  # filed once: not
    }
    months = report_months(date(2025, 10, 15), stored, date(2026, 12, 2), 10)
    assert months.recent == (
        MonthReport(Month(2026, 11), date(2026, 12, 10), Filed.MISSING),
        MonthReport(Month(2026, 10), date(2026, 11, 10), Filed.ON_TIME),
        MonthReport(Month(2026, 9), date(2026, 10, 10), Filed.REOPENED),
    )
    assert months.older == (
        Month(2025, 10),
        Month(2025, 11),
        Month(2025, 12),
        Month(2026, 3),
        Month(2026, 5),
        Month(2026, 6),
        Month(2026, 7),
        Month(2026, 8),
    )
    assert months.line() == (
        "Monthly reports: 2026-11: not filed (due 2026-12-10); 2026-10: filed on time "
        "(due 2026-11-10); 2026-09: reopened for correction (due 2026-10-10). Older reports "
        "never filed: 2025-10 to 2025-12, 2026-03, 2026-05 to 2026-08 (8 months)."
    )
    assert months.recent[2].mark(date(2026, 12, 2)) == "⚠️"  # filed once, being corrected
    # however old: signed ten years ago, nothing filed
    old = report_months(date(2016, 12, 1), {}, date(2026, 12, 2), 10)
    assert len(old.older) == 120 - 3 and old.older[0] == Month(2016, 12)
    assert "Older reports never filed: 2016-12 to 2026-08 (117 months)." in old.line()
    signed_now = report_months(date(2026, 12, 1), {}, date(2026, 12, 2), 10)
    assert signed_now == ReportMonths((), ()) and signed_now.line() == ""


def test_the_checklist_shows_the_older_reports_never_filed() -> None:
    today = date(2027, 2, 20)
    fee = fee_status(partner(), (), today)
    assert fee is not None
    older = (Month(2026, 6), Month(2026, 7), Month(2026, 9))
    lines = review_checklist(partner(), reports(today), fee, {}, noon(today), UTC_ZONE, older)
    index = lines.index("✅ Report 2026-11: filed on time (due 2026-12-10).")
    assert (
        lines[index + 1] == "❌ Older reports never filed: 2026-06 to 2026-07, 2026-09 (3 months)."
    )


def test_overdue_reports_are_every_month_not_filed_past_its_due_day() -> None:
    signed = date(2026, 8, 15)
    assert overdue_reports(signed, set(), date(2026, 12, 10), 10) == [
        Month(2026, 8),
        Month(2026, 9),
        Month(2026, 10),
    ]
    assert overdue_reports(signed, {Month(2026, 9)}, date(2026, 12, 11), 10) == [
        Month(2026, 8),
        Month(2026, 10),
        Month(2026, 11),
    ]
    assert overdue_reports(date(2026, 12, 1), set(), date(2026, 12, 31), 10) == []


def behind(**changes: object) -> Partner:
    """Signed 2026-08-15, the fee unpaid, the training not done, the listing waiting."""
    steps = dict(fresh_steps())
    steps[Step.CONTRACT] = StepRecord(State.DONE, datetime(2026, 8, 15, tzinfo=UTC), "maria")
    steps[Step.LISTING] = StepRecord(State.SUBMITTED, datetime(2026, 11, 29, 8, tzinfo=UTC), "al")
    return replace(partner(signed=date(2026, 8, 15), steps=steps), **changes)  # type: ignore[arg-type]


def test_everything_late_is_found() -> None:
    """Three overdue reports, a missed review, an unpaid fee, the training and an approval
    waiting: `next: all done` hid them all."""
    now = noon(date(2026, 12, 2))
    found = late(behind(), set(), set(), set(), now, UTC_ZONE, 10)
    assert found == Late(
        reports=(Month(2026, 8), Month(2026, 9), Month(2026, 10)),
        review=date(2026, 11, 15),
        fee=FeeYear(2026, date(2026, 8, 15), False),
        training=date(2026, 10, 14),
        approvals=(Waiting(Step.LISTING, 3),),
    )
    assert found.anything
    assert found.describe() == (
        "3 reports not filed (2026-08 to 2026-10); review of 2026-11-15 not recorded; "
        "fee 2026 unpaid (due 2026-08-15); training not done (due 2026-10-14); "
        "listing waiting 3 days for approval"
    )


FORTY_EIGHT_HOURS = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_nothing_late_once_it_is_all_done() -> None:
    now = noon(date(2026, 12, 2))
    steps = dict(behind().steps)
    steps[Step.LISTING] = StepRecord(State.DONE, datetime(2026, 11, 30, tzinfo=UTC), "maria")
    steps[Step.TRAINING] = StepRecord(State.DONE, datetime(2026, 9, 1, tzinfo=UTC), "maria")
    done = behind(steps=steps)
    filed = {Month(2026, 8), Month(2026, 9), Month(2026, 10)}
    found = late(done, filed, {date(2026, 11, 15)}, {2026}, now, UTC_ZONE, 10)
    assert found == Late() and not found.anything and found.describe() == ""
    # on the due day nothing is late yet; the day after it is
    assert late(
        done, set(), {date(2026, 11, 15)}, {2026}, noon(date(2026, 11, 10)), UTC_ZONE, 10
    ).reports == (
        Month(2026, 8),
        Month(2026, 9),
    )
    # a request waiting 48 hours or less is not late (submitted 2026-11-29 08:00)
    waiting = behind(steps={**steps, Step.LISTING: behind().steps[Step.LISTING]})
    assert (
        late(waiting, filed, {date(2026, 11, 15)}, {2026}, FORTY_EIGHT_HOURS, UTC_ZONE, 10)
        == Late()
    )


def test_what_is_late_depends_on_the_status() -> None:
    now = noon(date(2026, 12, 2))
    suspended = late(behind(status=Status.SUSPENDED), set(), set(), set(), now, UTC_ZONE, 10)
    assert len(suspended.reports) == 3  # still in the program
    assert late(behind(status=Status.REMOVED), set(), set(), set(), now, UTC_ZONE, 10) == Late()
    onboarding = late(
        behind(status=Status.ONBOARDING, signed=None), set(), set(), set(), now, UTC_ZONE, 10
    )
    assert onboarding == Late(approvals=(Waiting(Step.LISTING, 3),))


# In the reader's language: the mechanics (placeholders filled, dates by locale); the
# wording of each language is checked where the catalogs are built.


def test_partner_notice_is_made_in_the_language_it_is_called_in() -> None:
    now = noon(date(2027, 2, 20))
    review = record_review(partner(), Outcome.WARN, "file on time", "maria", now, UTC_ZONE)
    notice = partner_notice(review, date(2027, 5, 26))  # made later, under the reader's
    with speaking("pt-BR"):
        text = notice()
    assert "26/02/2027" in text and "26/05/2027" in text and "2027-02-26" not in text
    assert text.endswith("file on time")
    with speaking("es"):
        assert "26/2/27" in notice()


@pytest.mark.parametrize(
    ("tag", "due", "soon"),
    [
        ("en", "2026-11-26", "2027-11-26"),
        ("pt-BR", "26/11/2026", "26/11/2027"),
        ("es", "26/11/26", "26/11/27"),
    ],
)
def test_fee_line_dates_as_its_reader_writes_them(tag: str, due: str, soon: str) -> None:
    today = date(2027, 11, 1)
    status = fee_status(partner(fee_paid=True), (), today)
    assert status is not None
    with speaking(tag):
        line = fee_line(status, today)
    assert due in line and soon in line and "25" in line


@pytest.mark.parametrize("tag", LANGUAGES)
def test_the_checklist_is_whole_in_every_language(tag: str) -> None:
    """Every line of a full checklist, older months and both reviews included, is made
    (no placeholder left unfilled) with the dates in the reader's form."""
    today = date(2027, 5, 25)
    lax = partner(listing_url="https://acme.example", listing_mentions_vendor=False)
    fee = fee_status(lax, (), today)
    assert fee is not None
    earlier = Review("acme-hosting", date(2027, 2, 26), Outcome.WARN, "late", "maria", noon(today))
    older = (Month(2026, 11),)
    with speaking(tag):
        lines = review_checklist(
            lax, reports(today), fee, {date(2027, 2, 26): earlier}, noon(today), UTC_ZONE, older
        )
        late_items = late(lax, set(), set(), set(), noon(today), UTC_ZONE, 10).describe()
        signed_on = day(SIGNED)
    assert signed_on in lines[0]
    assert not any("{" in line or "}" in line for line in [*lines, late_items])
    if tag != "en":
        assert not any("2027-02-26" in line for line in lines)  # the review date, localized
