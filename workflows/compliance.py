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

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Literal

from i18n import N_, _, day, ngettext
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


# What only partners in the program do, as `in_program` is asked it; each its own sentence,
# so that a translation words it whole.
Doing = Literal[
    "pay the program fee", "are reviewed", "revise their goals", "have their goals revised"
]
_NOT_IN_PROGRAM: dict[str, str] = {
    "pay the program fee": N_(
        "{company} is {status}: only active or suspended partners, with a signed contract, "
        "pay the program fee."
    ),
    "are reviewed": N_(
        "{company} is {status}: only active or suspended partners, with a signed contract, "
        "are reviewed."
    ),
    "revise their goals": N_(
        "{company} is {status}: only active or suspended partners, with a signed contract, "
        "revise their goals."
    ),
    "have their goals revised": N_(
        "{company} is {status}: only active or suspended partners, with a signed contract, "
        "have their goals revised."
    ),
}


def in_program(partner: Partner, doing: Doing) -> date:
    """The partner's signing date; a `RuleError` unless it is active or suspended and
    signed. `doing` completes "only active or suspended partners ...", e.g. "are reviewed"."""
    if partner.status not in IN_PROGRAM or partner.signed is None:
        raise RuleError(
            _(_NOT_IN_PROGRAM[doing]).format(company=quote(partner.company), status=partner.status)
        )
    return partner.signed


def check_not_contact(partner: Partner, by: str) -> None:
    """An account manager who is also one of the partner's contacts decides nothing on it."""
    if partner.is_contact(by):
        raise RuleError(
            _("You are a contact of {company}: another account manager does that.").format(
                company=quote(partner.company)
            )
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
        if example is None:
            raise RuleError(_("the year must be written YYYY"))
        raise RuleError(_("the year must be written YYYY, e.g. {example}").format(example=example))
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
            _(
                "the fee years of {company} are {first} (signed on {signed}) to {last} (the next "
                "anniversary); {year} is not one of them"
            ).format(
                company=quote(partner.company),
                first=years[0],
                signed=day(signed),
                last=years[-1],
                year=year,
            )
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
        text = _("Program fee for {year} (due {due}): paid").format(
            year=current.year, due=day(current.due)
        )
    elif current.due > today:
        text = _("Program fee for {year}: due on {when}").format(
            year=current.year, when=_in_days(current.due, today)
        )
    else:
        text = _("Program fee for {year} (due {due}): unpaid").format(
            year=current.year, due=day(current.due)
        )
    coming = status.coming
    if (coming.due - today).days <= FEE_NOTICE_DAYS:
        if coming.paid:
            return _("{current}; for {year} (due {due}): paid in advance.").format(
                current=text, year=coming.year, due=day(coming.due)
            )
        return _("{current}; for {year} due on {when}.").format(
            current=text, year=coming.year, when=_in_days(coming.due, today)
        )
    return text + "."


def fee_mark(status: FeeStatus, today: date) -> str:
    """✅ the current fee year is paid, ⏳ not due yet, ❌ unpaid."""
    if status.current.paid:
        return OK
    return NOT_YET if status.current.due > today else BAD


def _in_days(when: date, today: date) -> str:
    days = (when - today).days
    if days == 0:
        return _("{day}, today").format(day=day(when))
    return ngettext("{day}, in {n} day", "{day}, in {n} days", days).format(day=day(when), n=days)


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
            _(
                "The fee of {company} for {year} was already recorded as paid on {day} by {who}."
            ).format(
                company=quote(partner.company),
                year=year,
                day=day(existing.paid_on),
                who=f"@{existing.by}",
            )
        )
    if fee_paid(partner, year, ()):
        contract = partner.steps[Step.CONTRACT]
        on = None if contract.at is None else day(local_day(contract.at, zone))
        who = f"@{contract.by}" if contract.by else None
        if on is not None and who is not None:
            text = _(
                "The fee of {company} for {year} was marked paid with the contract, approved on "
                "{day} by {who}."
            )
        elif on is not None:
            text = _(
                "The fee of {company} for {year} was marked paid with the contract, approved on "
                "{day}."
            )
        elif who is not None:
            text = _(
                "The fee of {company} for {year} was marked paid with the contract, approved by "
                "{who}."
            )
        else:
            text = _("The fee of {company} for {year} was marked paid with the contract, approved.")
        raise RuleError(text.format(company=quote(partner.company), year=year, day=on, who=who))
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
    raise RuleError(
        _("The fee of {company} for {year} is not recorded as paid.").format(
            company=quote(partner.company), year=year
        )
    )


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
            _("{word} is not an outcome; give pass, warn or fail").format(
                word=quote(text, as_code=True)
            )
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
        when = day(local_day(self.at, zone))
        if self.notes:
            return _("{outcome} by {who} on {day} ({notes})").format(
                outcome=self.outcome, who=f"@{self.by}", day=when, notes=quote(self.notes)
            )
        return _("{outcome} by {who} on {day}").format(
            outcome=self.outcome, who=f"@{self.by}", day=when
        )

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
            _(
                "The first quarterly review of {company} is on {first}: it can be recorded "
                "from {opens}."
            ).format(company=quote(partner.company), first=day(first), opens=day(opens))
        )
    return Review(partner.id, review, outcome, check_notes(outcome, notes), by, now)


def check_notes(outcome: Outcome, notes: str) -> str | None:
    """The review's notes on one line, None when blank; a `warn` or `fail` needs them: the
    partner is told to put right what they say."""
    text = " ".join(notes.split())
    if len(text) > NOTES_MAX:
        raise RuleError(_("the notes are too long: at most {n} characters").format(n=NOTES_MAX))
    if not text and outcome is not Outcome.PASS:
        raise RuleError(
            _(
                "a {outcome} needs notes: say what the partner must put right (they are told)"
            ).format(outcome=outcome)
        )
    return text or None


_NOTICES = {
    Outcome.PASS: N_("Your quarterly review of {day} passed. Thank you!"),
    Outcome.WARN: N_(
        "Your quarterly review of {day} passed with a warning: please put right what the "
        "notes say before the next review, on {next}."
    ),
    Outcome.FAIL: N_(
        "Your quarterly review of {day} failed: the program's rules are not met. Your "
        "account manager will tell you what happens next."
    ),
}


def partner_notice(review: Review, next_date: date) -> Callable[[], str]:
    """What the partner is told of its review: a function that makes it in the language in
    force, to be called under the partner's (`program.tell_partner` does)."""

    def notice() -> str:
        text = _(_NOTICES[review.outcome]).format(day=day(review.day), next=day(next_date))
        if not review.notes:
            return text
        return _("{notice} Notes: {notes}").format(notice=text, notes=quote(review.notes))

    return notice


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

    @property
    def label(self) -> str:
        """How it is shown, in the language in force."""
        return _(_FILED_LABELS[self])


_FILED_LABELS = {
    Filed.ON_TIME: N_("filed on time"),
    Filed.LATE: N_("filed late"),
    Filed.REOPENED: N_("reopened for correction"),
    Filed.DRAFT: N_("draft"),
    Filed.MISSING: N_("not filed"),
}


@dataclass(frozen=True, slots=True)
class MonthReport:
    """One month's report as the checklists show it."""

    month: Month
    due: date
    filed: Filed

    def __str__(self) -> str:
        """ "2026-11: not filed (due 2026-12-10)", in the language in force."""
        return _("{month}: {state} (due {due})").format(
            month=self.month, state=self.filed.label, due=day(self.due)
        )

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
        text = _("Monthly reports: {reports}.").format(reports="; ".join(map(str, self.recent)))
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
    return ngettext(
        "Older reports never filed: {months} ({n} month)",
        "Older reports never filed: {months} ({n} months)",
        count,
    ).format(months=months_words(months), n=count)


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
    return ", ".join(
        _("{first} to {last}").format(first=run[0], last=run[-1]) if len(run) > 1 else str(run[0])
        for run in runs
    )


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
                ngettext(
                    "{n} report not filed ({months})", "{n} reports not filed ({months})", count
                ).format(n=count, months=months_words(self.reports))
            )
        if self.review is not None:
            parts.append(_("review of {day} not recorded").format(day=day(self.review)))
        if self.fee is not None:
            parts.append(
                _("fee {year} unpaid (due {due})").format(year=self.fee.year, due=day(self.fee.due))
            )
        if self.training is not None:
            parts.append(_("training not done (due {due})").format(due=day(self.training)))
        for waiting in self.approvals:
            parts.append(
                ngettext(
                    "{step} waiting {n} day for approval",
                    "{step} waiting {n} days for approval",
                    waiting.days,
                ).format(step=waiting.step, n=waiting.days)
            )
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
        Overdue(
            due_date(month, due_day), partner.id, _("report {month} not filed").format(month=month)
        )
        for month in behind.reports
    ]
    if behind.review is not None:
        items.append(
            Overdue(
                behind.review,
                partner.id,
                _("review of {day} not recorded").format(day=day(behind.review)),
            )
        )
    if behind.fee is not None:
        items.append(
            Overdue(behind.fee.due, partner.id, _("fee {year} unpaid").format(year=behind.fee.year))
        )
    if behind.training is not None:
        items.append(Overdue(behind.training, partner.id, _("training not done")))
    for waiting in behind.approvals:
        at = partner.steps[waiting.step].at
        assert at is not None  # `late` only lists requests with a date
        items.append(
            Overdue(
                local_day(at, zone),
                partner.id,
                ngettext(
                    "{step} waiting {n} day for your approval",
                    "{step} waiting {n} days for your approval",
                    waiting.days,
                ).format(step=waiting.step, n=waiting.days),
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
        """ "2027-03-01 3m by @bob: <the goals> (was: <the goals before>)"."""
        when = day(self.at.astimezone(zone).date())
        before = self.before or _("none")
        if self.proposed_by:
            text = _("{when} {horizon} by {who} (proposed by {proposer}): {after} (was: {before})")
        else:
            text = _("{when} {horizon} by {who}: {after} (was: {before})")
        return text.format(
            when=when,
            horizon=self.horizon,
            who=f"@{self.by}",
            proposer=f"@{self.proposed_by}",
            after=self.after,
            before=before,
        )


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


def _goals_not_approved(partner: Partner) -> RuleError:
    return RuleError(
        _("The goals of {company} are not approved yet (step 3).").format(
            company=quote(partner.company)
        )
    )


def propose_goals(
    partner: Partner, horizon: Horizon, text: str, by: str, now: datetime
) -> GoalProposal:
    """A contact's proposal to replace the `horizon` goals approved at step 3; the same
    checks as `revise_goals`, but made by the partner, for a manager to approve."""
    in_program(partner, "revise their goals")
    if not partner.done(Step.GOALS):
        raise _goals_not_approved(partner)
    goals = check_text(text, _("the goals for {horizon}").format(horizon=horizon))
    if goals == (partner.goals_3m if horizon == "3m" else partner.goals_1y):
        raise RuleError(_("Those are already your {horizon} goals.").format(horizon=horizon))
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
        raise _goals_not_approved(partner)
    goals = check_text(text, _("the goals for {horizon}").format(horizon=horizon))
    before = partner.goals_3m if horizon == "3m" else partner.goals_1y
    if goals == before:
        raise RuleError(
            _("Those are already the {horizon} goals of {company}.").format(
                horizon=horizon, company=quote(partner.company)
            )
        )
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
        _("*Quarterly review of {company}* (`{id}`, {status}), signed on {signed}").format(
            company=quote(partner.company), id=partner.id, status=partner.status, signed=day(signed)
        )
    ]
    review = current_review(signed, today)
    if review is None:
        first = next_review(signed, today)
        lines.append(
            f"{NOT_YET} "
            + _("The first review is on {first}; it can be recorded from {opens}.").format(
                first=day(first), opens=day(first - timedelta(days=REVIEW_SOON_DAYS))
            )
        )
    else:
        recorded = reviews.get(review)
        if recorded is None:
            lines.append(
                f"{ATTENTION} "
                + _(
                    "This review is for {day}: not recorded yet (`/review {id} pass [notes]`, "
                    "or `warn` or `fail` with notes)."
                ).format(day=day(review), id=partner.id)
            )
        else:
            lines.append(
                f"{_outcome_mark(recorded)} "
                + _("This review is for {day}: recorded, {review}.").format(
                    day=day(review), review=recorded.describe(zone)
                )
            )
        before = previous_review(signed, review)
        if before is not None:
            found = reviews.get(before)
            if found is None:
                lines.append(
                    f"{ATTENTION} "
                    + _("Previous review ({day}): not recorded.").format(day=day(before))
                )
            else:
                lines.append(
                    f"{_outcome_mark(found)} "
                    + _("Previous review ({day}): {review}.").format(
                        day=day(before), review=found.describe(zone)
                    )
                )
    if not reports:
        lines.append(f"{NOT_YET} " + _("Monthly reports: none due yet."))
    for report in reports:
        lines.append(f"{report.mark(today)} " + _("Report {report}.").format(report=report))
    if older:
        lines.append(f"{BAD} {older_words(older)}.")
    lines.append(_goals(partner))
    lines.append(_listing(partner))
    lines.append(_attested(N_("Statistics sharing"), partner.statistics_shared, "statistics"))
    lines.append(_attested(N_("Vendor reference"), partner.vendor_referenced, "reference"))
    lines.append(f"{fee_mark(fee, today)} {fee_line(fee, today)}")
    lines.append(
        f"{OK} " + _("Support contract: yes.")
        if partner.support
        else f"{BAD} " + _("Support contract: none.")
    )
    lines.append(_training(partner, today))
    return lines


def _outcome_mark(review: Review) -> str:
    return {Outcome.PASS: OK, Outcome.WARN: ATTENTION, Outcome.FAIL: BAD}[review.outcome]


def _step_mark(partner: Partner, step: Step) -> str:
    state = partner.state(step)
    return {State.DONE: OK, State.SUBMITTED: ATTENTION}.get(state, BAD)


# A step's state as the checklist shows it (a label: "Goals: done").
_STATE_LABELS = {
    State.TODO: N_("todo"),
    State.SUBMITTED: N_("submitted"),
    State.DONE: N_("done"),
    State.REJECTED: N_("rejected"),
}


def _state(partner: Partner, step: Step) -> str:
    return _(_STATE_LABELS[partner.state(step)])


def _goals(partner: Partner) -> str:
    none = _("(none)")
    three = none if partner.goals_3m is None else quote(partner.goals_3m)
    year = none if partner.goals_1y is None else quote(partner.goals_1y)
    return f"{_step_mark(partner, Step.GOALS)} " + _(
        "Goals: {state}; 3 months: {three}; 1 year: {year}."
    ).format(state=_state(partner, Step.GOALS), three=three, year=year)


def _listing(partner: Partner) -> str:
    state = _state(partner, Step.LISTING)
    mark = f"{_step_mark(partner, Step.LISTING)} "
    if partner.listing_url is None:
        return mark + _("Listing: {state} (the partner sends it with `/listing <url>`).").format(
            state=state
        )
    if partner.listing_mentions_vendor is True:
        text = _("Listing: {state}, {url} (the page mentions the vendor).")
    elif partner.listing_mentions_vendor is False:
        text = _(
            "Listing: {state}, {url} (the vendor was not found on the page when it was checked)."
        )
    else:
        text = _("Listing: {state}, {url}.")
    return mark + text.format(state=state, url=quote(partner.listing_url))


def _attested(name: str, value: bool | None, kind: str) -> str:
    """`name` (marked with `N_`) shown translated."""
    if value is True:
        return f"{OK} " + _("{name}: attested on.").format(name=_(name))
    if value is False:
        return f"{BAD} " + _("{name}: attested off.").format(name=_(name))
    return f"{BAD} " + _("{name}: not attested (`/attest {kind} on`).").format(
        name=_(name), kind=kind
    )


def _training(partner: Partner, today: date) -> str:
    if partner.done(Step.TRAINING):
        if partner.training_on is not None:
            return f"{OK} " + _("Training: done on {day}.").format(day=day(partner.training_on))
        return f"{OK} " + _("Training: done.")
    due = partner.training_due()
    assert due is not None  # in program: signed
    if today <= due:
        return f"{NOT_YET} " + _("Training: due by {when}.").format(when=_in_days(due, today))
    return f"{BAD} " + _("Training: late, it was due by {due}.").format(due=day(due))
