"""What can be done to a report, as pure functions: each takes a report and returns a new
one, or raises `RuleError` with a sentence for the user. `TRANSITIONS` is the state table
(drawn in the package docstring); `render` and `summary` word a report for chat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import TypeVar

from workflows.onboarding import RuleError
from workflows.reporting.model import (
    Deal,
    Entry,
    Filing,
    Prospect,
    Report,
    ReportState,
    make_deal,
    make_prospect,
)
from workflows.reporting.money import (
    DealKind,
    check_rates,
    format_percent,
    format_usd,
    parse_amount,
    parse_kind,
)
from workflows.reporting.months import (
    Month,
    check_close,
    check_due_day,
    is_on_time,
    local_day,
    parse_month,
)
from workflows.text import quote

MAX_ENTRIES = 200  # deals and prospects in one report

DRAFT, SUBMITTED = ReportState.DRAFT, ReportState.SUBMITTED

# action -> (the state it needs, the state after)
TRANSITIONS: Mapping[str, tuple[ReportState, ReportState]] = {
    "add_deal": (DRAFT, DRAFT),
    "add_prospect": (DRAFT, DRAFT),
    "remove_entry": (DRAFT, DRAFT),
    "with_rates": (DRAFT, DRAFT),
    "submit": (DRAFT, SUBMITTED),
    "submit_none": (DRAFT, SUBMITTED),
    "reopen": (SUBMITTED, DRAFT),
}


def _guard(report: Report, action: str) -> None:
    """`RuleError` unless `report` is in the state `action` needs (`TRANSITIONS`)."""
    needs, _ = TRANSITIONS[action]
    if report.state is needs:
        return
    month = report.month
    if needs is DRAFT and action in ("submit", "submit_none"):
        raise RuleError(
            f"The report for {month} is already filed; to change it, ask your account "
            "manager to reopen it."
        )
    if needs is DRAFT:
        raise RuleError(
            f"The report for {month} is filed and locked; to correct it, ask your account "
            f"manager to reopen it (`/report {report.partner} {month} reopen`)."
        )
    raise RuleError(
        f"The report of {report.partner} for {month} is not filed; there is nothing to reopen."
    )


def new_draft(partner: str, month: Month, rates: Mapping[DealKind, Decimal]) -> Report:
    """An empty draft for `partner`'s `month`, with the partner's rates (`effective_rates`);
    the month is checked by `check_month` first."""
    return Report(partner, month, DRAFT, rates=check_rates(rates))


def with_rates(report: Report, rates: Mapping[DealKind, Decimal]) -> Report:
    """A draft with the partner's current rates (a filed report keeps those it was filed
    with, whatever `/terms` says later)."""
    _guard(report, "with_rates")
    return replace(report, rates=check_rates(rates))


def add_deal(
    report: Report, client: str, amount: Decimal, kind: DealKind, note: str | None = None
) -> Report:
    """The draft with one more closed deal."""
    _guard(report, "add_deal")
    _room_for_one(report)
    return replace(report, deals=(*report.deals, make_deal(client, amount, kind, note)))


def add_prospect(
    report: Report,
    client: str,
    amount: Decimal,
    close: Month,
    note: str | None,
    now: datetime,
    zone: tzinfo,
) -> Report:
    """The draft with one more prospective sale, expected to close this month or later."""
    _guard(report, "add_prospect")
    _room_for_one(report)
    prospect = make_prospect(client, amount, check_close(close, now, zone), note)
    return replace(report, prospects=(*report.prospects, prospect))


def _room_for_one(report: Report) -> None:
    if len(report.entries) >= MAX_ENTRIES:
        raise RuleError(
            f"A report takes at most {MAX_ENTRIES} entries; add up small deals of one kind "
            "into one entry."
        )


def entry(report: Report, n: int) -> Entry:
    """Entry `n` as numbered in the draft (deals first, then prospects, from 1)."""
    count = len(report.entries)
    if count == 0:
        raise RuleError(f"The report for {report.month} has no entries.")
    if not 1 <= n <= count:
        which = "1" if count == 1 else f"1 to {count}"
        raise RuleError(f"There is no entry {n}: the entries are numbered {which}.")
    return report.entries[n - 1]


def remove_entry(report: Report, n: int) -> Report:
    """The draft without entry `n` (see `entry`); the entries after it move up one."""
    _guard(report, "remove_entry")
    entry(report, n)
    if n <= len(report.deals):
        return replace(report, deals=_without(report.deals, n - 1))
    return replace(report, prospects=_without(report.prospects, n - 1 - len(report.deals)))


T = TypeVar("T")


def _without(items: tuple[T, ...], index: int) -> tuple[T, ...]:
    return (*items[:index], *items[index + 1 :])


def submit(
    report: Report,
    by: str,
    now: datetime,
    zone: tzinfo,
    due_day: int,
    rates: Mapping[DealKind, Decimal] | None = None,
) -> Report:
    """The report filed by `by`, locked. `rates`, when given, are the partner's rates now
    (else the draft's): each deal not filed before is fixed at its kind's, and a deal kept
    from an earlier filing keeps its own. A report filed again after a reopen keeps the
    on-time verdict of its first filing (that filing's date against the due day), and its
    words say when that was."""
    _guard(report, "submit")
    if not report.entries:
        raise RuleError(
            f"The report for {report.month} has no entries: add a deal or a prospect first, "
            f"or file it with `/report {report.month} none` if there were no sales."
        )
    return _file(report, by, now, zone, due_day, rates, none=False)


def submit_none(
    report: Report,
    by: str,
    now: datetime,
    zone: tzinfo,
    due_day: int,
    rates: Mapping[DealKind, Decimal] | None = None,
) -> Report:
    """The report filed as "no sales this month"; the draft must have no entries."""
    _guard(report, "submit_none")
    if report.entries:
        count = len(report.entries)
        raise RuleError(
            f"The draft for {report.month} has {count} {'entry' if count == 1 else 'entries'}: "
            f"file them with `/report {report.month} submit`, or remove them first."
        )
    return _file(report, by, now, zone, due_day, rates, none=True)


def _file(
    report: Report,
    by: str,
    now: datetime,
    zone: tzinfo,
    due_day: int,
    rates: Mapping[DealKind, Decimal] | None,
    *,
    none: bool,
) -> Report:
    check_due_day(due_day)
    if report.month >= Month.containing(now, zone):
        raise RuleError(
            f"The report for {report.month} opens on {report.month.opens_on()}; "
            "it can be filed once the month is over."
        )
    on_time = (
        report.filed[0].on_time if report.filed else is_on_time(report.month, now, zone, due_day)
    )
    terms = report.rates if rates is None else check_rates(rates)
    return replace(
        report,
        state=SUBMITTED,
        deals=tuple(deal.kept(terms) for deal in report.deals),
        rates=terms,
        submitted_at=now,
        submitted_by=by,
        on_time=on_time,
        none=none,
    )


def reopen(report: Report, by: str, now: datetime) -> Report:
    """An account manager lets the partner correct a filed report: it is a draft again with
    the same entries, each deal keeping the rate it was filed with, and the filed version
    is kept in `filed`."""
    _guard(report, "reopen")
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if report.submitted_at is None or report.submitted_by is None or report.on_time is None:
        raise ValueError("a submitted report has submitted_at, submitted_by and on_time")
    filing = Filing(
        deals=report.deals,
        prospects=report.prospects,
        rates=report.rates,
        none=report.none,
        submitted_at=report.submitted_at,
        submitted_by=report.submitted_by,
        on_time=report.on_time,
        reopened_at=now,
        reopened_by=by,
    )
    return replace(
        report,
        state=DRAFT,
        submitted_at=None,
        submitted_by=None,
        on_time=None,
        none=False,
        filed=(*report.filed, filing),
    )


# Options, as typed after `/report [YYYY-MM] deal|prospect` -----------------------------

DEAL_OPTIONS = ("client", "amount", "kind", "note")
PROSPECT_OPTIONS = ("client", "amount", "close", "note")


def deal_from_options(options: Mapping[str, str]) -> Deal:
    """A deal from `client= amount= kind= [note=]`."""
    values = _options(options, DEAL_OPTIONS, "a deal")
    return make_deal(
        values["client"],
        parse_amount(values["amount"]),
        parse_kind(values["kind"]),
        values.get("note"),
    )


def prospect_from_options(options: Mapping[str, str], now: datetime, zone: tzinfo) -> Prospect:
    """A prospect from `client= amount= close=YYYY-MM [note=]`."""
    values = _options(options, PROSPECT_OPTIONS, "a prospect")
    ahead = Month.containing(now, zone).plus(3)  # the example a refusal shows
    close = check_close(parse_month(values["close"], "close=", ahead), now, zone)
    return make_prospect(
        values["client"], parse_amount(values["amount"]), close, values.get("note")
    )


def add(report: Report, item: Entry, now: datetime, zone: tzinfo) -> Report:
    """The draft with a deal or prospect made by `deal_from_options` or
    `prospect_from_options`."""
    if isinstance(item, Deal):
        return add_deal(report, item.client, item.amount, item.kind, item.note)
    return add_prospect(report, item.client, item.amount, item.close, item.note, now, zone)


def _options(options: Mapping[str, str], allowed: tuple[str, ...], what: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in options.items():
        name = key.strip().lower()
        if name not in allowed:
            takes = ", ".join(f"{option}=" for option in allowed)
            raise RuleError(f"there is no {key}= for {what}; it takes {takes}")
        if name in values:
            raise RuleError(f"{name}= is given twice")
        values[name] = value
    missing = [f"{name}=" for name in allowed[:3] if name not in values]
    if missing:
        raise RuleError(f"{what} needs {', '.join(missing)}")
    return values


# Words for chat ------------------------------------------------------------------------


def render(report: Report, zone: tzinfo = UTC, *, hints: bool = True) -> str:
    """The report as a chat message: its state, numbered entries, and totals; with `hints`
    (for the partner's contacts) how to add to a draft and file it."""
    month = report.month
    lines = [f"*Report for {month}* of `{report.partner}`: {_state_words(report, zone)}"]
    if report.none:
        lines.append("No sales this month.")
    elif not report.entries and not hints:
        lines.append("No entries yet.")
    elif not report.entries:
        lines.append(
            "No entries yet. Add a closed deal with "
            f'`/report {month} deal client="Foo Corp" amount=12000 kind=hosting`, '
            "a prospective sale with "
            f'`/report {month} prospect client="Bar" amount=5000 close=YYYY-MM`, '
            f"or file it as no sales this month with `/report {month} none`."
        )
    entries = _entry_lines(report)
    if report.deals:
        lines.append("Deals closed:")
        lines += entries[: len(report.deals)]
    if report.prospects:
        lines.append("Prospects:")
        lines += entries[len(report.deals) :]
    if report.entries:
        lines.append(_totals(report))
    if report.state is DRAFT and report.entries and hints:
        lines.append(
            f"Add more with `/report {month} deal ...` or `/report {month} prospect ...`, "
            f"drop one with `/report {month} remove <n>`, and file it with "
            f"`/report {month} submit`."
        )
    return "\n".join(lines)


def _entry_lines(report: Report) -> list[str]:
    """One numbered line an entry: the deals, then the prospects."""
    lines = []
    for number, (deal, owed) in enumerate(
        zip(report.deals, report.owed_per_deal(), strict=True), start=1
    ):
        lines.append(
            f"{number}. {quote(deal.client)}: {format_usd(deal.amount)}, {deal.kind} at "
            f"{_rate_words(report, deal)}, owed {format_usd(owed)}" + _note(deal.note)
        )
    for number, prospect in enumerate(report.prospects, start=len(report.deals) + 1):
        lines.append(
            f"{number}. {quote(prospect.client)}: {format_usd(prospect.amount)}, expected to close "
            f"{prospect.close}" + _note(prospect.note)
        )
    return lines


def entry_changed(before: Report, after: Report, removed: int | None = None) -> str:
    """The reply to adding an entry (the new one and the totals) or to removing entry
    `removed` (what it was and the totals left)."""
    month = after.month
    if removed is not None:
        kind = "deal" if removed <= len(before.deals) else "prospect"
        head = f"Removed the {kind} {_entry_lines(before)[removed - 1]}"
    else:
        added = len(after.deals) if len(after.deals) > len(before.deals) else len(after.entries)
        head = f"Added to the draft of {month}: {_entry_lines(after)[added - 1]}"
    totals = f"{_totals(after)}." if after.entries else f"The draft of {month} has no entries now."
    show = f"`/report {month}` shows the draft; `/report {month} submit` files it."
    return f"{head}\n{totals}\n{show}"


def summary(report: Report, zone: tzinfo = UTC, company: str | None = None) -> str:
    """One line on a report, for the reply to `submit` and the note to the manager: its
    totals, and the rate each deal owes; the partner named by its `company` when given."""
    named = f"`{report.partner}`" if company is None else f"{quote(company)} (`{report.partner}`)"
    head = f"Report for {report.month} of {named}: {_state_words(report, zone)}"
    if report.none:
        return f"{head}: no sales this month."
    text = f"{head}. {_totals(report)}."
    if report.deals:
        text += f" Rates: {rates_used(report)}."
    return text


def rates_used(report: Report) -> str:
    """Which rate each deal owes, by the deals' numbers: "hosting 30% (deal 1, kept from its
    first filing), hosting 25% (deals 2-3)"."""
    groups: dict[tuple[DealKind, Decimal, bool], list[int]] = {}
    for number, deal in enumerate(report.deals, start=1):
        rate = report.rate_of(deal)
        groups.setdefault((deal.kind, rate, _kept_apart(report, deal)), []).append(number)
    parts = []
    for (kind, rate, kept), numbers in groups.items():
        which = f"deal {numbers[0]}" if len(numbers) == 1 else f"deals {_runs(numbers)}"
        parts.append(f"{kind} {format_percent(rate)} ({which}{', ' + _KEPT if kept else ''})")
    return ", ".join(parts)


_KEPT = "kept from its first filing"


def _kept_apart(report: Report, deal: Deal) -> bool:
    """A deal whose rate, kept from an earlier filing, is not what a deal added now owes."""
    return deal.rate is not None and deal.rate != report.rates[deal.kind]


def _rate_words(report: Report, deal: Deal) -> str:
    """ "30%", or for a deal kept at the rate it was filed with, what it is and why."""
    rate = format_percent(report.rate_of(deal))
    if not _kept_apart(report, deal):
        return rate
    if report.state is DRAFT:
        return f"{rate}, {_KEPT} (new deals: {format_percent(report.rates[deal.kind])})"
    return f"{rate}, {_KEPT}"


def _runs(numbers: list[int]) -> str:
    """ "1-3, 5": ascending numbers, consecutive runs joined."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def _totals(report: Report) -> str:
    return (
        f"Closed total {format_usd(report.closed_total)}, owed to the vendor "
        f"{format_usd(report.owed)}, pipeline total {format_usd(report.pipeline_total)}"
    )


def _state_words(report: Report, zone: tzinfo) -> str:
    if report.submitted_at is not None:  # filed
        when = "on time" if report.on_time else "late"
        this = f"on {local_day(report.submitted_at, zone)} by @{report.submitted_by}"
        if not report.filed:
            return f"filed {when} {this}"
        first = report.filed[0]  # the verdict is the first filing's
        return (
            f"first filed {when} on {local_day(first.submitted_at, zone)} by "
            f"@{first.submitted_by}, filed again {this} after a reopen"
        )
    if report.filed:
        last = report.filed[-1]
        return (
            f"draft, reopened on {local_day(last.reopened_at, zone)} by @{last.reopened_by} "
            "(the filed version is kept)"
        )
    return "draft"


def _note(note: str | None) -> str:
    return "" if note is None else f" ({quote(note)})"
