"""The quarter's numbers (issue 15): what `/stats` and the quarterly summary show.

Pure: no I/O, no transport, no clock (today comes in). The figures come from small
aggregates kept as reports are filed (`commands.figures`), never from the reports:

- `MonthFigures`: one partner's filed report of one month, summed (closed, owed,
  pipeline, counts, prospects by close month, on time or late);
- `QuarterRow`: one partner's quarter, summed from its months, and which months it filed;
- `Standing`: one partner's reviews (date -> outcome) and the fee years recorded paid.

Worked example (tests/test_stats.py): a quarter of a few partners computed by hand.

Quarters are calendar quarters, written `YYYY-Qn`. A quarter can be asked for once it has
begun and from the quarter of the program's first signing; `/stats` defaults to the last
closed one. The quarterly summary goes out on the first working day (Monday to Friday)
after the quarter closes.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import cache
from typing import Any

from i18n import N_, _, day, money, ngettext
from workflows.compliance import IN_PROGRAM, Outcome, fee_due_date
from workflows.documents import DocReader
from workflows.onboarding import STEPS, Partner, PartnerType, RuleError, State, Status, Step
from workflows.onboarding.model import TRAINING_DAYS, StepRecord
from workflows.reporting import Month, Report, ReportState, due_date, money_doc, parse_month
from workflows.text import quote

ZERO = Decimal("0.00")
TOP = 5  # partners in each top list
ON_TIME, LATE = "on_time", "late"
_QUARTER = re.compile(r"([0-9]{4})-[Qq]([0-9]+)")
# The steps to become active, in order: the funnel's "per step" medians.
TO_ACTIVE = STEPS[: STEPS.index(Step.CONTRACT) + 1]


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    """A calendar quarter: `2027-Q1` is January to March 2027."""

    year: int
    number: int  # 1 to 4

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter number must be 1 to 4, got {self.number}")

    @classmethod
    def of(cls, month: Month) -> Quarter:
        return cls(month.year, (month.month - 1) // 3 + 1)

    @classmethod
    def containing(cls, today: date) -> Quarter:
        return cls.of(Month.of(today))

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.number}"

    @property
    def months(self) -> tuple[Month, Month, Month]:
        return _months_of(self)

    def plus(self, quarters: int) -> Quarter:
        index = self.year * 4 + self.number - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)

    def previous(self) -> Quarter:
        return self.plus(-1)

    def year_before(self) -> Quarter:
        return self.plus(-4)

    @property
    def first_day(self) -> date:
        return _days_of(self)[0]

    @property
    def last_day(self) -> date:
        return _days_of(self)[1]


@cache
def _months_of(quarter: Quarter) -> tuple[Month, Month, Month]:
    first = Month(quarter.year, 3 * quarter.number - 2)
    return (first, first.plus(1), first.plus(2))


@cache
def _days_of(quarter: Quarter) -> tuple[date, date]:
    months = _months_of(quarter)
    return months[0].first_day(), months[-1].last_day()


def parse_quarter(text: str) -> Quarter:
    """`YYYY-Qn` (the `q` may be lower case); a `RuleError` says how to write one."""
    written = text.strip()
    found = _QUARTER.fullmatch(written)
    if found is None:
        raise RuleError(
            _("{text} is not a quarter: write it as YYYY-Qn, like 2027-Q1").format(
                text=quote(written, as_code=True)
            )
        )
    year, number = int(found.group(1)), int(found.group(2))
    if not 1 <= number <= 4 or year < 1:
        raise RuleError(
            _("{text} is not a quarter: a year has the quarters Q1 to Q4").format(
                text=quote(written, as_code=True)
            )
        )
    return Quarter(year, number)


def last_closed(today: date) -> Quarter:
    """The last quarter that is over on `today`: `/stats`'s default."""
    return Quarter.containing(today).previous()


def check_quarter(quarter: Quarter, today: date, first_signing: date | None) -> Quarter:
    """A quarter `/stats` can show: begun by `today`, and not before the program's (or the
    partner's) first signing; a `RuleError` says why not."""
    if quarter > Quarter.containing(today):
        raise RuleError(
            _("{quarter} has not begun yet: the last closed quarter is {last}.").format(
                quarter=quarter, last=last_closed(today)
            )
        )
    if first_signing is None:
        raise RuleError(_("Nothing to show yet: no partner has signed a contract."))
    if quarter < Quarter.containing(first_signing):
        raise RuleError(
            _("{quarter} is before the first contract was signed, on {day}.").format(
                quarter=quarter, day=day(first_signing)
            )
        )
    return quarter


def summary_day(quarter: Quarter) -> date:
    """The first working day (Monday to Friday) after the quarter closes: when its summary
    is posted."""
    following = quarter.last_day + timedelta(days=1)
    while following.weekday() >= 5:
        following += timedelta(days=1)
    return following


# --- the aggregates -------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Closed sales, the amount owed to the vendor, and the pipeline."""

    closed: Decimal = ZERO
    owed: Decimal = ZERO
    pipeline: Decimal = ZERO

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.closed + other.closed, self.owed + other.owed, self.pipeline + other.pipeline
        )

    def to_doc(self) -> dict[str, str]:
        return {
            "closed": money_doc(self.closed),
            "owed": money_doc(self.owed),
            "pipeline": money_doc(self.pipeline),
        }

    @classmethod
    def read(cls, read: DocReader) -> Figures:
        return cls(*(_amount(read, key) for key in ("closed", "owed", "pipeline")))


def total_of(figures: Iterable[Figures]) -> Figures:
    return sum(figures, Figures())


@dataclass(frozen=True)
class MonthFigures:
    """One partner's filed report of one month, summed (`stats_months`)."""

    partner: str
    month: Month
    figures: Figures
    deals: int
    prospects: int
    closes: Mapping[Month, Decimal]  # the prospects' amounts by expected close month
    filed: str  # ON_TIME or LATE

    @classmethod
    def of_report(cls, report: Report) -> MonthFigures:
        if not report.is_filed:
            raise ValueError(f"report {report.partner} {report.month} is not filed")
        closes: dict[Month, Decimal] = {}
        for prospect in report.prospects:
            closes[prospect.close] = closes.get(prospect.close, ZERO) + prospect.amount
        return cls(
            report.partner,
            report.month,
            Figures(report.closed_total, report.owed, report.pipeline_total),
            len(report.deals),
            len(report.prospects),
            closes,
            ON_TIME if bool(report.on_time) else LATE,
        )

    def to_doc(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "month": str(self.month),
            **self.figures.to_doc(),
            "deals": self.deals,
            "prospects": self.prospects,
            "closes": {
                str(month): money_doc(amount) for month, amount in sorted(self.closes.items())
            },
            "filed": self.filed,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> MonthFigures:
        read = DocReader(doc, f"stats_months {doc.get('partner')!r} {doc.get('month')!r}")
        closes = read.get("closes", dict)
        return cls(
            read.get("partner", str),
            parse_month(read.get("month", str)),
            Figures.read(read),
            _count(read, "deals"),
            _count(read, "prospects"),
            {
                parse_month(str(month)): _decimal(amount, read.where)
                for month, amount in closes.items()
            },
            _filed(read.get("filed", str), read.where),
        )


@dataclass(frozen=True)
class QuarterRow:
    """One partner's quarter (`stats_quarters`): its months' figures summed, and how each
    month it filed was filed."""

    quarter: Quarter
    partner: str
    figures: Figures
    filed: Mapping[Month, str]  # month -> ON_TIME or LATE

    @classmethod
    def of_months(
        cls, quarter: Quarter, partner: str, months: Iterable[MonthFigures]
    ) -> QuarterRow:
        mine = [month for month in months if Quarter.of(month.month) == quarter]
        return cls(
            quarter,
            partner,
            total_of(month.figures for month in mine),
            {month.month: month.filed for month in mine},
        )

    def to_doc(self) -> dict[str, Any]:
        return {
            "quarter": str(self.quarter),
            "partner": self.partner,
            **self.figures.to_doc(),
            "filed": {str(month): how for month, how in sorted(self.filed.items())},
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> QuarterRow:
        read = DocReader(doc, f"stats_quarters {doc.get('quarter')!r} {doc.get('partner')!r}")
        quarter = _quarter(read.get("quarter", str), read.where)
        filed = {
            _month(month): _filed(how, read.where) for month, how in read.get("filed", dict).items()
        }
        if not set(filed) <= set(quarter.months):
            raise ValueError(f"{read.where}: filed months must be in {quarter}")
        return cls(quarter, read.get("partner", str), Figures.read(read), filed)


@dataclass(frozen=True)
class Standing:
    """One partner's reviews and recorded fee years (`stats_partners`)."""

    partner: str
    reviews: Mapping[date, Outcome] = field(default_factory=dict)
    fee_years: frozenset[int] = frozenset()

    def to_doc(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "reviews": {day.isoformat(): str(out) for day, out in sorted(self.reviews.items())},
            "fee_years": sorted(self.fee_years),
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Standing:
        read = DocReader(doc, f"stats_partners {doc.get('partner')!r}")
        years = read.get("fee_years", list)
        if not all(isinstance(year, int) and not isinstance(year, bool) for year in years):
            raise ValueError(f"{read.where}: fee_years must be years")
        reviews = {}
        for written, outcome in read.get("reviews", dict).items():
            try:
                reviews[date.fromisoformat(written)] = Outcome(outcome)
            except (ValueError, TypeError):
                raise ValueError(
                    f"{read.where}: reviews must map YYYY-MM-DD to an outcome"
                ) from None
        return cls(read.get("partner", str), reviews, frozenset(years))


def _amount(read: DocReader, key: str) -> Decimal:
    return _decimal(read.get(key, str), f"{read.where}: {key}")


def _decimal(text: object, where: str) -> Decimal:
    if not isinstance(text, str):
        raise ValueError(f'{where}: amounts must be strings like "3600.00"')
    try:
        amount = Decimal(text)
    except ArithmeticError:
        raise ValueError(f"{where}: {text!r} is not an amount") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(ZERO):
        raise ValueError(f"{where}: {text!r} is not an amount with two decimals")
    return amount


def _count(read: DocReader, key: str) -> int:
    value = read.get(key, int)
    if value < 0:
        raise ValueError(f"{read.where}: {key} must not be negative")
    return value


@cache
def _month(text: object) -> Month:
    """A month as stored (`YYYY-MM`), read once (the program's numbers read 30,000)."""
    return parse_month(str(text))


def _filed(how: object, where: str) -> str:
    if how not in (ON_TIME, LATE):
        raise ValueError(f"{where}: filed must be {ON_TIME} or {LATE}, not {how!r}")
    return str(how)


@cache
def _quarter(text: str, where: str) -> Quarter:
    found = _QUARTER.fullmatch(text)
    if found is None or not 1 <= int(found.group(2)) <= 4:
        raise ValueError(f"{where}: quarter must be YYYY-Qn, not {text!r}")
    return Quarter(int(found.group(1)), int(found.group(2)))


def row_figures(doc: Mapping[str, Any]) -> tuple[str, Figures]:
    """A `stats_quarters` document's partner and figures alone, read quickly (the program's
    earlier quarters need no more)."""
    try:
        return str(doc["partner"]), Figures(
            Decimal(doc["closed"]), Decimal(doc["owed"]), Decimal(doc["pipeline"])
        )
    except (KeyError, TypeError, ArithmeticError) as err:
        raise ValueError(f"stats_quarters {doc.get('partner')!r}: not readable: {err!r}") from None


def is_filed(doc: Mapping[str, Any]) -> bool:
    """Whether a stored report counts for the numbers: submitted (a reopened report's
    figures stay those of its filed version until it is filed again)."""
    return doc.get("state") == ReportState.SUBMITTED.value


# --- the program's quarter ------------------------------------------------------------


_FACT_STEPS = (*TO_ACTIVE, Step.TRAINING)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the program's numbers need of a partner, read from its stored document alone
    (`Partner.from_doc` reads and checks every field: seconds for 10,000 partners)."""

    id: str
    company: str
    type: PartnerType
    status: Status
    applied_at: datetime
    steps: Mapping[Step, StepRecord]  # those of `_FACT_STEPS`
    signed: date | None = None
    fee_paid: bool | None = None
    training_on: date | None = None

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Facts:
        try:
            written = doc["steps"]
            steps = {}
            for step in _FACT_STEPS:
                record = written.get(step.value) or {}
                at = record.get("at")
                steps[step] = StepRecord(
                    State(record.get("state", State.TODO.value)),
                    None if at is None else datetime.fromisoformat(at),
                )
            signed, training = doc.get("signed"), doc.get("training_on")
            return cls(
                str(doc["id"]),
                str(doc["company"]),
                PartnerType(doc["type"]),
                Status(doc["status"]),
                datetime.fromisoformat(doc["applied_at"]),
                steps,
                None if signed is None else date.fromisoformat(signed),
                doc.get("fee_paid"),
                None if training is None else date.fromisoformat(training),
            )
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"partner {doc.get('id')!r}: not readable: {err!r}") from None

    @classmethod
    def of(cls, partner: Partner) -> Facts:
        return cls(
            partner.id,
            partner.company,
            partner.type,
            partner.status,
            partner.applied_at,
            {step: partner.steps[step] for step in _FACT_STEPS},
            partner.signed,
            partner.fee_paid,
            partner.training_on,
        )

    def training_due(self) -> date | None:
        return None if self.signed is None else self.signed + timedelta(days=TRAINING_DAYS)

    def done(self, step: Step) -> bool:
        return self.steps[step].state is State.DONE


@dataclass(frozen=True)
class Ranked:
    partner: str
    company: str
    amount: Decimal


@dataclass(frozen=True)
class Funnel:
    applications: int
    approved: int
    active: int
    rejected: int
    median_to_active: float | None  # days from application to active, of those activated
    median_steps: Mapping[Step, float]  # days each step took, of those activated


@dataclass(frozen=True)
class ProgramStats:
    quarter: Quarter
    periods: tuple[Quarter, Quarter, Quarter]  # the year before, the previous, this one
    by_type: Mapping[PartnerType, tuple[Figures, Figures, Figures]]  # as `periods`
    top_closed: tuple[Ranked, ...]
    top_owed: tuple[Ranked, ...]
    on_time: int
    late: int
    missing: int
    not_due: int  # reports of the quarter not filed and not due yet
    reviews: Mapping[Outcome, int]
    fees_unpaid: int
    training_late: int
    funnel: Funnel

    @property
    def totals(self) -> tuple[Figures, Figures, Figures]:
        rows = list(self.by_type.values())
        return (
            total_of(row[0] for row in rows),
            total_of(row[1] for row in rows),
            total_of(row[2] for row in rows),
        )


def program_stats(
    quarter: Quarter,
    partners: Sequence[Facts],
    rows: Iterable[QuarterRow],
    before: Mapping[Quarter, Iterable[tuple[str, Figures]]],
    standings: Mapping[str, Standing],
    today: date,
    zone: tzinfo,
    due_day: int,
) -> ProgramStats:
    """The program's quarter from its rows (a partner without one filed nothing then) and
    each partner's figures of the previous quarter and of the one a year before (`before`)."""
    periods = (quarter.year_before(), quarter.previous(), quarter)
    by_id = {partner.id: partner for partner in partners}
    by_type = {kind: [Figures(), Figures(), Figures()] for kind in PartnerType}
    for index, period in enumerate(periods[:2]):
        for partner_id, figures in before.get(period, ()):
            partner = by_id.get(partner_id)
            if partner is not None:  # else a partner no longer stored
                by_type[partner.type][index] += figures
    this = [row for row in rows if row.partner in by_id]
    for row in this:
        by_type[by_id[row.partner].type][2] += row.figures
    on_time = late = missing = not_due = 0
    months = quarter.months
    filed = {row.partner: row.filed for row in this}
    overdue = {month: due_date(month, due_day) < today for month in months}
    for partner in partners:
        for month in _expected(partner, months):
            how = filed.get(partner.id, {}).get(month)
            if how == ON_TIME:
                on_time += 1
            elif how == LATE:
                late += 1
            elif overdue[month]:
                missing += 1
            else:
                not_due += 1
    upto = min(quarter.last_day, today)
    first_day, last_day = quarter.first_day, quarter.last_day
    reviews = dict.fromkeys(Outcome, 0)
    fees_unpaid = training_late = 0
    for partner in partners:
        standing = standings.get(partner.id, Standing(partner.id))
        for when, outcome in standing.reviews.items():
            if first_day <= when <= last_day:
                reviews[outcome] += 1
        if partner.status not in IN_PROGRAM or partner.signed is None:
            continue
        if _fee_unpaid(partner, standing.fee_years, upto):
            fees_unpaid += 1
        if _training_late(partner, upto):
            training_late += 1
    return ProgramStats(
        quarter,
        periods,
        {kind: (sums[0], sums[1], sums[2]) for kind, sums in by_type.items()},
        _top(this, by_id, lambda figures: figures.closed),
        _top(this, by_id, lambda figures: figures.owed),
        on_time,
        late,
        missing,
        not_due,
        reviews,
        fees_unpaid,
        training_late,
        funnel(partners, quarter, zone),
    )


def _expected(partner: Facts, months: Sequence[Month]) -> Sequence[Month]:
    """The months of the quarter (`months`) the partner owes a report for: from its signing
    month on, while in the program."""
    if partner.status not in IN_PROGRAM or partner.signed is None:
        return ()
    first = Month.of(partner.signed)
    return [month for month in months if month >= first]


def _fee_unpaid(partner: Facts, recorded: frozenset[int], upto: date) -> bool:
    """Whether a fee year due by `upto` is not paid (`compliance.fee_paid`)."""
    signed = partner.signed
    assert signed is not None
    for year in range(signed.year, upto.year + 1):
        due = fee_due_date(signed, year)
        paid = year in recorded or (year == signed.year and partner.fee_paid is True)
        if due is not None and due <= upto and not paid:
            return True
    return False


def _training_late(partner: Facts, upto: date) -> bool:
    due = partner.training_due()
    if due is None or due >= upto:
        return False
    held = partner.training_on if partner.done(Step.TRAINING) else None
    return held is None or held > upto


def _top(
    rows: Iterable[QuarterRow], by_id: Mapping[str, Facts], key: Callable[[Figures], Decimal]
) -> tuple[Ranked, ...]:
    ranked = sorted(
        (row for row in rows if key(row.figures) > 0),
        key=lambda row: (-key(row.figures), row.partner),
    )
    return tuple(
        Ranked(row.partner, by_id[row.partner].company, key(row.figures)) for row in ranked[:TOP]
    )


def funnel(partners: Iterable[Facts], quarter: Quarter, zone: tzinfo) -> Funnel:
    """Applications made in the quarter, applications approved, partners made active
    (contract approved) and applications rejected in it; the median days from application
    to active, and per step, of the partners made active in it."""

    first, last = quarter.first_day, quarter.last_day

    def within(record_at: datetime | None) -> bool:
        return record_at is not None and first <= record_at.astimezone(zone).date() <= last

    applications = approved = active = rejected = 0
    to_active: list[float] = []
    per_step: dict[Step, list[float]] = {step: [] for step in TO_ACTIVE}
    for partner in partners:
        if within(partner.applied_at):
            applications += 1
        application = partner.steps[Step.APPLICATION]
        if application.state is State.DONE and within(application.at):
            approved += 1
        if partner.status is Status.REJECTED and within(application.at):
            rejected += 1
        contract = partner.steps[Step.CONTRACT]
        if contract.state is not State.DONE or not within(contract.at):
            continue
        active += 1
        assert contract.at is not None
        to_active.append(_days(partner.applied_at, contract.at))
        before = partner.applied_at
        for step in TO_ACTIVE:
            at = partner.steps[step].at
            if at is None:
                break
            per_step[step].append(_days(before, at))
            before = at
    return Funnel(
        applications,
        approved,
        active,
        rejected,
        statistics.median(to_active) if to_active else None,
        {step: statistics.median(days) for step, days in per_step.items() if days},
    )


def _days(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 86400)


# --- one partner's quarter ------------------------------------------------------------


@dataclass(frozen=True)
class PartnerStats:
    partner: Partner
    quarter: Quarter
    months: tuple[tuple[Month, MonthFigures | None], ...]  # the quarter's, in order
    closes: Mapping[Month, Decimal]  # prospects by close month, in its latest filed report
    history: tuple[tuple[Quarter, Figures], ...]  # the quarters before, oldest first

    @property
    def figures(self) -> Figures:
        return total_of(mine.figures for _month, mine in self.months if mine is not None)

    @property
    def deals(self) -> int:
        return sum(mine.deals for _month, mine in self.months if mine is not None)


HISTORY = 4  # quarters before the one shown


def partner_stats(
    partner: Partner, quarter: Quarter, months: Iterable[MonthFigures]
) -> PartnerStats:
    """The partner's quarter by month, and its totals of the `HISTORY` quarters before."""
    by_month = {mine.month: mine for mine in months}
    shown = tuple((month, by_month.get(month)) for month in quarter.months)
    latest = next((mine for _month, mine in reversed(shown) if mine is not None), None)
    history = []
    for back in range(HISTORY, 0, -1):
        earlier = quarter.plus(-back)
        if partner.signed is not None and earlier < Quarter.containing(partner.signed):
            continue
        history.append(
            (
                earlier,
                total_of(by_month[m].figures for m in earlier.months if m in by_month),
            )
        )
    return PartnerStats(
        partner, quarter, shown, dict(latest.closes) if latest else {}, tuple(history)
    )


# --- the texts ------------------------------------------------------------------------

TYPE_NAMES = {
    PartnerType.HOSTING: N_("hosting"),
    PartnerType.TECHNOLOGY: N_("technology"),
    PartnerType.VALUE_ADDED: N_("value-added"),
}
STEP_NAMES = {
    Step.APPLICATION: N_("application"),
    Step.MEETING: N_("meeting"),
    Step.GOALS: N_("goals"),
    Step.CONTRACT: N_("contract"),
}


def _change(now: Decimal, before: Decimal) -> str:
    """`+12%`, `-3%`, or `new` when there was nothing before."""
    if before == 0:
        return "=" if now == 0 else _("new")
    percent = (now - before) * 100 / before
    return f"{percent:+.0f}%"


def _line(figures: tuple[Figures, Figures, Figures], name: str) -> str:
    year_before, previous, this = figures
    return _(
        "{name}: closed {closed} ({vs_previous} vs previous quarter, {vs_year} vs a year "
        "before), owed {owed}, pipeline {pipeline}"
    ).format(
        name=name,
        closed=money(this.closed),
        vs_previous=_change(this.closed, previous.closed),
        vs_year=_change(this.closed, year_before.closed),
        owed=money(this.owed),
        pipeline=money(this.pipeline),
    )


def render_program(stats: ProgramStats) -> str:
    """The program's quarter as a chat message: every number the chart shows, and more."""
    year_before, previous, _this = stats.periods
    lines = [
        _("*The program in {quarter}* (compared with {previous} and {year_before})").format(
            quarter=stats.quarter, previous=previous, year_before=year_before
        )
    ]
    for kind, figures in stats.by_type.items():
        lines.append("• " + _line(figures, _(TYPE_NAMES[kind])))
    lines.append("• " + _line(stats.totals, _("*Total*")))
    totals = stats.totals
    lines.append(
        _(
            "Previous quarter: closed {closed_previous}, owed {owed_previous}; a year before: "
            "closed {closed_year}, owed {owed_year}."
        ).format(
            closed_previous=money(totals[1].closed),
            owed_previous=money(totals[1].owed),
            closed_year=money(totals[0].closed),
            owed_year=money(totals[0].owed),
        )
    )
    for title, ranked in (
        (_("Top partners by closed sales:"), stats.top_closed),
        (_("Top partners by amount owed:"), stats.top_owed),
    ):
        if ranked:
            entries = "; ".join(
                f"{n}. {quote(entry.company)} (`{entry.partner}`) {money(entry.amount)}"
                for n, entry in enumerate(ranked, start=1)
            )
            lines.append(f"{title} {entries}")
    reports = _("Reports: on time {on_time}, late {late}, missing {missing}.").format(
        on_time=stats.on_time, late=stats.late, missing=stats.missing
    )
    if stats.not_due:
        reports += " " + _("Not due yet: {n}.").format(n=stats.not_due)
    lines.append(reports)
    lines.append(
        _(
            "Reviews: pass {passed}, warn {warned}, fail {failed}. Fees unpaid: {fees}. "
            "Training late: {training}."
        ).format(
            passed=stats.reviews[Outcome.PASS],
            warned=stats.reviews[Outcome.WARN],
            failed=stats.reviews[Outcome.FAIL],
            fees=stats.fees_unpaid,
            training=stats.training_late,
        )
    )
    funnel = stats.funnel
    lines.append(
        _(
            "Onboarding: applications {applications}, approved {approved}, made active "
            "{active}, rejected {rejected}."
        ).format(
            applications=funnel.applications,
            approved=funnel.approved,
            active=funnel.active,
            rejected=funnel.rejected,
        )
    )
    if funnel.median_to_active is not None:
        steps = ", ".join(
            _("{step} {days}").format(step=_(STEP_NAMES[step]), days=_days_text(days))
            for step, days in funnel.median_steps.items()
        )
        lines.append(
            _("Median from application to active: {days} (per step: {steps}).").format(
                days=_days_text(funnel.median_to_active), steps=steps
            )
        )
    return "\n".join(lines)


def _days_text(days: float) -> str:
    whole = round(days)
    return ngettext("{n} day", "{n} days", whole).format(n=whole)


def render_partner(stats: PartnerStats) -> str:
    """One partner's quarter as a chat message, by month."""
    partner = stats.partner
    figures = stats.figures
    lines = [
        _("*{company} in {quarter}*: closed {closed}, owed {owed}, {deals}.").format(
            company=quote(partner.company),
            quarter=stats.quarter,
            closed=money(figures.closed),
            owed=money(figures.owed),
            deals=ngettext("{n} deal", "{n} deals", stats.deals).format(n=stats.deals),
        )
    ]
    for month, mine in stats.months:
        if mine is None:
            lines.append("• " + _("{month}: no report filed").format(month=month))
            continue
        lines.append(
            "• "
            + _(
                "{month}: {deals}, closed {closed}, owed {owed}, pipeline {pipeline} ({when})"
            ).format(
                month=month,
                deals=ngettext("{n} deal", "{n} deals", mine.deals).format(n=mine.deals),
                closed=money(mine.figures.closed),
                owed=money(mine.figures.owed),
                pipeline=money(mine.figures.pipeline),
                when=_("filed on time") if mine.filed == ON_TIME else _("filed late"),
            )
        )
    if stats.closes:
        closes = ", ".join(
            f"{month} {money(amount)}" for month, amount in sorted(stats.closes.items())
        )
        lines.append(_("Prospects expected to close: {closes}.").format(closes=closes))
    if stats.history:
        earlier = "; ".join(
            _("{quarter} closed {closed}, owed {owed}").format(
                quarter=quarter, closed=money(past.closed), owed=money(past.owed)
            )
            for quarter, past in stats.history
        )
        lines.append(_("Quarters before: {quarters}.").format(quarters=earlier))
    lines.append(
        _("Goals for 3 months: {goals}").format(
            goals=quote(partner.goals_3m) if partner.goals_3m else _("none yet")
        )
    )
    lines.append(
        _("Goals for 1 year: {goals}").format(
            goals=quote(partner.goals_1y) if partner.goals_1y else _("none yet")
        )
    )
    return "\n".join(lines)


def first_signing(partners: Iterable[Facts]) -> date | None:
    """The earliest contract signed in the program."""
    return min((partner.signed for partner in partners if partner.signed), default=None)
