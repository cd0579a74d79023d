"""A monthly sales report, its entries and its figures, and its JSON document (SPEC §5)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from i18n import _
from workflows.documents import DocReader
from workflows.onboarding import FieldError, RuleError
from workflows.reporting.money import (
    DEAL_KINDS,
    DEFAULT_RATES,
    DealKind,
    check_amount,
    check_rate,
    check_rates,
    money_doc,
    money_from_doc,
    rate_doc,
    rate_from_doc,
    rates_doc,
    rates_from_doc,
    share,
    total,
)
from workflows.reporting.months import Month, parse_month

CLIENT_MAX = 200
NOTE_MAX = 500


class ReportState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


def check_client(value: str) -> str:
    """A client's name: one line (runs of blanks become one space), 1 to 200 characters."""
    name = _one_line(value, "client")
    if not name:
        raise FieldError(_('client is required: the client\'s name, e.g. client="Foo Corp"'))
    if len(name) > CLIENT_MAX:
        raise FieldError(_("client must be at most {n} characters").format(n=CLIENT_MAX))
    return name


def check_note(value: str | None) -> str | None:
    """An optional note: one line, at most 500 characters; blank is no note."""
    if value is None:
        return None
    note = _one_line(value, "note")
    if len(note) > NOTE_MAX:
        raise FieldError(_("note must be at most {n} characters").format(n=NOTE_MAX))
    return note or None


def _one_line(value: str, name: str) -> str:
    text = " ".join(value.split())
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in text):
        raise FieldError(_("{name} must not contain control characters").format(name=name))
    return text


def _check_entry(client: str, amount: Decimal, note: str | None) -> None:
    """ValueError unless the fields are as `check_client`, `check_amount`, `check_note`
    return them (an entry is always made from checked values)."""
    if not isinstance(client, str) or check_client(client) != client:
        raise ValueError(f"client must be a checked name, not {client!r}")
    if check_amount(amount) != amount or amount.as_tuple().exponent != -2:
        raise ValueError(f"amount must have exactly two decimals, not {amount!r}")
    if note is not None and (not isinstance(note, str) or check_note(note) != note):
        raise ValueError(f"note must be a checked note or None, not {note!r}")


@dataclass(frozen=True, slots=True)
class Deal:
    """A deal closed in the report's month.

    `rate` is the percent owed to the vendor, fixed when a report with this deal is filed
    and kept through a reopen and a re-filing; None in a draft until then, when the
    partner's current rates (the report's `rates`) apply.
    """

    client: str
    amount: Decimal  # USD, exactly two decimals
    kind: DealKind
    note: str | None = None
    rate: Decimal | None = None
    ref: str | None = None  # kind=referred: the referral it closes (R-<n>)

    def __post_init__(self) -> None:
        _check_entry(self.client, self.amount, self.note)
        if not isinstance(self.kind, DealKind):
            raise ValueError(f"kind must be a DealKind, not {self.kind!r}")
        if self.rate is not None:
            check_rate(self.rate, f"the rate of {self.client}")

    def rate_in(self, rates: Mapping[DealKind, Decimal]) -> Decimal:
        """The percent this deal owes: the one it was filed with, else its kind's in `rates`."""
        return rates[self.kind] if self.rate is None else self.rate

    def owed(self, rates: Mapping[DealKind, Decimal]) -> Decimal:
        return share(self.amount, self.rate_in(rates))

    def kept(self, rates: Mapping[DealKind, Decimal]) -> Deal:
        """The deal with its rate fixed: the one it has, else its kind's in `rates`."""
        return self if self.rate is not None else replace(self, rate=rates[self.kind])


@dataclass(frozen=True, slots=True)
class Prospect:
    """A prospective sale, expected to close in `close`."""

    client: str
    amount: Decimal  # USD, exactly two decimals
    close: Month
    note: str | None = None

    def __post_init__(self) -> None:
        _check_entry(self.client, self.amount, self.note)
        if not isinstance(self.close, Month):
            raise ValueError(f"close must be a Month, not {self.close!r}")


Entry = Deal | Prospect


def make_deal(
    client: str, amount: Decimal, kind: DealKind, note: str | None = None, ref: str | None = None
) -> Deal:
    """A deal from typed values, each checked (`RuleError` says what is wrong)."""
    return Deal(check_client(client), check_amount(amount), kind, check_note(note), ref=ref)


def make_prospect(client: str, amount: Decimal, close: Month, note: str | None = None) -> Prospect:
    """A prospect from typed values, each checked (the close month is checked against the
    clock by `add_prospect`)."""
    return Prospect(check_client(client), check_amount(amount), close, check_note(note))


@dataclass(frozen=True, slots=True)
class Filing:
    """A filed version of a report, kept when an account manager reopened it."""

    deals: tuple[Deal, ...]
    prospects: tuple[Prospect, ...]
    rates: Mapping[DealKind, Decimal]
    none: bool
    submitted_at: datetime
    submitted_by: str
    on_time: bool
    reopened_at: datetime
    reopened_by: str

    def __post_init__(self) -> None:
        check_rates(self.rates)
        _check_kept(self.deals, "a filed version")
        _check_aware(self.submitted_at, "submitted_at")
        _check_aware(self.reopened_at, "reopened_at")

    def owed_per_deal(self) -> list[Decimal]:
        return [deal.owed(self.rates) for deal in self.deals]

    @property
    def closed_total(self) -> Decimal:
        return total(deal.amount for deal in self.deals)

    @property
    def owed(self) -> Decimal:
        return total(self.owed_per_deal())

    @property
    def pipeline_total(self) -> Decimal:
        return total(prospect.amount for prospect in self.prospects)


@dataclass(frozen=True, slots=True)
class Report:
    """One partner's report for one month. Never changed: see the functions in `rules`.

    `rates` are the percents owed by deal kind: in a draft the partner's current ones, which
    the deals not filed yet owe; in a filed report those it was filed with. Each filed deal
    keeps its own `Deal.rate`, so a later `/terms` changes neither a filed report nor, after
    a reopen, the deals it had. `filed` keeps each earlier filed version, oldest first, when a
    manager reopened the report. `none` is a filing of "no sales this month".
    """

    partner: str
    month: Month
    state: ReportState = ReportState.DRAFT
    deals: tuple[Deal, ...] = ()
    prospects: tuple[Prospect, ...] = ()
    rates: Mapping[DealKind, Decimal] = field(default_factory=lambda: dict(DEFAULT_RATES))
    submitted_at: datetime | None = None
    submitted_by: str | None = None
    on_time: bool | None = None
    none: bool = False
    filed: tuple[Filing, ...] = ()

    def __post_init__(self) -> None:
        where = f"report {self.partner} {self.month}"
        if not isinstance(self.partner, str) or not self.partner:
            raise ValueError(f"{where}: the partner id is required")
        check_rates(self.rates)
        if not all(isinstance(deal, Deal) for deal in self.deals) or not all(
            isinstance(prospect, Prospect) for prospect in self.prospects
        ):
            raise ValueError(f"{where}: deals and prospects must be Deal and Prospect")
        filing = (self.submitted_at, self.submitted_by, self.on_time)
        if self.state is ReportState.SUBMITTED:
            if self.submitted_at is None or self.submitted_by is None or self.on_time is None:
                raise ValueError(f"{where}: a submitted report needs submitted_at, _by, on_time")
            _check_aware(self.submitted_at, f"{where}: submitted_at")
            _check_kept(self.deals, where)
        elif self.state is ReportState.DRAFT:
            if any(value is not None for value in filing) or self.none:
                raise ValueError(f"{where}: a draft has no submission")
        else:
            raise ValueError(f"{where}: state must be a ReportState, not {self.state!r}")
        if self.none and (self.deals or self.prospects):
            raise ValueError(f"{where}: a report of no sales has no entries")

    @property
    def entries(self) -> tuple[Entry, ...]:
        """The entries as numbered in the draft (from 1): the deals, then the prospects."""
        return (*self.deals, *self.prospects)

    @property
    def is_filed(self) -> bool:
        return self.state is ReportState.SUBMITTED

    @property
    def first_submitted_at(self) -> datetime | None:
        """When the report was first filed (its on-time verdict is that filing's): the first
        kept version's time after a reopen, else its own; None if never filed."""
        return self.filed[0].submitted_at if self.filed else self.submitted_at

    def owed_per_deal(self) -> list[Decimal]:
        """What the vendor is owed for each deal, in order, each rounded half-up to the cent."""
        return [deal.owed(self.rates) for deal in self.deals]

    def rate_of(self, deal: Deal) -> Decimal:
        """The percent `deal` owes: the one it was filed with, else the report's for its kind."""
        return deal.rate_in(self.rates)

    @property
    def closed_total(self) -> Decimal:
        return total(deal.amount for deal in self.deals)

    @property
    def owed(self) -> Decimal:
        """The sum of the rounded per-deal shares (so an export's rows add up to it)."""
        return total(self.owed_per_deal())

    @property
    def pipeline_total(self) -> Decimal:
        return total(prospect.amount for prospect in self.prospects)

    def to_doc(self) -> dict[str, Any]:
        """The report as a JSON object: the SPEC §5 keys first, then the rest. Amounts are
        strings with two decimals ("3600.00"); times ISO in UTC."""
        return {
            "partner": self.partner,
            "month": str(self.month),
            "state": self.state.value,
            **_figures_doc(self.deals, self.prospects, self.rates),
            "none": self.none,
            "submitted_at": _optional_time_doc(self.submitted_at),
            "submitted_by": self.submitted_by,
            "on_time": self.on_time,
            "first_submitted_at": _optional_time_doc(self.first_submitted_at),
            "filed": [_filing_doc(filing) for filing in self.filed],
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Report:
        """The inverse of `to_doc`. The figures, when present, must match the entries and
        rates; ValueError names what is wrong in a document that is not a report."""
        read = _Reader(doc, f"report {doc.get('partner')!r} {doc.get('month')!r}")
        month = read.get("month", str)
        try:
            parsed = parse_month(month)
        except RuleError:
            raise ValueError(f"{read.where}: month must be YYYY-MM") from None
        filed = []
        for index, item in enumerate(read.optional("filed", list) or []):
            filed.append(_filing(_Reader.of(item, f"{read.where}, filed version {index + 1}")))
        state = read.enum("state", ReportState)
        if state is ReportState.SUBMITTED:
            deals, prospects, rates = _figures(read, _kept_as_filed)
        else:
            deals, prospects, rates = _figures(read, _kept_from(filed[-1] if filed else None))
        submitted_at = read.optional("submitted_at", str)
        report = cls(
            partner=read.get("partner", str),
            month=parsed,
            state=state,
            deals=deals,
            prospects=prospects,
            rates=rates,
            submitted_at=None if submitted_at is None else read.time("submitted_at"),
            submitted_by=read.optional("submitted_by", str),
            on_time=read.optional("on_time", bool),
            none=read.optional("none", bool) is True,
            filed=tuple(filed),
        )
        first = read.optional("first_submitted_at", str)  # derived: written for readers
        if first is not None and read.time("first_submitted_at") != report.first_submitted_at:
            raise ValueError(f"{read.where}: first_submitted_at is not its first filing's")
        return report


def _check_kept(deals: Sequence[Deal], where: str) -> None:
    if any(deal.rate is None for deal in deals):
        raise ValueError(f"{where}: a filed deal keeps the rate it was filed with")


def _check_aware(moment: datetime, what: str) -> None:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime")


# Documents ------------------------------------------------------------------------------


def _figures_doc(
    deals: Sequence[Deal], prospects: Sequence[Prospect], rates: Mapping[DealKind, Decimal]
) -> dict[str, Any]:
    owed = [deal.owed(rates) for deal in deals]
    return {
        "deals": [
            {
                "client": deal.client,
                "amount": money_doc(deal.amount),
                "kind": deal.kind.value,
                "rate": None if deal.rate is None else rate_doc(deal.rate),
                "owed": money_doc(owed_here),
                "note": deal.note,
                **({} if deal.ref is None else {"ref": deal.ref}),
            }
            for deal, owed_here in zip(deals, owed, strict=True)
        ],
        "prospects": [
            {
                "client": prospect.client,
                "amount": money_doc(prospect.amount),
                "close": str(prospect.close),
                "note": prospect.note,
            }
            for prospect in prospects
        ],
        "closed_total": money_doc(total(deal.amount for deal in deals)),
        "owed": money_doc(total(owed)),
        "pipeline_total": money_doc(total(prospect.amount for prospect in prospects)),
        "rates": rates_doc(rates),
    }


# A deal stored before deals kept their rate: the rate it keeps, given the document's rates.
Legacy = Callable[[Deal, Mapping[DealKind, Decimal]], Decimal | None]


def _kept_as_filed(deal: Deal, rates: Mapping[DealKind, Decimal]) -> Decimal | None:
    """In a filed report or version: the rate it was filed with, which its stored `owed`
    was figured at."""
    return rates[deal.kind]


def _kept_from(last: Filing | None) -> Legacy:
    """In a draft: a deal of the last filed version (same client, amount, kind and note)
    keeps the rate it was filed with; any other was never filed and has none."""
    waiting = [] if last is None else list(last.deals)

    def kept(deal: Deal, _rates: Mapping[DealKind, Decimal]) -> Decimal | None:
        for index, filed in enumerate(waiting):
            if replace(filed, rate=None) == deal:
                del waiting[index]  # each filed deal is matched once
                return filed.rate
        return None

    return kept


def _figures(
    read: _Reader, legacy: Legacy
) -> tuple[tuple[Deal, ...], tuple[Prospect, ...], dict[DealKind, Decimal]]:
    """Deals, prospects and rates from a report or filing document, the figures checked;
    a deal without a `rate` key gets the one `legacy` gives it."""
    rates_given = read.optional("rates", dict)
    rates = dict(DEFAULT_RATES) if rates_given is None else rates_from_doc(rates_given, read.where)
    if set(rates) != set(DEAL_KINDS):
        raise ValueError(f"{read.where}: rates must give every deal kind")
    deals = []
    owed = []  # as figured when the document was written
    for index, item in enumerate(read.get("deals", list)):
        entry = _Reader.of(item, f"{read.where}, deal {index + 1}")
        deal = entry.build(
            Deal,
            entry.client(),
            entry.money("amount"),
            entry.enum("kind", DealKind),
            entry.note(),
            entry.rate(),
            entry.optional("ref", str),
        )
        owed.append(deal.owed(rates))
        if "owed" in entry.doc and entry.money("owed") != owed[-1]:
            raise ValueError(f"{entry.where}: owed does not match the amount and rate")
        if "rate" not in entry.doc:
            deal = replace(deal, rate=legacy(deal, rates))
        deals.append(deal)
    prospects = []
    for index, item in enumerate(read.get("prospects", list)):
        entry = _Reader.of(item, f"{read.where}, prospect {index + 1}")
        try:
            close = parse_month(entry.get("close", str))
        except RuleError:
            raise ValueError(f"{entry.where}: close must be YYYY-MM") from None
        prospects.append(
            entry.build(Prospect, entry.client(), entry.money("amount"), close, entry.note())
        )
    expected = {
        "closed_total": total(deal.amount for deal in deals),
        "owed": total(owed),
        "pipeline_total": total(prospect.amount for prospect in prospects),
    }
    for key, value in expected.items():
        if key in read.doc and read.money(key) != value:
            raise ValueError(f"{read.where}: {key} does not add up to {money_doc(value)}")
    return tuple(deals), tuple(prospects), rates


def _filing_doc(filing: Filing) -> dict[str, Any]:
    return {
        **_figures_doc(filing.deals, filing.prospects, filing.rates),
        "none": filing.none,
        "submitted_at": _time_doc(filing.submitted_at),
        "submitted_by": filing.submitted_by,
        "on_time": filing.on_time,
        "reopened_at": _time_doc(filing.reopened_at),
        "reopened_by": filing.reopened_by,
    }


def _filing(read: _Reader) -> Filing:
    deals, prospects, rates = _figures(read, _kept_as_filed)
    return Filing(
        deals=deals,
        prospects=prospects,
        rates=rates,
        none=read.optional("none", bool) is True,
        submitted_at=read.time("submitted_at"),
        submitted_by=read.get("submitted_by", str),
        on_time=read.get("on_time", bool),
        reopened_at=read.time("reopened_at"),
        reopened_by=read.get("reopened_by", str),
    )


def _time_doc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _optional_time_doc(moment: datetime | None) -> str | None:
    return None if moment is None else _time_doc(moment)


class _Reader(DocReader):
    """A report document's reads: money, and the fields of an entry."""

    def money(self, key: str) -> Decimal:
        return money_from_doc(self.doc.get(key), f"{self.where}: {key}")

    def client(self) -> str:
        return self.get("client", str)

    def note(self) -> str | None:
        return self.optional("note", str)

    def rate(self) -> Decimal | None:
        value = self.doc.get("rate")
        return None if value is None else rate_from_doc(value, f"{self.where}: rate")
