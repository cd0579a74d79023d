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

from i18n import _, day, money, ngettext
from workflows.onboarding import FieldError, RuleError
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
    parse_amount,
    parse_kind,
    show_percent,
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
    needs = TRANSITIONS[action][0]
    if report.state is needs:
        return
    month = report.month
    if needs is DRAFT and action in ("submit", "submit_none"):
        raise RuleError(
            _(
                "The report for {month} is already filed; to change it, ask your account "
                "manager to reopen it."
            ).format(month=month)
        )
    if needs is DRAFT:
        raise RuleError(
            _(
                "The report for {month} is filed and locked; to correct it, ask your account "
                "manager to reopen it (`/report {id} {month} reopen`)."
            ).format(month=month, id=report.partner)
        )
    raise RuleError(
        _("The report of {id} for {month} is not filed; there is nothing to reopen.").format(
            id=report.partner, month=month
        )
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
    report: Report,
    client: str,
    amount: Decimal,
    kind: DealKind,
    note: str | None = None,
    ref: str | None = None,
) -> Report:
    """The draft with one more closed deal (a referred one with the referral it closes,
    cited by no other deal of the report)."""
    _guard(report, "add_deal")
    _room_for_one(report)
    if ref is not None and any(deal.ref == ref for deal in report.deals):
        raise RuleError(_("Another deal of this report already cites {ref}.").format(ref=ref))
    return replace(report, deals=(*report.deals, make_deal(client, amount, kind, note, ref)))


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
            _(
                "A report takes at most {n} entries; add up small deals of one kind into one entry."
            ).format(n=MAX_ENTRIES)
        )


def entry(report: Report, n: int) -> Entry:
    """Entry `n` as numbered in the draft (deals first, then prospects, from 1)."""
    count = len(report.entries)
    if count == 0:
        raise RuleError(_("The report for {month} has no entries.").format(month=report.month))
    if not 1 <= n <= count:
        if count == 1:
            raise RuleError(_("There is no entry {n}: the only entry is 1.").format(n=n))
        raise RuleError(
            _("There is no entry {n}: the entries are numbered 1 to {count}.").format(
                n=n, count=count
            )
        )
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
            _(
                "The report for {month} has no entries: add a deal or a prospect first, "
                "or file it with `/report {month} none` if there were no sales."
            ).format(month=report.month)
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
            ngettext(
                "The draft for {month} has {n} entry: file it with `/report {month} submit`, "
                "or remove it first.",
                "The draft for {month} has {n} entries: file them with "
                "`/report {month} submit`, or remove them first.",
                count,
            ).format(month=report.month, n=count)
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
            _(
                "The report for {month} opens on {day}; it can be filed once the month is over."
            ).format(month=report.month, day=day(report.month.opens_on()))
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

DEAL_OPTIONS = ("client", "amount", "kind", "note", "ref")
PROSPECT_OPTIONS = ("client", "amount", "close", "note")


def deal_from_options(options: Mapping[str, str]) -> Deal:
    """A deal from `client= amount= kind= [note=]`."""
    values = _options(options, DEAL_OPTIONS, "deal")
    amount = parse_amount(values["amount"])
    kind = parse_kind(values["kind"])
    ref = values.get("ref", "").strip() or None
    if kind is DealKind.REFERRED and ref is None:
        raise FieldError(_("a deal of kind=referred needs ref=R-<n>, the referral you accepted"))
    if kind is not DealKind.REFERRED and ref is not None:
        raise FieldError(_("ref= is only for a deal of kind=referred"))
    if ref is not None:
        ref = ref.upper()
    return make_deal(values["client"], amount, kind, values.get("note"), ref)


def prospect_from_options(options: Mapping[str, str], now: datetime, zone: tzinfo) -> Prospect:
    """A prospect from `client= amount= close=YYYY-MM [note=]`."""
    values = _options(options, PROSPECT_OPTIONS, "prospect")
    ahead = Month.containing(now, zone).plus(3)  # the example a refusal shows
    close = check_close(parse_month(values["close"], "close=", ahead), now, zone)
    return make_prospect(
        values["client"], parse_amount(values["amount"]), close, values.get("note")
    )


def add(report: Report, item: Entry, now: datetime, zone: tzinfo) -> Report:
    """The draft with a deal or prospect made by `deal_from_options` or
    `prospect_from_options`."""
    if isinstance(item, Deal):
        return add_deal(report, item.client, item.amount, item.kind, item.note, item.ref)
    return add_prospect(report, item.client, item.amount, item.close, item.note, now, zone)


def _options(options: Mapping[str, str], allowed: tuple[str, ...], what: str) -> dict[str, str]:
    """The values of `options` for `what` ("deal" or "prospect")."""
    deal = what == "deal"
    values: dict[str, str] = {}
    for key, value in options.items():
        name = key.strip().lower()
        if name not in allowed:
            takes = ", ".join(f"{option}=" for option in allowed)
            text = (
                _("there is no {key}= for a deal; it takes {takes}")
                if deal
                else _("there is no {key}= for a prospect; it takes {takes}")
            )
            raise RuleError(text.format(key=key, takes=takes))
        if name in values:
            raise RuleError(_("{key}= is given twice").format(key=name))
        values[name] = value
    missing = [f"{name}=" for name in allowed[:3] if name not in values]
    if missing:
        text = _("a deal needs {missing}") if deal else _("a prospect needs {missing}")
        raise RuleError(text.format(missing=", ".join(missing)))
    return values


# Words for chat ------------------------------------------------------------------------
# Made in the language in force: a message for another reader (the managers' note on a
# filing) is made under that reader's language (`lambda: summary(...)`).


def render(report: Report, zone: tzinfo = UTC, *, hints: bool = True) -> str:
    """The report as a chat message: its state, numbered entries, and totals; with `hints`
    (for the partner's contacts) how to add to a draft and file it."""
    month = report.month
    lines = [
        _("*Report for {month}* of `{id}`: {state}").format(
            month=month, id=report.partner, state=_state_words(report, zone)
        )
    ]
    if report.none:
        lines.append(_("No sales this month."))
    elif not report.entries and not hints:
        lines.append(_("No entries yet."))
    elif not report.entries:
        lines.append(
            _(
                "No entries yet. Add a closed deal with "
                '`/report {month} deal client="Foo Corp" amount=12000 kind=hosting`, '
                "a prospective sale with "
                '`/report {month} prospect client="Bar" amount=5000 close=YYYY-MM`, '
                "or file it as no sales this month with `/report {month} none`."
            ).format(month=month)
        )
    entries = _entry_lines(report)
    if report.deals:
        lines.append(_("Deals closed:"))
        lines += entries[: len(report.deals)]
    if report.prospects:
        lines.append(_("Prospects:"))
        lines += entries[len(report.deals) :]
    if report.entries:
        lines.append(_totals(report))
    if report.state is DRAFT and report.entries and hints:
        lines.append(
            _(
                "Add more with `/report {month} deal ...` or `/report {month} prospect ...`, "
                "drop one with `/report {month} remove <n>`, and file it with "
                "`/report {month} submit`."
            ).format(month=month)
        )
    return "\n".join(lines)


def _entry_lines(report: Report) -> list[str]:
    """One numbered line an entry: the deals, then the prospects."""
    lines = []
    for n, (deal, owed) in enumerate(
        zip(report.deals, report.owed_per_deal(), strict=True), start=1
    ):
        lines.append(
            _("{n}. {client}: {amount}, {kind} at {rate}, owed {owed}{note}").format(
                n=n,
                client=quote(deal.client),
                amount=money(deal.amount),
                kind=deal.kind,
                rate=_rate_words(report, deal),
                owed=money(owed),
                note=_note(deal.note),
            )
        )
    for n, prospect in enumerate(report.prospects, start=len(report.deals) + 1):
        lines.append(
            _("{n}. {client}: {amount}, expected to close {close}{note}").format(
                n=n,
                client=quote(prospect.client),
                amount=money(prospect.amount),
                close=prospect.close,
                note=_note(prospect.note),
            )
        )
    return lines


def entry_changed(before: Report, after: Report, removed: int | None = None) -> str:
    """The reply to adding an entry (the new one, its amount in the reader's notation so
    that a misreading shows at once, and the totals) or to removing entry `removed` (what
    it was and the totals left)."""
    month = after.month
    if removed is not None:
        line = _entry_lines(before)[removed - 1]
        if removed <= len(before.deals):
            head = _("Removed the deal {entry}").format(entry=line)
        else:
            head = _("Removed the prospect {entry}").format(entry=line)
    else:
        added = len(after.deals) if len(after.deals) > len(before.deals) else len(after.entries)
        head = _("Added to the draft of {month}: {entry}").format(
            month=month, entry=_entry_lines(after)[added - 1]
        )
    totals = (
        f"{_totals(after)}."
        if after.entries
        else _("The draft of {month} has no entries now.").format(month=month)
    )
    show = _("`/report {month}` shows the draft; `/report {month} submit` files it.").format(
        month=month
    )
    return f"{head}\n{totals}\n{show}"


def summary(report: Report, zone: tzinfo = UTC, company: str | None = None) -> str:
    """One line on a report, for the reply to `submit` and the note to the manager: its
    totals, and the rate each deal owes; the partner named by its `company` when given."""
    named = f"`{report.partner}`" if company is None else f"{quote(company)} (`{report.partner}`)"
    head = _("Report for {month} of {partner}: {state}").format(
        month=report.month, partner=named, state=_state_words(report, zone)
    )
    if report.none:
        return _("{report}: no sales this month.").format(report=head)
    text = f"{head}. {_totals(report)}."
    if report.deals:
        text += " " + _("Rates: {rates}.").format(rates=rates_used(report))
    return text


def rates_used(report: Report) -> str:
    """Which rate each deal owes, by the deals' numbers: "hosting 30% (deal 1, kept from its
    first filing), hosting 25% (deals 2-3)"."""
    groups: dict[tuple[DealKind, Decimal, bool], list[int]] = {}
    for n, deal in enumerate(report.deals, start=1):
        rate = report.rate_of(deal)
        groups.setdefault((deal.kind, rate, _kept_apart(report, deal)), []).append(n)
    parts = []
    for (kind, rate, kept), numbers in groups.items():
        which = (
            _("deal {n}").format(n=numbers[0])
            if len(numbers) == 1
            else _("deals {numbers}").format(numbers=_runs(numbers))
        )
        if kept:
            which = _("{deals}, kept from its first filing").format(deals=which)
        parts.append(f"{kind} {show_percent(rate)} ({which})")
    return ", ".join(parts)


def _kept_apart(report: Report, deal: Deal) -> bool:
    """A deal whose rate, kept from an earlier filing, is not what a deal added now owes."""
    return deal.rate is not None and deal.rate != report.rates[deal.kind]


def _rate_words(report: Report, deal: Deal) -> str:
    """ "30%", or for a deal kept at the rate it was filed with, what it is and why."""
    rate = show_percent(report.rate_of(deal))
    if not _kept_apart(report, deal):
        return rate
    if report.state is DRAFT:
        return _("{rate}, kept from its first filing (new deals: {new})").format(
            rate=rate, new=show_percent(report.rates[deal.kind])
        )
    return _("{rate}, kept from its first filing").format(rate=rate)


def _runs(numbers: list[int]) -> str:
    """ "1-3, 5": ascending numbers, consecutive runs joined."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


def _totals(report: Report) -> str:
    return _("Closed total {closed}, owed to the vendor {owed}, pipeline total {pipeline}").format(
        closed=money(report.closed_total),
        owed=money(report.owed),
        pipeline=money(report.pipeline_total),
    )


def _state_words(report: Report, zone: tzinfo) -> str:
    if report.submitted_at is not None:  # filed
        on = day(local_day(report.submitted_at, zone))
        who = f"@{report.submitted_by}"
        if not report.filed:
            if report.on_time:
                return _("filed on time on {day} by {who}").format(day=on, who=who)
            return _("filed late on {day} by {who}").format(day=on, who=who)
        first = report.filed[0]  # the verdict is the first filing's
        values = {
            "first_day": day(local_day(first.submitted_at, zone)),
            "first_who": f"@{first.submitted_by}",
            "day": on,
            "who": who,
        }
        if report.on_time:
            return _(
                "first filed on time on {first_day} by {first_who}, filed again on {day} by "
                "{who} after a reopen"
            ).format(**values)
        return _(
            "first filed late on {first_day} by {first_who}, filed again on {day} by {who} "
            "after a reopen"
        ).format(**values)
    if report.filed:
        last = report.filed[-1]
        return _("draft, reopened on {day} by {who} (the filed version is kept)").format(
            day=day(local_day(last.reopened_at, zone)), who=f"@{last.reopened_by}"
        )
    return _("draft")


def _note(note: str | None) -> str:
    return "" if note is None else f" ({quote(note)})"
