"""The reminder rules (SPEC §4): every row of the table, month ends, 29 February, the due
day, daylight-saving changes, catching up after a gap, and a property of `due`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.partners import acme
from workflows.onboarding import Partner, State, Status, Step, StepRecord, fresh_steps
from workflows.reminders import (
    Audience,
    Kind,
    Reminder,
    add_months,
    anniversaries,
    digests,
    due,
    orphaned,
    orphans_notice,
    review_dates,
)
from workflows.reporting import Month

UTC_ZONE = ZoneInfo("UTC")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
WG, AM = Audience.WORKGROUP, Audience.MANAGER


def partner(
    signed: date = date(2026, 9, 15),
    status: Status = Status.ACTIVE,
    training: bool = False,
    id: str = "acme-hosting",
    fee_paid: bool = True,
) -> Partner:
    """Active, signed on `signed` with the fee paid at signing (see `fee_paid`)."""
    steps = dict(fresh_steps())
    if training:
        steps[Step.TRAINING] = StepRecord(State.DONE, datetime(2026, 10, 1, tzinfo=UTC), "bob")
    return acme(id=id, status=status, steps=steps, signed=signed, fee_paid=fee_paid)


def at(day: date, hour: int = 9, minute: int = 0, zone: ZoneInfo = UTC_ZONE) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def reminders(
    now: datetime,
    partners: Iterable[Partner] | None = None,
    filed: frozenset[tuple[str, Month]] = frozenset(),
    recorded: frozenset[tuple[str, date]] = frozenset(),
    zone: ZoneInfo = UTC_ZONE,
    due_day: int = 10,
) -> list[Reminder]:
    return due(
        [partner()] if partners is None else partners,
        lambda pid, month: (pid, month) in filed,
        lambda pid, day: (pid, day) in recorded,
        now,
        zone,
        due_day,
    )


def keys(found: list[Reminder]) -> set[tuple[str, str, str]]:
    return {reminder.key for reminder in found}


def key(kind: Kind, period: str, pid: str = "acme-hosting") -> tuple[str, str, str]:
    return (pid, kind.value, period)


def newly(
    day: date, partners: Iterable[Partner] | None = None, due_day: int = 10
) -> set[tuple[str, str, str]]:
    """What becomes due at 09:00 on `day`: due then, and not at 08:59."""
    before = keys(reminders(at(day, 8, 59), partners, due_day=due_day))
    return keys(reminders(at(day), partners, due_day=due_day)) - before


# Dates --------------------------------------------------------------------------------


def test_review_dates_from_a_31st_are_each_counted_from_the_signing() -> None:
    assert review_dates(date(2027, 1, 31), date(2028, 1, 31)) == [
        date(2027, 4, 30),
        date(2027, 7, 31),
        date(2027, 10, 31),
        date(2028, 1, 31),
    ]
    assert review_dates(date(2026, 11, 30), date(2027, 6, 1)) == [
        date(2027, 2, 28),
        date(2027, 5, 30),
    ]


def test_review_dates_exclude_the_signing_and_stop_at_until() -> None:
    assert review_dates(date(2026, 9, 15), date(2026, 12, 14)) == []
    assert review_dates(date(2026, 9, 15), date(2026, 12, 15)) == [date(2026, 12, 15)]


def test_anniversaries_of_29_february_fall_on_28_february() -> None:
    assert anniversaries(date(2024, 2, 29), date(2028, 3, 1)) == [
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]
    assert anniversaries(date(2026, 1, 31), date(2028, 1, 30)) == [date(2027, 1, 31)]


@given(st.dates(date(2000, 1, 1), date(2100, 1, 1)), st.integers(0, 400))
def test_add_months_keeps_the_day_or_takes_the_last(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert Month.of(day).plus(months) == Month.of(moved)
    assert moved.day == min(day.day, Month.of(moved).last_day().day)


# Reports --------------------------------------------------------------------------------


def test_report_open_on_day_1_of_the_next_month_to_the_workgroup() -> None:
    assert newly(date(2026, 10, 1)) == {key(Kind.REPORT_OPEN, "2026-09")}
    (found,) = reminders(at(date(2026, 10, 1)))
    assert found.audiences == (WG,)
    text = found.text_for(WG)
    assert "2026-09" in text and "2026-10-10" in text
    assert "`/report 2026-09" in text


def test_report_due_soon_3_days_before_the_due_day() -> None:
    assert newly(date(2026, 11, 7)) == {
        key(Kind.REPORT_DUE_SOON, "2026-10"),
        key(Kind.TRAINING_53, "2026-11-14"),  # signed 2026-09-15: day 53 as well
    }
    soon = [r for r in reminders(at(date(2026, 11, 7))) if r.kind is Kind.REPORT_DUE_SOON]
    assert soon[0].audiences == (WG,)
    text = soon[0].text_for(WG)
    assert "2026-11-10" in text and "`/report 2026-10 submit`" in text


def test_report_overdue_the_day_after_the_due_day_to_workgroup_and_manager() -> None:
    assert newly(date(2026, 11, 11)) == {key(Kind.REPORT_OVERDUE, "2026-10")}
    assert key(Kind.REPORT_OVERDUE, "2026-10") not in keys(reminders(at(date(2026, 11, 10), 23)))
    found = reminders(at(date(2026, 11, 11)))
    (overdue,) = [r for r in found if r.kind is Kind.REPORT_OVERDUE and r.period == "2026-10"]
    assert overdue.audiences == (WG, AM)
    assert "2026-11-10" in overdue.text_for(WG) and "`/report 2026-10 submit`" in overdue.text_for(
        WG
    )
    assert "2026-11-10" in overdue.text_for(AM) and "`/status acme-hosting`" in overdue.text_for(AM)
    assert "/report" not in overdue.text_for(AM)  # a manager does not file it


def test_open_and_due_soon_stop_after_the_due_day() -> None:
    found = keys(reminders(at(date(2026, 11, 11))))
    assert key(Kind.REPORT_OPEN, "2026-10") not in found
    assert key(Kind.REPORT_DUE_SOON, "2026-10") not in found


def test_a_filed_report_stops_its_reminders() -> None:
    filed = frozenset({("acme-hosting", Month(2026, 10))})
    for day in (date(2026, 11, 1), date(2026, 11, 7), date(2026, 11, 11)):
        assert not {r.period for r in reminders(at(day), filed=filed)} & {"2026-10"}
    assert key(Kind.REPORT_OVERDUE, "2026-10") in keys(reminders(at(date(2026, 11, 11))))


def test_reports_start_with_the_signing_month() -> None:
    found = keys(reminders(at(date(2026, 9, 30), 23)))
    assert not {k for k in found if k[1].startswith("report")}
    assert key(Kind.REPORT_OPEN, "2026-09") in keys(reminders(at(date(2026, 10, 1))))
    late = partner(signed=date(2026, 9, 30))  # signed on the last day of the month
    assert key(Kind.REPORT_OPEN, "2026-09") in keys(reminders(at(date(2026, 10, 1)), [late]))


def test_a_report_never_filed_stays_overdue_however_old() -> None:
    """Signed 2026-09-15 and nothing filed: on 2027-06-20 every month from September is
    overdue (each is sent once: the caller drops those already sent); none is open or due
    soon any more, and a filed month has none."""
    found = reminders(at(date(2027, 6, 20)))
    assert {k[2] for k in keys(found) if k[1] == Kind.REPORT_OVERDUE} == {
        str(Month(2026, 9).plus(n))
        for n in range(9)  # 2026-09 to 2027-05
    }
    assert {k[1] for k in keys(found) if k[1].startswith("report")} == {Kind.REPORT_OVERDUE}
    overdue = [r for r in found if r.kind is Kind.REPORT_OVERDUE]
    assert [r.period for r in overdue][:2] == ["2026-09", "2026-10"]  # oldest first
    filed = frozenset({("acme-hosting", Month(2026, 10))})
    assert key(Kind.REPORT_OVERDUE, "2026-10") not in keys(
        reminders(at(date(2027, 6, 20)), filed=filed)
    )


def test_report_dates_at_month_ends_and_in_february() -> None:
    # January's report opens on 1 February; with due day 28 it is due on 28 February.
    found = reminders(at(date(2027, 2, 25)), due_day=28)
    assert key(Kind.REPORT_DUE_SOON, "2027-01") in keys(found)
    assert key(Kind.REPORT_DUE_SOON, "2027-01") not in keys(
        reminders(at(date(2027, 2, 24), 23), due_day=28)
    )
    assert newly(date(2027, 3, 1), due_day=28) == {
        key(Kind.REPORT_OVERDUE, "2027-01"),
        key(Kind.REPORT_OPEN, "2027-02"),
    }
    # December's report opens on 1 January of the next year.
    assert key(Kind.REPORT_OPEN, "2026-12") in newly(date(2027, 1, 1))


def test_leap_february_with_due_day_28() -> None:
    signed = partner(signed=date(2028, 1, 5))
    assert newly(date(2028, 2, 25), partners=[signed], due_day=28) == {
        key(Kind.REPORT_DUE_SOON, "2028-01")
    }
    assert newly(date(2028, 2, 29), partners=[signed], due_day=28) == {
        key(Kind.REPORT_OVERDUE, "2028-01")
    }


def test_a_due_day_of_1_sends_due_soon_with_the_opening() -> None:
    assert newly(date(2026, 11, 1), due_day=1) == {
        key(Kind.REPORT_OPEN, "2026-10"),
        key(Kind.REPORT_DUE_SOON, "2026-10"),
    }
    assert key(Kind.REPORT_OVERDUE, "2026-10") in newly(date(2026, 11, 2), due_day=1)


# Reviews --------------------------------------------------------------------------------


def test_review_soon_7_days_before_then_due_on_the_day() -> None:
    assert newly(date(2026, 12, 8)) == {key(Kind.REVIEW_SOON, "2026-12-15")}
    assert newly(date(2026, 12, 15)) == {key(Kind.REVIEW_DUE, "2026-12-15")}
    (review,) = [r for r in reminders(at(date(2026, 12, 15))) if r.kind is Kind.REVIEW_DUE]
    assert review.audiences == (AM, WG)
    assert "2026-12-15" in review.text_for(AM) and "`/review acme-hosting" in review.text_for(AM)
    assert "2026-12-15" in review.text_for(WG) and "/review" not in review.text_for(WG)
    assert "`/status`" in review.text_for(WG)
    soon = keys(reminders(at(date(2026, 12, 15))))
    assert key(Kind.REVIEW_SOON, "2026-12-15") not in soon  # replaced by review-due


def test_a_recorded_review_stops_its_reminders() -> None:
    recorded = frozenset({("acme-hosting", date(2026, 12, 15))})
    for day in (date(2026, 12, 8), date(2026, 12, 15)):
        assert not [r for r in reminders(at(day), recorded=recorded) if r.kind.startswith("review")]


def test_a_missed_review_is_reminded_for_31_days() -> None:
    assert key(Kind.REVIEW_DUE, "2026-12-15") in keys(reminders(at(date(2027, 1, 15), 23)))
    assert key(Kind.REVIEW_DUE, "2026-12-15") not in keys(reminders(at(date(2027, 1, 16), 10)))


def test_reviews_of_a_signing_on_the_31st() -> None:
    signed = partner(signed=date(2027, 1, 31))
    assert key(Kind.REVIEW_SOON, "2027-04-30") in newly(date(2027, 4, 23), partners=[signed])
    assert key(Kind.REVIEW_DUE, "2027-07-31") in newly(date(2027, 7, 31), partners=[signed])


# Training -------------------------------------------------------------------------------


def test_training_reminders_on_days_30_53_and_61() -> None:
    signed = date(2026, 9, 15)
    day = {n: signed + timedelta(days=n) for n in (30, 53, 61)}
    period = (signed + timedelta(days=60)).isoformat()  # 2026-11-14
    assert key(Kind.TRAINING_30, period) in newly(day[30])
    assert key(Kind.TRAINING_53, period) in newly(day[53])
    assert key(Kind.TRAINING_OVERDUE, period) in newly(day[61])
    by_kind = {r.kind: r for r in reminders(at(day[61]))}
    assert by_kind[Kind.TRAINING_OVERDUE].audiences == (WG, AM)
    overdue = by_kind[Kind.TRAINING_OVERDUE]
    assert "2026-11-14" in overdue.text_for(WG) and "/approve" not in overdue.text_for(WG)
    assert "2026-11-14" in overdue.text_for(AM)
    assert "`/approve acme-hosting training" in overdue.text_for(AM)
    assert {r.kind: r for r in reminders(at(day[30]))}[Kind.TRAINING_30].audiences == (WG,)
    assert Kind.TRAINING_53 not in by_kind  # the overdue one replaces it


def test_no_training_reminder_once_done() -> None:
    done = partner(training=True)
    for n in (30, 53, 61):
        found = reminders(at(date(2026, 9, 15) + timedelta(days=n)), [done])
        assert not [r for r in found if r.kind.startswith("training")]


# Fee ------------------------------------------------------------------------------------


def test_fee_renewal_30_days_before_the_anniversary() -> None:
    assert newly(date(2027, 8, 16)) == {key(Kind.FEE_RENEWAL, "2027")}
    (fee,) = [r for r in reminders(at(date(2027, 8, 16))) if r.kind is Kind.FEE_RENEWAL]
    assert fee.audiences == (WG, AM)
    assert "2027-09-15" in fee.text_for(WG) and "/fee" not in fee.text_for(WG)
    assert "2027-09-15" in fee.text_for(AM) and "`/fee acme-hosting paid 2027`" in fee.text_for(AM)
    assert key(Kind.FEE_RENEWAL, "2027") not in keys(reminders(at(date(2027, 9, 16))))


def test_fee_renewal_of_a_29_february_signing() -> None:
    leap = partner(signed=date(2024, 2, 29))
    # anniversary 2025-02-28; 30 days before is 2025-01-29
    assert key(Kind.FEE_RENEWAL, "2025") in newly(date(2025, 1, 29), partners=[leap])
    assert key(Kind.FEE_RENEWAL, "2028") in newly(date(2028, 1, 30), partners=[leap])


def test_fee_renewal_of_a_signing_on_the_31st() -> None:
    signed = partner(signed=date(2027, 1, 31))
    assert key(Kind.FEE_RENEWAL, "2028") in newly(date(2028, 1, 1), partners=[signed])


# Who gets reminders, and when -----------------------------------------------------------


@pytest.mark.parametrize(
    "status", [Status.APPLICANT, Status.ONBOARDING, Status.SUSPENDED, Status.REMOVED]
)
def test_only_active_partners_get_reminders(status: Status) -> None:
    other = partner(status=status)
    for day in (date(2026, 10, 1), date(2026, 11, 11), date(2026, 12, 15)):
        assert reminders(at(day, 12), [other]) == []


def test_nothing_before_signing() -> None:
    unsigned = replace(partner(), signed=None)
    assert reminders(at(date(2026, 11, 11)), [unsigned]) == []


def test_nothing_due_before_0900() -> None:
    for day in (date(2026, 10, 1), date(2026, 11, 7), date(2026, 11, 11), date(2026, 12, 8)):
        assert newly(day)  # something becomes due at 09:00, not before


@pytest.mark.parametrize(
    ("zone", "day", "utc_hour"),
    [
        (LONDON, date(2027, 3, 28), 8),  # BST starts that night: 09:00 is 08:00 UTC
        (LONDON, date(2026, 10, 25), 9),  # GMT again: 09:00 is 09:00 UTC
        (NEW_YORK, date(2027, 3, 14), 13),  # EDT starts that night: 09:00 is 13:00 UTC
        (NEW_YORK, date(2026, 11, 1), 14),  # EST again: 09:00 is 14:00 UTC
    ],
)
def test_0900_local_across_daylight_saving_changes(
    zone: ZoneInfo, day: date, utc_hour: int
) -> None:
    # a partner whose fee notice falls on `day`
    anniversary = day + timedelta(days=30)
    signed = partner(signed=anniversary.replace(year=anniversary.year - 1))
    nine = datetime.combine(day, time(utc_hour), tzinfo=UTC)
    assert nine.astimezone(zone).time() == time(9)
    fee = key(Kind.FEE_RENEWAL, str(anniversary.year))
    assert fee in keys(reminders(nine, [signed], zone=zone))
    assert fee not in keys(reminders(nine - timedelta(minutes=1), [signed], zone=zone))


def test_the_local_date_decides_the_month() -> None:
    # 1 November 2026, 13:30 UTC is 09:30 in New York (EDT ends that morning) but
    # 31 October 23:30 in New York would still be October.
    nine_thirty = datetime(2026, 11, 1, 14, 30, tzinfo=UTC)
    assert key(Kind.REPORT_OPEN, "2026-10") in keys(reminders(nine_thirty, zone=NEW_YORK))
    evening = datetime(2026, 11, 1, 3, 30, tzinfo=UTC)  # 31 October, 23:30 EDT
    assert key(Kind.REPORT_OPEN, "2026-10") not in keys(reminders(evening, zone=NEW_YORK))


def test_a_three_day_gap_returns_the_missed_ones_once() -> None:
    # the bot is down from 2026-11-06 08:00 to 2026-11-09 10:00
    before = keys(reminders(at(date(2026, 11, 6), 8)))
    after = keys(reminders(at(date(2026, 11, 9), 10)))
    missed = after - before
    assert key(Kind.REPORT_DUE_SOON, "2026-10") in missed
    # a caller that marks what it sends sends each once
    sent = set(before)
    out = [k for k in after if k not in sent]
    sent |= set(out)
    assert not [k for k in keys(reminders(at(date(2026, 11, 9), 11))) if k not in sent]


def test_several_partners_in_day_order() -> None:
    two = [partner(id="b-corp"), partner(id="a-corp", signed=date(2026, 10, 3))]
    found = reminders(at(date(2026, 11, 11)), two)
    overdue = [(r.partner, r.period) for r in found if r.kind is Kind.REPORT_OVERDUE]
    assert overdue == [("b-corp", "2026-09"), ("a-corp", "2026-10"), ("b-corp", "2026-10")]
    assert len(keys(found)) == len(found)


def test_the_due_day_is_checked() -> None:
    with pytest.raises(ValueError):
        reminders(at(date(2026, 11, 1)), due_day=29)


@given(
    signed=st.dates(date(2024, 1, 1), date(2027, 12, 31)),
    offset=st.integers(0, 900),
    first=st.times(),
    second=st.times(),
    zone=st.sampled_from([UTC_ZONE, LONDON, NEW_YORK]),
    due_day=st.integers(1, 28),
    filed_months=st.sets(st.integers(0, 40)),
    training=st.booleans(),
)
def test_later_the_same_day_is_a_superset(
    signed: date,
    offset: int,
    first: time,
    second: time,
    zone: ZoneInfo,
    due_day: int,
    filed_months: set[int],
    training: bool,
) -> None:
    day = signed + timedelta(days=offset)
    early, late = sorted((first, second))
    filed = frozenset(("acme-hosting", Month.of(signed).plus(n)) for n in filed_months)
    subject = [partner(signed=signed, training=training)]
    before = reminders(datetime.combine(day, early, zone), subject, filed, zone=zone)
    after = reminders(datetime.combine(day, late, zone), subject, filed, zone=zone)
    assert set(before) <= set(after)
    assert {(r.key, r.told()) for r in before} <= {(r.key, r.told()) for r in after}
    assert len(keys(after)) == len(after)


def test_no_fee_renewal_once_the_coming_year_is_paid() -> None:
    moment = at(date(2027, 8, 20))
    paid = due([partner()], _none, _none, moment, UTC_ZONE, 10, lambda pid, year: year == 2027)
    unpaid = due([partner()], _none, _none, moment, UTC_ZONE, 10, lambda pid, year: year == 2026)
    assert key(Kind.FEE_RENEWAL, "2027") not in keys(paid)
    assert key(Kind.FEE_RENEWAL, "2027") in keys(unpaid)


def test_a_fee_left_unpaid_gets_reminders_until_it_is_recorded() -> None:
    """Signed 2026-09-15 with the fee unpaid: every 30 days from its due date, each once."""
    unpaid_2026 = lambda pid, year: year != 2026  # noqa: E731

    def unpaid_keys(day: date, paid: object = unpaid_2026) -> set[tuple[str, str, str]]:
        found = due([partner()], _none, _none, at(day), UTC_ZONE, 10, paid)  # type: ignore[arg-type]
        return {r.key for r in found if r.kind is Kind.FEE_UNPAID}

    assert unpaid_keys(date(2026, 10, 14)) == set()
    assert unpaid_keys(date(2026, 10, 15)) == {key(Kind.FEE_UNPAID, "2026-10-15")}
    assert unpaid_keys(date(2026, 11, 13)) == {key(Kind.FEE_UNPAID, "2026-10-15")}
    assert unpaid_keys(date(2026, 11, 14)) == {key(Kind.FEE_UNPAID, "2026-11-14")}
    assert unpaid_keys(date(2027, 3, 1)) == {key(Kind.FEE_UNPAID, "2027-02-12")}
    assert unpaid_keys(date(2026, 11, 14), lambda pid, year: True) == set()
    (reminder,) = [
        r
        for r in due([partner()], _none, _none, at(date(2026, 10, 15)), UTC_ZONE, 10, unpaid_2026)
        if r.kind is Kind.FEE_UNPAID
    ]
    assert reminder.audiences == (Audience.WORKGROUP, Audience.MANAGER)
    assert "for 2026 was due on 2026-09-15" in reminder.text_for(Audience.WORKGROUP)
    assert "`/fee acme-hosting paid 2026`" in reminder.text_for(Audience.MANAGER)
    # a renewal not paid: reminded after its anniversary too
    assert key(Kind.FEE_UNPAID, "2027-10-15") in unpaid_keys(
        date(2027, 10, 20), lambda pid, year: year == 2026
    )


def _none(*_args: object) -> bool:
    return False


# The pending-approvals digest ---------------------------------------------------------


def waiting(
    id: str,
    step: Step,
    since: datetime,
    manager: str | None = "bob",
    status: Status = Status.ONBOARDING,
) -> Partner:
    steps = dict(fresh_steps())
    steps[step] = StepRecord(State.SUBMITTED, since, "alice")
    return replace(partner(id=id, status=status), steps=steps, manager=manager)


def test_a_digest_lists_requests_waiting_more_than_48_hours_for_their_manager() -> None:
    now = at(date(2026, 12, 3))
    partners = [
        waiting("old-goals", Step.GOALS, now - timedelta(hours=49)),
        waiting("fresh-goals", Step.GOALS, now - timedelta(hours=47)),
        waiting("other-am", Step.LISTING, now - timedelta(days=5), manager="carla"),
        waiting("gone", Step.GOALS, now - timedelta(days=5), status=Status.REMOVED),
    ]
    found = {d.manager: d for d in digests(partners, {"bob", "carla"}, now, UTC_ZONE)}
    assert set(found) == {"bob", "carla"}
    assert "old-goals goals" in found["bob"].text and "fresh-goals" not in found["bob"].text
    assert "gone" not in found["bob"].text
    assert "`/approve other-am listing`" in found["carla"].text
    assert found["bob"].key == ("@bob", "pending-approvals", "2026-12-03")


def test_an_application_without_a_manager_is_in_every_managers_digest() -> None:
    now = at(date(2026, 12, 3))
    partners = [waiting("new", Step.APPLICATION, now - timedelta(days=3), manager=None)]
    found = digests(partners, {"Bob", "carla"}, now, UTC_ZONE)
    assert [d.manager for d in found] == ["bob", "carla"]


def test_a_former_managers_requests_are_in_every_managers_digest() -> None:
    """dave is no longer in PARTNERBOT_MANAGERS: nobody would act on his digest."""
    now = at(date(2026, 12, 3))
    partners = [waiting("orphan", Step.GOALS, now - timedelta(days=3), manager="dave")]
    found = digests(partners, {"bob", "carla"}, now, UTC_ZONE)
    assert [d.manager for d in found] == ["bob", "carla"]
    assert all("orphan goals" in d.text for d in found)


def test_the_partners_of_former_managers_are_listed() -> None:
    partners = [
        partner(id="kept"),  # bob's, still a manager
        replace(partner(id="orphan-b"), manager="Dave"),
        replace(partner(id="orphan-a", status=Status.SUSPENDED), manager="erin"),
        replace(partner(id="gone", status=Status.REMOVED), manager="dave"),
        replace(partner(id="none-yet"), manager=None),
    ]
    found = orphaned(partners, {"Bob", "carla"})
    assert [p.id for p in found] == ["orphan-a", "orphan-b"]
    assert orphans_notice(found) == (
        "2 partners of account managers no longer in PARTNERBOT_MANAGERS; their requests and "
        "reminders go to every account manager until one is assigned with "
        "`/assign <partner-id> @user`:\n"
        "- orphan-a (suspended): was @erin\n"
        "- orphan-b (active): was @Dave"
    )
    assert orphans_notice([]) is None
    many = orphans_notice([replace(partner(id=f"p{n:02}"), manager="dave") for n in range(52)])
    assert many is not None and many.endswith("- p49 (active): was @dave\n- ... and 2 more")


def test_the_digest_is_for_the_day_from_09_00_local_and_not_before() -> None:
    since = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    partners = [waiting("p", Step.GOALS, since)]
    morning = datetime(2026, 12, 3, 8, 59, tzinfo=NEW_YORK)
    assert digests(partners, {"bob"}, morning, NEW_YORK) == []
    (found,) = digests(partners, {"bob"}, morning + timedelta(minutes=1), NEW_YORK)
    assert found.day == "2026-12-03"
    assert digests([], {"bob"}, morning + timedelta(minutes=1), NEW_YORK) == []


@given(
    signed=st.dates(date(2000, 1, 1), date(2030, 12, 31)),
    since=st.dates(date(2000, 1, 1), date(2035, 12, 31)),
    span=st.integers(0, 800),
)
def test_review_dates_from_a_day_are_the_tail_of_all_of_them(
    signed: date, since: date, span: int
) -> None:
    until = since + timedelta(days=span)
    everything = review_dates(signed, until)
    assert review_dates(signed, until, since) == [day for day in everything if day >= since]


def test_reminders_name_the_company() -> None:
    signed = date(2026, 9, 15)
    solucoes = replace(partner(id="solucoes-ageis-ltda"), company="Soluções Ágeis Ltda.")
    found = reminders(at(signed + timedelta(days=30)), [solucoes])
    training = {r.kind: r for r in found}[Kind.TRAINING_30]
    assert training.text_for(WG).startswith(
        "The training of Soluções Ágeis Ltda. (`solucoes-ageis-ltda`) is due"
    )
