"""Quarterly reviews and the yearly program fee (SPEC §1, §3): which fee years there are and
which are paid, which review date a review is for, and the review's compliance checklist.

Pure: no I/O. `today` is the local date (the caller takes it in `PARTNERBOT_TIMEZONE`);
the stored fee years and reviews come in as arguments. A refusal is a `RuleError` with a
sentence for the user.

Fee years. The fee (`YEARLY_FEE`) is due at signing and at every anniversary of it
(`reminders.anniversaries`); a fee year is named by the calendar year of its due date.
Signed on 2026-11-26: 2026 is due on 2026-11-26, 2027 on 2027-11-26. Signed on 2028-02-29:
2029 is due on 2029-02-28, 2032 on 2032-02-29. The current fee year is the year of the
latest due date on or before today; `/fee` takes the years from the signing year to the
next anniversary's (paying the coming year early is allowed). The fee at signing may have
been marked with the contract (`Partner.fee_paid is True`): that year counts as paid.

Reviews. The review dates are 3, 6, 9, ... months after signing, each counted from the
signing date and clamped to the month's end (`reminders.review_dates`: Jan 31 -> Apr 30 ->
Jul 31). The current review is the latest review date on or before today + 7 days (the
week the `review-soon` reminder announces it); before the first one is that near, there
is nothing to record. Recording again for the same date replaces the record.

Only active or suspended partners with a signing date are reviewed or pay fees.

Reports and what is late. The checklists show the last three report months and every older
one never filed, however old (`report_months`): a missing report never drops out of sight.
`late` says everything a partner is late with on a day, for `/partners`: each report never
filed past its due day (a report reopened for correction was filed), the last review date
before today if not recorded, the current fee year past its due date and unpaid, the
training past its due date, and each approval request waiting more than 48 hours.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from workflows.documents import DocReader
from workflows.onboarding import (
    Horizon,
    Partner,
    RuleError,
    State,
    Status,
    Step,
    parse_horizon,
)
from workflows.onboarding.fields import check_text
from workflows.reminders import (
    FEE_NOTICE_DAYS,
    PENDING_AFTER,
    REVIEW_SOON_DAYS,
    add_months,
    anniversaries,
    review_dates,
)
from workflows.reporting import Month, due_date, local_day
from workflows.text import quote

IN_PROGRAM = frozenset({Status.ACTIVE, Status.SUSPENDED})
NOTES_MAX = 1000

OK = "✅"
BAD = "❌"
ATTENTION = "⚠️"
NOT_YET = "⏳"


def in_program(partner: Partner, doing: str) -> date:
    """The partner's signing date; a `RuleError` unless it is active or suspended and
    signed. `doing` completes "only active or suspended partners ...", e.g. "are reviewed"."""
    if partner.status not in IN_PROGRAM or partner.signed is None:
        raise RuleError(
            f"{quote(partner.company)} is {partner.status}: only active or suspended partners, "
            f"with a signed contract, {doing}."
        )
    return partner.signed


def check_not_contact(partner: Partner, by: str) -> None:
    """An account manager who is also one of the partner's contacts decides nothing on it."""
    if partner.is_contact(by):
        raise RuleError(
            f"You are a contact of {quote(partner.company)}: another account manager does that."
        )


# The yearly fee.


def fee_due_date(signed: date, year: int) -> date | None:
    """When the fee of fee year `year` is due: the signing date or its anniversary in that
    calendar year; None for a year before signing."""
    if year < signed.year:
        return None
    return add_months(signed, 12 * (year - signed.year))


def current_fee_year(signed: date, today: date) -> int:
    """The year of the latest due date on or before `today` (the signing year before it)."""
    passed = anniversaries(signed, today)
    return passed[-1].year if passed else signed.year


def fee_years(signed: date, today: date) -> list[int]:
    """The fee years `/fee` takes: from the signing year to the next anniversary's."""
    return list(range(signed.year, current_fee_year(signed, today) + 2))


def parse_year(text: str, example: int | None = None) -> int:
    """A year written YYYY; a refusal shows `example`, if given."""
    value = text.strip()
    if len(value) != 4 or not value.isdigit() or not value.isascii():
        shown = "" if example is None else f", e.g. {example}"
        raise RuleError(f"the year must be written YYYY{shown}")
    return int(value)


def check_fee_year(partner: Partner, year: int | None, today: date) -> int:
    """`year`, or the current fee year when None, if the partner's fee can be recorded for
    it; else a `RuleError`."""
    signed = in_program(partner, "pay the program fee")
    if year is None:
        return current_fee_year(signed, today)
    years = fee_years(signed, today)
    if year not in years:
        raise RuleError(
            f"the fee years of {quote(partner.company)} are {years[0]} (signed on {signed}) to "
            f"{years[-1]} (the next anniversary); {year} is not one of them"
        )
    return year


def fee_paid(partner: Partner, year: int, recorded_years: Collection[int]) -> bool:
    """Whether the fee of `year` is paid: recorded with `/fee`, or the signing year's
    marked paid with the contract."""
    return year in recorded_years or (
        partner.signed is not None and year == partner.signed.year and partner.fee_paid is True
    )


@dataclass(frozen=True, slots=True)
class FeeYear:
    """One fee year: its due date and whether it is paid."""

    year: int
    due: date
    paid: bool


@dataclass(frozen=True, slots=True)
class FeeStatus:
    """The current fee year and the coming one."""

    current: FeeYear
    coming: FeeYear


def fee_status(partner: Partner, recorded_years: Collection[int], today: date) -> FeeStatus | None:
    """The partner's fee status; None unless it is active or suspended and signed."""
    if partner.status not in IN_PROGRAM or partner.signed is None:
        return None
    signed = partner.signed
    current = current_fee_year(signed, today)

    def year(number: int) -> FeeYear:
        due = fee_due_date(signed, number)
        assert due is not None  # number >= the signing year
        return FeeYear(number, due, fee_paid(partner, number, recorded_years))

    return FeeStatus(year(current), year(current + 1))


def fee_line(status: FeeStatus, today: date) -> str:
    """ "Program fee for 2026 (due 2026-11-26): paid." and, within 30 days of the next
    anniversary, what is due then. `fee_mark` is its mark."""
    current = status.current
    if current.paid:
        text = f"Program fee for {current.year} (due {current.due}): paid"
    elif current.due > today:
        text = f"Program fee for {current.year}: due on {_in_days(current.due, today)}"
    else:
        text = f"Program fee for {current.year} (due {current.due}): unpaid"
    coming = status.coming
    if (coming.due - today).days <= FEE_NOTICE_DAYS:
        if coming.paid:
            text += f"; for {coming.year} (due {coming.due}): paid in advance"
        else:
            text += f"; for {coming.year} due on {_in_days(coming.due, today)}"
    return text + "."


def fee_mark(status: FeeStatus, today: date) -> str:
    """✅ the current fee year is paid, ⏳ not due yet, ❌ unpaid."""
    if status.current.paid:
        return OK
    return NOT_YET if status.current.due > today else BAD


def _in_days(day: date, today: date) -> str:
    days = (day - today).days
    if days == 0:
        return f"{day}, today"
    return f"{day}, in {days} day{'s' if days != 1 else ''}"


@dataclass(frozen=True, slots=True)
class FeeRecord:
    """A fee year recorded as paid with `/fee`."""

    partner: str
    year: int
    paid_on: date  # the local date it was recorded
    by: str

    def to_doc(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "year": str(self.year),
            "paid_on": self.paid_on.isoformat(),
            "by": self.by,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> FeeRecord:
        read = DocReader(doc, f"fee {doc.get('partner')!r} {doc.get('year')!r}")
        paid_on = read.required_day("paid_on")
        return cls(
            partner=read.get("partner", str),
            year=read.build(int, read.get("year", str)),
            paid_on=paid_on,
            by=read.get("by", str),
        )


def record_fee(
    partner: Partner,
    year: int,
    existing: FeeRecord | None,
    by: str,
    now: datetime,
    zone: tzinfo,
) -> FeeRecord:
    """The record that the fee of `year` is paid, on the local date of `now`; `existing`
    is what is stored for that year. Refused when it is already paid or the year is not
    one of the partner's fee years (see `check_fee_year`)."""
    check_not_contact(partner, by)
    today = local_day(now, zone)
    check_fee_year(partner, year, today)
    if existing is not None:
        raise RuleError(
            f"The fee of {quote(partner.company)} for {year} was already recorded as paid on "
            f"{existing.paid_on} by @{existing.by}."
        )
    if fee_paid(partner, year, ()):
        contract = partner.steps[Step.CONTRACT]
        when = f" on {local_day(contract.at, zone)}" if contract.at is not None else ""
        who = f" by @{contract.by}" if contract.by else ""
        raise RuleError(
            f"The fee of {quote(partner.company)} for {year} was marked paid with the contract, "
            f"approved{when}{who}."
        )
    return FeeRecord(partner.id, year, today, by)


def unrecord_fee(
    partner: Partner, year: int, existing: FeeRecord | None, by: str, today: date
) -> FeeRecord | None:
    """What `/fee <id> unpaid` undoes for `year`: the record made with `/fee` (returned,
    to be deleted), or None when it is the signing year's mark made with the contract
    (the caller clears `Partner.fee_paid`). Refused when the fee of `year` is not
    recorded as paid, or the year is not one of the partner's fee years."""
    check_not_contact(partner, by)
    check_fee_year(partner, year, today)
    if existing is not None:
        return existing
    if fee_paid(partner, year, ()):
        return None
    raise RuleError(f"The fee of {quote(partner.company)} for {year} is not recorded as paid.")


# Quarterly reviews.


class Outcome(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


def parse_outcome(text: str) -> Outcome:
    try:
        return Outcome(text.strip().lower())
    except ValueError:
        raise RuleError(
            f"{quote(text, as_code=True)} is not an outcome; give pass, warn or fail"
        ) from None


def current_review(signed: date, today: date) -> date | None:
    """The review date a review recorded `today` is for: the latest one on or before
    today + 7 days; None before the first one is that near."""
    dates = review_dates(signed, today + timedelta(days=REVIEW_SOON_DAYS))
    return dates[-1] if dates else None


def next_review(signed: date, today: date) -> date:
    """The review date after the current one (the first one more than 7 days ahead)."""
    return _review_after(signed, today + timedelta(days=REVIEW_SOON_DAYS))


def upcoming_review(signed: date, today: date) -> date:
    """The first review date on or after `today`."""
    return _review_after(signed, today - timedelta(days=1))


def previous_review(signed: date, review: date) -> date | None:
    """The review date before `review`, if there is one."""
    dates = review_dates(signed, review - timedelta(days=1))
    return dates[-1] if dates else None


def _review_after(signed: date, day: date) -> date:
    quarters = len(review_dates(signed, day)) + 1
    return add_months(signed, 3 * quarters)


@dataclass(frozen=True, slots=True)
class Review:
    """A quarterly review as recorded: for which review date, the outcome, by whom."""

    partner: str
    day: date  # the review date it is for
    outcome: Outcome
    notes: str | None
    by: str
    at: datetime

    def __post_init__(self) -> None:
        if self.at.utcoffset() is None:
            raise ValueError(f"review of {self.partner}: at must be an aware datetime")

    def describe(self, zone: tzinfo) -> str:
        """ "warn by @maria on 2027-02-25 (reports late)"."""
        text = f"{self.outcome} by @{self.by} on {local_day(self.at, zone)}"
        return text + (f" ({quote(self.notes)})" if self.notes else "")

    def to_doc(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "date": self.day.isoformat(),
            "outcome": self.outcome.value,
            "notes": self.notes,
            "by": self.by,
            "at": self.at.astimezone(UTC).isoformat(),
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Review:
        read = DocReader(doc, f"review {doc.get('partner')!r} {doc.get('date')!r}")
        day = read.required_day("date")
        return cls(
            partner=read.get("partner", str),
            day=day,
            outcome=read.enum("outcome", Outcome),
            notes=read.optional("notes", str),
            by=read.get("by", str),
            at=read.time("at"),
        )


def record_review(
    partner: Partner, outcome: Outcome, notes: str, by: str, now: datetime, zone: tzinfo
) -> Review:
    """The review for the current review date (`today` the local date of `now`); refused
    before the first one is near."""
    check_not_contact(partner, by)
    signed = in_program(partner, "are reviewed")
    today = local_day(now, zone)
    review = current_review(signed, today)
    if review is None:
        first = next_review(signed, today)
        opens = first - timedelta(days=REVIEW_SOON_DAYS)
        raise RuleError(
            f"The first quarterly review of {quote(partner.company)} is on {first}: it can be "
            f"recorded from {opens}."
        )
    return Review(partner.id, review, outcome, check_notes(outcome, notes), by, now)


def check_notes(outcome: Outcome, notes: str) -> str | None:
    """The review's notes on one line, None when blank; a `warn` or `fail` needs them: the
    partner is told to put right what they say."""
    text = " ".join(notes.split())
    if len(text) > NOTES_MAX:
        raise RuleError(f"the notes are too long: at most {NOTES_MAX} characters")
    if not text and outcome is not Outcome.PASS:
        raise RuleError(
            f"a {outcome} needs notes: say what the partner must put right (they are told)"
        )
    return text or None


def partner_notice(review: Review, next_date: date) -> str:
    """What the partner is told of its review."""
    day = review.day
    text = {
        Outcome.PASS: f"Your quarterly review of {day} passed. Thank you!",
        Outcome.WARN: f"Your quarterly review of {day} passed with a warning: please put "
        f"right what the notes say before the next review, on {next_date}.",
        Outcome.FAIL: f"Your quarterly review of {day} failed: the program's rules are not "
        "met. Your account manager will tell you what happens next.",
    }[review.outcome]
    return text + (f" Notes: {quote(review.notes)}" if review.notes else "")


# The review's checklist.


class Filed(StrEnum):
    """Where a monthly report stands."""

    ON_TIME = "filed on time"
    LATE = "filed late"
    REOPENED = "reopened for correction"  # filed once; a draft again
    DRAFT = "draft"  # never filed
    MISSING = "not filed"

    @property
    def was_filed(self) -> bool:
        return self in (Filed.ON_TIME, Filed.LATE, Filed.REOPENED)


@dataclass(frozen=True, slots=True)
class MonthReport:
    """One month's report as the checklists show it."""

    month: Month
    due: date
    filed: Filed

    def __str__(self) -> str:
        return f"{self.month}: {self.filed} (due {self.due})"

    def mark(self, today: date) -> str:
        if self.filed is Filed.ON_TIME:
            return OK
        if self.filed in (Filed.LATE, Filed.REOPENED):
            return ATTENTION
        return NOT_YET if today <= self.due else BAD


RECENT_REPORTS = 3  # the months the checklists show whatever their state


@dataclass(frozen=True, slots=True)
class ReportMonths:
    """The report months the checklists show (`report_months`)."""

    recent: tuple[MonthReport, ...]  # the last three since signing, newest first
    older: tuple[Month, ...]  # before those, the months never filed, oldest first

    def line(self) -> str:
        """/status's line: "Monthly reports: 2026-11: not filed (due 2026-12-10); ...";
        empty before the first month is over."""
        if not self.recent:
            return ""
        text = "Monthly reports: " + "; ".join(map(str, self.recent)) + "."
        return text + (f" {older_words(self.older)}." if self.older else "")


def report_months(
    signed: date, stored: Mapping[Month, Filed], today: date, due_day: int
) -> ReportMonths:
    """The last 3 report months from the signing month to the one open on `today` (the
    last closed month), whatever their state; and every older one whose report was never
    filed (not at all, or only a draft), however old. `stored` says where each stored
    report stands; a month not in it is not filed."""
    newest = Month.of(today).previous()
    first = Month.of(signed)
    recent: list[MonthReport] = []
    month = newest
    while month >= first and len(recent) < RECENT_REPORTS:
        filed = stored.get(month, Filed.MISSING)
        recent.append(MonthReport(month, due_date(month, due_day), filed))
        month = month.previous()
    older = []
    while month >= first:
        if not stored.get(month, Filed.MISSING).was_filed:
            older.append(month)
        month = month.previous()
    return ReportMonths(tuple(recent), tuple(reversed(older)))


def older_words(months: Sequence[Month]) -> str:
    """ "Older reports never filed: 2025-01 to 2025-08 (8 months)"."""
    count = len(months)
    return (
        f"Older reports never filed: {months_words(months)} "
        f"({count} month{'s' if count != 1 else ''})"
    )


def overdue_reports(
    signed: date, filed: Collection[Month], today: date, due_day: int
) -> list[Month]:
    """The months from signing whose report was never filed (`filed` holds those that were,
    a reopened one included) and whose due day is past, oldest first."""
    found = []
    month = Month.of(signed)
    while due_date(month, due_day) < today:
        if month not in filed:
            found.append(month)
        month = month.next()
    return found


def months_words(months: Sequence[Month]) -> str:
    """ "2025-01 to 2025-03, 2025-07": ascending months, consecutive runs joined."""
    runs: list[list[Month]] = []
    for month in months:
        if runs and month == runs[-1][-1].next():
            runs[-1].append(month)
        else:
            runs.append([month])
    return ", ".join(f"{run[0]} to {run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


# What is late.


@dataclass(frozen=True, slots=True)
class Waiting:
    """A step submitted and waiting for an account manager for more than 48 hours."""

    step: Step
    days: int


@dataclass(frozen=True, slots=True)
class Late:
    """Everything a partner is late with on a day (`late`); empty when nothing is."""

    reports: tuple[Month, ...] = ()  # never filed, past their due day; oldest first
    review: date | None = None  # the last review date before today, not recorded
    fee: FeeYear | None = None  # the current fee year, past its due date, unpaid
    training: date | None = None  # its due date, past, and the training not done
    approvals: tuple[Waiting, ...] = ()

    @property
    def anything(self) -> bool:
        return bool(
            self.reports
            or self.review is not None
            or self.fee is not None
            or self.training is not None
            or self.approvals
        )

    def describe(self) -> str:
        """ "2 reports not filed (2026-09 to 2026-10); review of 2026-11-26 not recorded;
        ..." (empty when nothing is late)."""
        parts = []
        if self.reports:
            count = len(self.reports)
            parts.append(
                f"{count} report{'s' if count != 1 else ''} not filed "
                f"({months_words(self.reports)})"
            )
        if self.review is not None:
            parts.append(f"review of {self.review} not recorded")
        if self.fee is not None:
            parts.append(f"fee {self.fee.year} unpaid (due {self.fee.due})")
        if self.training is not None:
            parts.append(f"training not done (due {self.training})")
        for waiting in self.approvals:
            days = f"{waiting.days} day{'s' if waiting.days != 1 else ''}"
            parts.append(f"{waiting.step} waiting {days} for approval")
        return "; ".join(parts)


def late(
    partner: Partner,
    filed: Collection[Month],
    reviewed: Collection[date],
    fee_years: Collection[int],
    now: datetime,
    zone: tzinfo,
    due_day: int,
) -> Late:
    """What `partner` is late with at `now` (dates local in `zone`): its reports never
    filed past their due day (`filed`: the months filed, a reopened one included), the
    last review date before today if not recorded (`reviewed`), the current fee year past
    its due date and not paid (`fee_years`: those recorded with /fee), the training past
    its due date, and each approval request waiting for more than 48 hours. The first four
    only for an active or suspended partner with a signed contract; nothing for a removed
    or rejected one."""
    if partner.status in (Status.REMOVED, Status.REJECTED):
        return Late()
    approvals = tuple(
        Waiting(step, (now - record.at).days)
        for step, record in partner.steps.items()
        if record.state is State.SUBMITTED
        and record.at is not None
        and now - record.at > PENDING_AFTER
    )
    if partner.status not in IN_PROGRAM or partner.signed is None:
        return Late(approvals=approvals)
    signed = partner.signed
    today = local_day(now, zone)
    passed = review_dates(signed, today - timedelta(days=1))
    review = passed[-1] if passed and passed[-1] not in reviewed else None
    status = fee_status(partner, fee_years, today)
    assert status is not None  # in the program and signed
    current = status.current
    due = partner.training_due()
    training = None
    if due is not None and today > due and not partner.done(Step.TRAINING):
        training = due
    return Late(
        reports=tuple(overdue_reports(signed, filed, today, due_day)),
        review=review,
        fee=current if not current.paid and current.due < today else None,
        training=training,
        approvals=approvals,
    )


@dataclass(frozen=True, slots=True)
class Overdue:
    """One thing a partner is late with, for `/overdue`: since when, and what."""

    since: date  # the local date it became due (or the request was sent)
    partner: str
    what: str


def overdue_items(partner: Partner, behind: Late, zone: tzinfo, due_day: int) -> list[Overdue]:
    """What `late` found for `partner`, one item each (every report month on its own),
    dated by when it was due, oldest first."""
    items = [
        Overdue(due_date(month, due_day), partner.id, f"report {month} not filed")
        for month in behind.reports
    ]
    if behind.review is not None:
        items.append(Overdue(behind.review, partner.id, f"review of {behind.review} not recorded"))
    if behind.fee is not None:
        items.append(Overdue(behind.fee.due, partner.id, f"fee {behind.fee.year} unpaid"))
    if behind.training is not None:
        items.append(Overdue(behind.training, partner.id, "training not done"))
    for waiting in behind.approvals:
        at = partner.steps[waiting.step].at
        assert at is not None  # `late` only lists requests with a date
        days = f"{waiting.days} day{'s' if waiting.days != 1 else ''}"
        items.append(
            Overdue(
                local_day(at, zone),
                partner.id,
                f"{waiting.step} waiting {days} for your approval",
            )
        )
    return sorted(items, key=lambda item: item.since)


# Goals revised at a review.


@dataclass(frozen=True, slots=True)
class GoalRevision:
    """A manager's revision of one of a partner's goals (`/goals <id> 3m|1y <text>`): the
    goals as they were and as they are now; the revisions are the goals' history."""

    partner: str
    horizon: Horizon
    before: str | None
    after: str
    at: datetime
    by: str
    proposed_by: str | None = None  # the partner's contact who proposed it, if one did

    def to_doc(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "horizon": self.horizon,
            "before": self.before,
            "after": self.after,
            "at": self.at.isoformat(),
            "by": self.by,
            "proposed_by": self.proposed_by,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> GoalRevision:
        read = DocReader(doc, f"goals of {doc.get('partner')!r} at {doc.get('at')!r}")
        return cls(
            partner=read.get("partner", str),
            horizon=parse_horizon(read.get("horizon", str)),
            before=read.optional("before", str),
            after=read.get("after", str),
            at=read.build(datetime.fromisoformat, read.get("at", str)),
            by=read.get("by", str),
            proposed_by=read.optional("proposed_by", str),
        )

    def line(self, zone: tzinfo) -> str:
        when = f"{self.at.astimezone(zone):%Y-%m-%d}"
        who = f"@{self.by}" + (f" (proposed by @{self.proposed_by})" if self.proposed_by else "")
        return f"{when} {self.horizon} by {who}: {self.after} (was: {self.before or 'none'})"


@dataclass(frozen=True, slots=True)
class GoalProposal:
    """New goals a partner's contact proposed after step 3, waiting for a manager's
    approval (`/goals <id> approve`) or rejection; one per horizon."""

    partner: str
    horizon: Horizon
    text: str
    at: datetime
    by: str

    def to_doc(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "horizon": self.horizon,
            "text": self.text,
            "at": self.at.isoformat(),
            "by": self.by,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> GoalProposal:
        read = DocReader(doc, f"goals proposed for {doc.get('partner')!r}")
        return cls(
            partner=read.get("partner", str),
            horizon=parse_horizon(read.get("horizon", str)),
            text=read.get("text", str),
            at=read.build(datetime.fromisoformat, read.get("at", str)),
            by=read.get("by", str),
        )


def propose_goals(
    partner: Partner, horizon: Horizon, text: str, by: str, now: datetime
) -> GoalProposal:
    """A contact's proposal to replace the `horizon` goals approved at step 3; the same
    checks as `revise_goals`, but made by the partner, for a manager to approve."""
    in_program(partner, "revise their goals")
    if not partner.done(Step.GOALS):
        raise RuleError(f"The goals of {quote(partner.company)} are not approved yet (step 3).")
    goals = check_text(text, f"the goals for {horizon}")
    if goals == (partner.goals_3m if horizon == "3m" else partner.goals_1y):
        raise RuleError(f"Those are already your {horizon} goals.")
    return GoalProposal(partner.id, horizon, goals, now, by)


def revise_goals(
    partner: Partner,
    horizon: Horizon,
    text: str,
    by: str,
    now: datetime,
    proposed_by: str | None = None,
) -> tuple[Partner, GoalRevision]:
    """The partner with its `horizon` goals replaced by `text`, and the revision to keep.
    Only for a partner in the program whose goals were approved (step 3), by a manager who
    is not one of its contacts; the same goals again are refused."""
    in_program(partner, "have their goals revised")
    check_not_contact(partner, by)
    if not partner.done(Step.GOALS):
        raise RuleError(f"The goals of {quote(partner.company)} are not approved yet (step 3).")
    goals = check_text(text, f"the goals for {horizon}")
    before = partner.goals_3m if horizon == "3m" else partner.goals_1y
    if goals == before:
        raise RuleError(f"Those are already the {horizon} goals of {quote(partner.company)}.")
    if horizon == "3m":
        after = replace(partner, goals_3m=goals)
    else:
        after = replace(partner, goals_1y=goals)
    return after, GoalRevision(partner.id, horizon, before, goals, now, by, proposed_by)


def review_checklist(
    partner: Partner,
    reports: Sequence[MonthReport],
    fee: FeeStatus,
    reviews: Mapping[date, Review],
    now: datetime,
    zone: tzinfo,
    older: Sequence[Month] = (),
) -> list[str]:
    """The quarterly compliance checklist, a line each; `reports` the last months' reports
    and `older` the earlier months never filed (`report_months`), `reviews` the recorded
    reviews by date (the current and previous are shown)."""
    signed = in_program(partner, "are reviewed")
    today = local_day(now, zone)
    lines = [
        f"*Quarterly review of {quote(partner.company)}* (`{partner.id}`, {partner.status}), "
        f"signed on {signed}"
    ]
    review = current_review(signed, today)
    if review is None:
        first = next_review(signed, today)
        lines.append(
            f"{NOT_YET} The first review is on {first}; it can be recorded from "
            f"{first - timedelta(days=REVIEW_SOON_DAYS)}."
        )
    else:
        recorded = reviews.get(review)
        if recorded is None:
            lines.append(
                f"{ATTENTION} This review is for {review}: not recorded yet "
                f"(`/review {partner.id} pass [notes]`, or `warn` or `fail` with notes)."
            )
        else:
            lines.append(
                f"{_outcome_mark(recorded)} This review is for {review}: "
                f"recorded, {recorded.describe(zone)}."
            )
        before = previous_review(signed, review)
        if before is not None:
            found = reviews.get(before)
            if found is None:
                lines.append(f"{ATTENTION} Previous review ({before}): not recorded.")
            else:
                lines.append(
                    f"{_outcome_mark(found)} Previous review ({before}): {found.describe(zone)}."
                )
    if not reports:
        lines.append(f"{NOT_YET} Monthly reports: none due yet.")
    for report in reports:
        lines.append(f"{report.mark(today)} Report {report}.")
    if older:
        lines.append(f"{BAD} {older_words(older)}.")
    lines.append(_goals(partner))
    lines.append(_listing(partner))
    lines.append(_attested("Statistics sharing", partner.statistics_shared, "statistics"))
    lines.append(_attested("Vendor reference", partner.vendor_referenced, "reference"))
    lines.append(f"{fee_mark(fee, today)} {fee_line(fee, today)}")
    lines.append(
        f"{OK} Support contract: yes." if partner.support else f"{BAD} Support contract: none."
    )
    lines.append(_training(partner, today))
    return lines


def _outcome_mark(review: Review) -> str:
    return {Outcome.PASS: OK, Outcome.WARN: ATTENTION, Outcome.FAIL: BAD}[review.outcome]


def _step_mark(partner: Partner, step: Step) -> str:
    state = partner.state(step)
    return {State.DONE: OK, State.SUBMITTED: ATTENTION}.get(state, BAD)


def _goals(partner: Partner) -> str:
    state = partner.state(Step.GOALS)
    three = "(none)" if partner.goals_3m is None else quote(partner.goals_3m)
    year = "(none)" if partner.goals_1y is None else quote(partner.goals_1y)
    return f"{_step_mark(partner, Step.GOALS)} Goals: {state}; 3 months: {three}; 1 year: {year}."


def _listing(partner: Partner) -> str:
    state = partner.state(Step.LISTING)
    line = f"{_step_mark(partner, Step.LISTING)} Listing: {state}"
    if partner.listing_url is None:
        return line + " (the partner sends it with `/listing <url>`)."
    line += f", {quote(partner.listing_url)}"
    if partner.listing_mentions_vendor is True:
        line += " (the page mentions the vendor)"
    elif partner.listing_mentions_vendor is False:
        line += " (the vendor was not found on the page when it was checked)"
    return line + "."


def _attested(name: str, value: bool | None, kind: str) -> str:
    if value is True:
        return f"{OK} {name}: attested on."
    if value is False:
        return f"{BAD} {name}: attested off."
    return f"{BAD} {name}: not attested (`/attest {kind} on`)."


def _training(partner: Partner, today: date) -> str:
    if partner.done(Step.TRAINING):
        on = f" on {partner.training_on}" if partner.training_on is not None else ""
        return f"{OK} Training: done{on}."
    due = partner.training_due()
    assert due is not None  # in program: signed
    if today <= due:
        return f"{NOT_YET} Training: due by {_in_days(due, today)}."
    return f"{BAD} Training: late, it was due by {due}."
