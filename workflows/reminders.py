"""Reminders (SPEC §4): which reminders are due at a moment, as a pure function of the stored
state, the moment and the zone. No I/O: the caller reads the clock, the partners, the reports
and the reviews, and keeps a "sent" mark under each reminder's `key` so that each goes out once.

`due(...)` returns every reminder whose time has come and that still applies. A reminder's
time is 09:00 local (in `zone`) on its day; it is due at any moment from then on, while it
still applies (the report is still missing, the review not recorded, ...) and its period is
recent. So a bot that was down sends what it missed, once, when it starts again; a reminder
that no longer applies (the report was filed meanwhile) is never sent.

| kind | day (09:00 local) | applies while, up to | to |
|---|---|---|---|
| `report-open` | day 1 of M+1, for month M | M not filed; its due day | WG |
| `report-due-soon` | due day - 3 (not before day 1 of M+1) | M not filed; its due day | WG |
| `report-overdue` | due day + 1 | M not filed; however old | WG, AM |
| `review-soon` | review date - 7 | not recorded; the day before | AM, WG |
| `review-due` | the review date | not recorded; 31 days later | AM, WG |
| `training-30` | signed + 30 days | not done; until training-53 | WG |
| `training-53` | signed + 53 days | not done; until overdue | WG |
| `training-overdue` | signed + 61 days (day 61) | not done; 31 days later | WG, AM |
| `fee-renewal` | anniversary of signing - 30 days | not paid; the anniversary | WG, AM |
| `fee-unpaid` | every 30 days after a fee's due date | not paid; the next one | WG, AM |
| `pending-approvals` | every day | requests waiting > 48 h; that day | each AM |

(WG: the workgroup, AM: the account manager.) The pending-approvals digest is one message per
manager (`digests`), not per partner. Each audience gets its own text, which names only
commands its readers may run: the workgroup the partners' commands (`/report`, `/status`,
`/attest`), the manager the managers' (`/review`, `/approve`, `/fee`, `/status <id>`).

Each text is made in its reader's language: a reminder holds, for each audience, a function
that makes the text in the language in force (`i18n.speaking`), and the caller calls it under
the reader's (the partner's for its workgroup, the managers' or a manager's for them); a
digest's `text` and `orphans_notice` are made in the language in force where they are read.

Decisions where SPEC §4 is silent:

- Only active partners (status `active`, with a signing date) get reminders. Applicants and
  onboarding partners have no contract yet; suspended and removed ones are out of the
  program for now (reminders that still apply are sent if a suspended partner is
  reinstated while their period is recent).
- Report months run from the signing month to the open one (`open_month`), however old: a
  report never filed stays overdue, so its overdue reminder goes out once even when it was
  missed for months (the bot down, the partner suspended, a contract approved with an old
  signing date), oldest first; it is sent once, never again daily. `report-open` and
  `report-due-soon` are not sent after the due day. Review dates and the training
  reminders catch up for `CATCH_UP_DAYS` (31).
- Periods: a report month `YYYY-MM`; a review date `YYYY-MM-DD`; the training due date
  `YYYY-MM-DD` (signed + 60 days, so a corrected signing date gives new reminders); the
  anniversary's year `YYYY` for the fee.
- Review dates are 3, 6, 9, ... months after signing, each computed from the signing date
  and clamped to the month's last day (Jan 31 -> Apr 30 -> Jul 31); anniversaries of a
  29 February fall on 28 February in other years.
- The fee reminder is not sent when the coming year's fee is already recorded (`/fee`,
  read through `fee_paid`); `Partner.fee_paid` is the fee at signing, not the coming year's.
- A fee past its due date and not paid (the signing year's left `fee=unpaid` with the
  contract, a renewal not recorded, a record undone with `/fee <id> unpaid`) gets
  `fee-unpaid` 30, 60, 90, ... days after its due date until it is recorded; its period is
  the reminder's date `YYYY-MM-DD`, so each goes out once, and one missed is replaced by the
  next.
- A digest lists the requests waiting for the partner's manager, or for every manager when
  the partner has none yet (an application); it is for its day only: a digest missed while
  the bot was down is replaced by the next day's.
- A reminder that a later one replaces is not sent late: `review-soon` stops the day
  before the review date, `training-30` when `training-53` is due, and so on. Whether one
  applies depends on the local date only, never the hour, so a later moment of a day
  returns a superset of an earlier one. When catching up, `report-open` and
  `report-due-soon` for one month may both be due: each says something the other does not.
- With a due day of 1 to 3, "3 days before" would fall before the month is over; the
  due-soon reminder then goes out with `report-open`, on day 1 of M+1.
- A missing workgroup or manager does not drop a reminder: the audiences say who it is
  for and the caller delivers where it can.
- A manager taken out of `PARTNERBOT_MANAGERS` gets nothing more: their partners'
  reminders and requests go to every account manager (`Partner.manager_among`) until one
  is assigned with `/assign`. At start-up such partners are listed (`orphaned`,
  `orphans_notice`), once per start.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from i18n import N_, _, day, money, ngettext
from workflows.onboarding import TRAINING_DAYS, Partner, State, Status, Step
from workflows.onboarding.rules import YEARLY_FEE
from workflows.reporting import Month, check_due_day, due_date, local_day

SEND_AT = time(9, 0)  # local time of every reminder
DUE_SOON_DAYS = 3
REVIEW_EVERY_MONTHS = 3
REVIEW_SOON_DAYS = 7
TRAINING_REMINDER_DAYS = (30, 53)
TRAINING_OVERDUE_DAY = 61
FEE_NOTICE_DAYS = 30
FEE_UNPAID_EVERY_DAYS = 30
CATCH_UP_DAYS = 31  # how long a missed review or training reminder is still sent
CHECK_YOURSELF = N_(
    "`/status` shows your checklist and compliance flags; `/attest statistics on|off` and "
    "`/attest reference on|off` record the open-source values."
)


class Kind(StrEnum):
    REPORT_OPEN = "report-open"
    REPORT_DUE_SOON = "report-due-soon"
    REPORT_OVERDUE = "report-overdue"
    REVIEW_SOON = "review-soon"
    REVIEW_DUE = "review-due"
    TRAINING_30 = "training-30"
    TRAINING_53 = "training-53"
    TRAINING_OVERDUE = "training-overdue"
    FEE_RENEWAL = "fee-renewal"
    FEE_UNPAID = "fee-unpaid"


class Audience(StrEnum):
    WORKGROUP = "workgroup"  # the partner's private group
    MANAGER = "manager"  # the partner's account manager


# A reminder's text: made when called, in the language in force (`i18n.speaking`).
Make = Callable[[], str]
Texts = tuple[tuple[Audience, Make], ...]  # each audience, in the order told, and its text


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder to post: what, for which partner and period, and what each of its
    audiences is told."""

    kind: Kind
    partner: str
    period: str  # "2026-10" (report month), "2027-01-15" (a date), "2027" (a fee year)
    # Functions, compared by what they make (`told`), not here: two reminders are equal
    # when they are the same reminder (`key`).
    texts: Texts = field(compare=False)

    def told(self) -> tuple[tuple[Audience, str], ...]:
        """Each audience and its text, made in the language in force."""
        return tuple((audience, make()) for audience, make in self.texts)

    @property
    def key(self) -> tuple[str, str, str]:
        """What the "sent" mark is stored under: (partner, kind, period)."""
        return (self.partner, self.kind.value, self.period)

    @property
    def audiences(self) -> tuple[Audience, ...]:
        """Who is told, in the order they are told."""
        return tuple(audience for audience, _text in self.texts)

    def text_for(self, audience: Audience) -> str:
        """What `audience` is told, in the language in force; KeyError if it is not told."""
        return dict(self.texts)[audience]()


def _to_workgroup(text: Make) -> Texts:
    return ((Audience.WORKGROUP, text),)


def _to_both(workgroup: Make, manager: Make, manager_first: bool = False) -> Texts:
    both = ((Audience.WORKGROUP, workgroup), (Audience.MANAGER, manager))
    return both[::-1] if manager_first else both


ReportFiled = Callable[[str, Month], bool]  # (partner id, month) -> the report is filed
ReviewRecorded = Callable[[str, date], bool]  # (partner id, review date) -> recorded
FeePaid = Callable[[str, int], bool]  # (partner id, fee year) -> the fee is recorded as paid


def _named(partner: Partner) -> str:
    """How a reminder names a partner: its company and id."""
    return f"{partner.company} (`{partner.id}`)"


def _never(_partner: str, _year: int) -> bool:
    return False


def due(
    partners: Iterable[Partner],
    report_filed: ReportFiled,
    review_recorded: ReviewRecorded,
    now: datetime,
    zone: ZoneInfo,
    due_day: int,
    fee_paid: FeePaid = _never,
) -> list[Reminder]:
    """Every reminder whose time (09:00 local in `zone`) has come by `now` and that still
    applies, for active partners; ordered by day, partner, then kind. The caller drops those
    already sent (by `Reminder.key`)."""
    check_due_day(due_day)
    today = local_day(now, zone)
    last_day = _last_day(now, zone)
    found: list[_Candidate] = []
    for partner in partners:
        if partner.status is not Status.ACTIVE or partner.signed is None:
            continue
        found += _reports(partner, partner.signed, report_filed, today, due_day)
        found += _reviews(partner, partner.signed, review_recorded, today)
        found += _training(partner, partner.signed)
        found += _fees(partner, partner.signed, fee_paid, today)
        found += _unpaid_fees(partner, partner.signed, fee_paid, today)
    kinds = list(Kind)
    found.sort(key=lambda item: (item.day, item.reminder.partner, kinds.index(item.reminder.kind)))
    return [item.reminder for item in found if item.day <= last_day and today <= item.until]


def _last_day(now: datetime, zone: ZoneInfo) -> date:
    """The last day whose 09:00 has come: today from 09:00, yesterday before."""
    today = local_day(now, zone)
    return today if now.astimezone(zone).time() >= SEND_AT else today - timedelta(days=1)


PENDING_AFTER = timedelta(hours=48)
DIGEST = "pending-approvals"


@dataclass(frozen=True, slots=True)
class Request:
    """An approval request in a digest: the partner, the step, since when."""

    partner: str  # `_named`: the company and the id
    partner_id: str
    step: Step
    days: int  # waiting for so many days
    since: date  # the local date it was sent

    def line(self) -> str:
        return ngettext(
            "- {partner}: {step}, waiting {n} day since {day}: `/approve {id} {step}` "
            "or `/reject {id} {step} <reason>`",
            "- {partner}: {step}, waiting {n} days since {day}: `/approve {id} {step}` "
            "or `/reject {id} {step} <reason>`",
            self.days,
        ).format(
            partner=self.partner,
            step=self.step,
            n=self.days,
            day=day(self.since),
            id=self.partner_id,
        )


@dataclass(frozen=True, slots=True)
class Digest:
    """One manager's daily list of the approval requests waiting for more than 48 hours."""

    manager: str  # username
    day: str  # the local date it is for, "2026-12-01"
    requests: tuple[Request, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        """Its "sent" mark: under "@<manager>" where a reminder has the partner id."""
        return (f"@{self.manager}", DIGEST, self.day)

    @property
    def text(self) -> str:
        """The message, in the language in force."""
        return _("Approval requests waiting more than 48 hours ({n}):").format(
            n=len(self.requests)
        ) + "".join(f"\n{request.line()}" for request in self.requests)


def digests(
    partners: Iterable[Partner], managers: Iterable[str], now: datetime, zone: ZoneInfo
) -> list[Digest]:
    """Today's digest for each manager with requests waiting more than 48 hours, once 09:00
    local has come (before, nothing: yesterday's digest is not sent late)."""
    today = local_day(now, zone)
    if _last_day(now, zone) != today:
        return []
    everyone = sorted({name.lower() for name in managers})
    waiting: dict[str, list[Request]] = {}  # the manager's, or everyone's if no longer one
    for partner in partners:
        if partner.status in (Status.REMOVED, Status.REJECTED):
            continue
        for step in partner.steps:
            record = partner.steps[step]
            if record.state is not State.SUBMITTED or record.at is None:
                continue
            if now - record.at <= PENDING_AFTER:
                continue
            request = Request(
                _named(partner),
                partner.id,
                step,
                (now - record.at).days,
                record.at.astimezone(zone).date(),
            )
            current = partner.manager_among(everyone)
            for manager in [current.lower()] if current else everyone:
                waiting.setdefault(manager, []).append(request)
    return [
        Digest(manager, today.isoformat(), tuple(requests))
        for manager, requests in sorted(waiting.items())
    ]


ORPHANS_LISTED = 50  # partners named in the start-up notice; the rest are counted


def orphaned(partners: Iterable[Partner], managers: Iterable[str]) -> list[Partner]:
    """The partners still in the program (not removed or rejected) whose account manager
    is no longer one (not among `managers`), by id."""
    everyone = frozenset(name.lower() for name in managers)
    return sorted(
        (
            partner
            for partner in partners
            if partner.status not in (Status.REMOVED, Status.REJECTED)
            and partner.manager is not None
            and partner.manager_among(everyone) is None
        ),
        key=lambda partner: partner.id,
    )


def orphans_notice(partners: Iterable[Partner]) -> str | None:
    """What the account managers are told at start-up about `orphaned` partners (None when
    there are none), in the language in force."""
    found = list(partners)
    if not found:
        return None
    lines = [
        _("- {id} ({status}): was {who}").format(
            id=partner.id, status=partner.status, who=f"@{partner.manager}"
        )
        for partner in found[:ORPHANS_LISTED]
    ]
    if len(found) > ORPHANS_LISTED:
        lines.append(_("- ... and {n} more").format(n=len(found) - ORPHANS_LISTED))
    return (
        ngettext(
            "{n} partner of account managers no longer in PARTNERBOT_MANAGERS; their requests "
            "and reminders go to every account manager until one is assigned with "
            "`/assign <partner-id> @user`:",
            "{n} partners of account managers no longer in PARTNERBOT_MANAGERS; their requests "
            "and reminders go to every account manager until one is assigned with "
            "`/assign <partner-id> @user`:",
            len(found),
        ).format(n=len(found))
        + "\n"
        + "\n".join(lines)
    )


def review_dates(signed: date, until: date, since: date | None = None) -> list[date]:
    """The quarterly review dates after signing, up to `until` (inclusive) and from `since`
    (inclusive) if given: every 3 months, each counted from the signing date (a signing on
    the 31st: Jan 31 -> Apr 30 -> Jul 31)."""
    dates = []
    quarter = 1
    if since is not None:  # start a quarter early: months differ in length
        months = (since.year - signed.year) * 12 + since.month - signed.month
        quarter = max(1, months // REVIEW_EVERY_MONTHS - 1)
    while (day := add_months(signed, REVIEW_EVERY_MONTHS * quarter)) <= until:
        if since is None or day >= since:
            dates.append(day)
        quarter += 1
    return dates


def anniversaries(signed: date, until: date) -> list[date]:
    """The anniversaries of signing up to `until` (inclusive); a 29 February signing has
    its anniversary on 28 February in the other years."""
    dates = []
    years = 1
    while (day := add_months(signed, 12 * years)) <= until:
        dates.append(day)
        years += 1
    return dates


def add_months(day: date, months: int) -> date:
    """`day` moved by `months`, on the same day of the month or the month's last day."""
    month = Month.of(day).plus(months)
    last = calendar.monthrange(month.year, month.month)[1]
    return date(month.year, month.month, min(day.day, last))


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A reminder whose time is 09:00 local on `day` and that still applies up to the local
    date `until` (inclusive), if its condition (report not filed, ...) holds now. Whether it
    applies depends on the local date only, never on the hour: so a later moment of the same
    day returns a superset of an earlier one."""

    day: date
    until: date
    reminder: Reminder


def _candidate(
    day: date, until: date, kind: Kind, partner: Partner, period: str, texts: Texts
) -> _Candidate:
    return _Candidate(day, until, Reminder(kind, partner.id, period, texts))


def _reports(
    partner: Partner, signed: date, report_filed: ReportFiled, today: date, due_day: int
) -> list[_Candidate]:
    """Report months from the signing month to the open one, however old."""
    newest = Month.of(today).previous()  # `open_month`
    month = Month.of(signed)
    found = []
    while month <= newest:
        if not report_filed(partner.id, month):
            found += _report(partner, month, due_day, today)
        month = month.next()
    return found


def _report(partner: Partner, month: Month, due_day: int, today: date) -> list[_Candidate]:
    on = str(month)
    deadline = due_date(month, due_day)
    opens = month.opens_on()
    soon = max(opens, deadline - timedelta(days=DUE_SOON_DAYS))

    def open_text() -> str:
        return _(
            "The sales report for {month} is open: add your deals and prospects with "
            "`/report {month}` and file it by {due} with `/report {month} submit` (or "
            "`/report {month} none` for no sales)."
        ).format(month=on, due=day(deadline))

    def soon_text() -> str:
        return _(
            "The sales report for {month} is due on {due} and not filed yet: file it with "
            "`/report {month} submit` (or `/report {month} none` for no sales)."
        ).format(month=on, due=day(deadline))

    def overdue_workgroup() -> str:
        return _(
            "The sales report of {partner} for {month} was due on {due} and is not filed: "
            "file it now with `/report {month} submit` (or `/report {month} none` for no sales)."
        ).format(partner=_named(partner), month=on, due=day(deadline))

    def overdue_manager() -> str:
        return _(
            "The sales report of {partner} for {month} was due on {due} and is not filed; its "
            "contacts are reminded to file it. `/status {id}` shows its reports."
        ).format(partner=_named(partner), month=on, due=day(deadline), id=partner.id)

    return [
        _candidate(
            opens,
            deadline,
            Kind.REPORT_OPEN,
            partner,
            on,
            _to_workgroup(open_text),
        ),
        _candidate(
            soon,
            deadline,
            Kind.REPORT_DUE_SOON,
            partner,
            on,
            _to_workgroup(soon_text),
        ),
        _candidate(
            deadline + timedelta(days=1),
            today,  # while the report is not filed, however old (see `_reports`)
            Kind.REPORT_OVERDUE,
            partner,
            on,
            _to_both(overdue_workgroup, overdue_manager),
        ),
    ]


def _reviews(
    partner: Partner, signed: date, review_recorded: ReviewRecorded, today: date
) -> list[_Candidate]:
    """Review dates from 31 days ago to 7 days ahead, not recorded."""
    found = []
    since = today - timedelta(days=CATCH_UP_DAYS)
    for review in review_dates(signed, today + timedelta(days=REVIEW_SOON_DAYS), since):
        if review_recorded(partner.id, review):
            continue
        last = review + timedelta(days=CATCH_UP_DAYS)
        period = review.isoformat()
        soon, on_the_day = _review_texts(partner, review)
        found += [
            _candidate(
                review - timedelta(days=REVIEW_SOON_DAYS),
                review - timedelta(days=1),  # then review-due takes over
                Kind.REVIEW_SOON,
                partner,
                period,
                soon,
            ),
            _candidate(review, last, Kind.REVIEW_DUE, partner, period, on_the_day),
        ]
    return found


def _review_texts(partner: Partner, review: date) -> tuple[Texts, Texts]:
    """The texts of `review-soon` and `review-due` for the review date `review`."""

    def soon_workgroup() -> str:
        return _(
            "The quarterly review of {partner} with your account manager is on {day}. {check}"
        ).format(partner=_named(partner), day=day(review), check=_(CHECK_YOURSELF))

    def soon_manager() -> str:
        return _(
            "The quarterly review of {partner} is on {day}: see the compliance checklist with "
            "`/review {id}`."
        ).format(partner=_named(partner), day=day(review), id=partner.id)

    def due_workgroup() -> str:
        return _(
            "The quarterly review of {partner} is due on {day}: your account manager will "
            "record it. {check}"
        ).format(partner=_named(partner), day=day(review), check=_(CHECK_YOURSELF))

    def due_manager() -> str:
        return _(
            "The quarterly review of {partner} is due on {day} and not recorded: record it "
            "with `/review {id} pass [notes]`, or warn or fail with the notes that say why."
        ).format(partner=_named(partner), day=day(review), id=partner.id)

    return (
        _to_both(soon_workgroup, soon_manager, manager_first=True),
        _to_both(due_workgroup, due_manager, manager_first=True),
    )


def _training(partner: Partner, signed: date) -> list[_Candidate]:
    """Until the training is done: each reminder until the next one takes over."""
    if partner.done(Step.TRAINING):
        return []
    deadline = signed + timedelta(days=TRAINING_DAYS)
    period = deadline.isoformat()
    first, second = (signed + timedelta(days=days) for days in TRAINING_REMINDER_DAYS)
    overdue = signed + timedelta(days=TRAINING_OVERDUE_DAY)

    def soon(on: date, kind: Kind, until: date) -> _Candidate:
        return _candidate(
            on,
            until,
            kind,
            partner,
            period,
            # No "days left": a reminder missed while the bot was down goes out later.
            _to_workgroup(
                lambda: _(
                    "The training of {partner} is due by {day}: arrange it with your account "
                    "manager, who records it once it is held."
                ).format(partner=_named(partner), day=day(deadline))
            ),
        )

    return [
        soon(first, Kind.TRAINING_30, second - timedelta(days=1)),
        soon(second, Kind.TRAINING_53, overdue - timedelta(days=1)),
        _candidate(
            overdue,
            overdue + timedelta(days=CATCH_UP_DAYS),
            Kind.TRAINING_OVERDUE,
            partner,
            period,
            _to_both(
                lambda: _(
                    "The training of {partner} was due by {day} and is not done: arrange it with "
                    "your account manager, who records it once it is held."
                ).format(partner=_named(partner), day=day(deadline)),
                lambda: _(
                    "The training of {partner} was due by {day} and is not done: once it is "
                    "held, record it with `/approve {id} training on=YYYY-MM-DD`."
                ).format(partner=_named(partner), day=day(deadline), id=partner.id),
            ),
        ),
    ]


def _fees(partner: Partner, signed: date, fee_paid: FeePaid, today: date) -> list[_Candidate]:
    """The coming anniversary's notice, until the anniversary, unless already paid."""
    found = []
    for anniversary in anniversaries(signed, today + timedelta(days=FEE_NOTICE_DAYS)):
        if anniversary < today or fee_paid(partner.id, anniversary.year):
            continue
        found.append(
            _candidate(
                anniversary - timedelta(days=FEE_NOTICE_DAYS),
                anniversary,
                Kind.FEE_RENEWAL,
                partner,
                str(anniversary.year),
                _renewal_texts(partner, anniversary),
            )
        )
    return found


def _renewal_texts(partner: Partner, anniversary: date) -> Texts:
    def workgroup() -> str:
        return _(
            "The yearly program fee of {fee} for {partner} is due on {day}, the anniversary of "
            "signing: once it is paid, your account manager records it."
        ).format(fee=money(YEARLY_FEE), partner=_named(partner), day=day(anniversary))

    def manager() -> str:
        return _(
            "The yearly program fee of {fee} for {partner} is due on {day}, the anniversary of "
            "signing: once it is paid, record it with `/fee {id} paid {year}`."
        ).format(
            fee=money(YEARLY_FEE),
            partner=_named(partner),
            day=day(anniversary),
            id=partner.id,
            year=anniversary.year,
        )

    return _to_both(workgroup, manager)


def _unpaid_fees(
    partner: Partner, signed: date, fee_paid: FeePaid, today: date
) -> list[_Candidate]:
    """For each fee due (at signing or an anniversary) and not paid: the latest reminder,
    every `FEE_UNPAID_EVERY_DAYS` after the due date, until the next one takes over."""
    found = []
    every = timedelta(days=FEE_UNPAID_EVERY_DAYS)
    for due_on in [signed, *anniversaries(signed, today)]:
        if fee_paid(partner.id, due_on.year) or due_on + every > today:
            continue
        on = due_on + every * ((today - due_on) // every)
        found.append(
            _candidate(
                on,
                on + every - timedelta(days=1),
                Kind.FEE_UNPAID,
                partner,
                on.isoformat(),
                _unpaid_texts(partner, due_on),
            )
        )
    return found


def _unpaid_texts(partner: Partner, due_on: date) -> Texts:
    def workgroup() -> str:
        return _(
            "The yearly program fee of {fee} for {partner} for {year} was due on {day} and is "
            "not recorded as paid: once it is paid, your account manager records it."
        ).format(fee=money(YEARLY_FEE), partner=_named(partner), year=due_on.year, day=day(due_on))

    def manager() -> str:
        return _(
            "The yearly program fee of {fee} for {partner} for {year} was due on {day} and is "
            "not recorded as paid: once it is paid, record it with `/fee {id} paid {year}`."
        ).format(
            fee=money(YEARLY_FEE),
            partner=_named(partner),
            year=due_on.year,
            day=day(due_on),
            id=partner.id,
        )

    return _to_both(workgroup, manager)
