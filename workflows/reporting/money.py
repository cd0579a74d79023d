"""Money and revenue-share rates (SPEC §1): USD amounts as exact `Decimal`s, never floats.

An amount is a positive number of US dollars with at most two decimals (cents), kept as a
`Decimal` with exactly two decimals. The share owed to the vendor for one deal is the
amount times the deal kind's rate, rounded half-up to the cent; every total is a sum of
such cent amounts, done exactly (`_EXACT` traps any rounding), so an export adds up.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Context, Decimal, Inexact, InvalidOperation, Overflow, Rounded
from enum import StrEnum
from types import MappingProxyType

from i18n import _, decimal_comma, money, number
from workflows.onboarding import FieldError, RuleError


class DealKind(StrEnum):
    HOSTING = "hosting"  # hosting revenue
    REFERRED = "referred"  # a client the vendor referred to the partner
    PREMIUM = "premium"  # resale of the vendor's premium offer at list price
    SERVICES = "services"  # the partner's own services


DEAL_KINDS: tuple[DealKind, ...] = tuple(DealKind)

# Percent of the amount owed to the vendor, by kind (SPEC §1); an account manager may
# override any of them for one partner with `/terms`.
DEFAULT_RATES: Mapping[DealKind, Decimal] = MappingProxyType(
    {
        DealKind.HOSTING: Decimal("30"),
        DealKind.REFERRED: Decimal("30"),
        DealKind.PREMIUM: Decimal("80"),
        DealKind.SERVICES: Decimal("0"),
    }
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("1000000000.00")  # one deal or prospect: at most USD 1,000,000,000.00

# Sums and products of cent amounts and two-decimal percents are exact at this precision;
# the traps turn any rounding or overflow into an exception instead of a wrong figure.
_EXACT = Context(prec=60, traps=[Inexact, Rounded, InvalidOperation, Overflow])
_ROUND = Context(prec=60, rounding=ROUND_HALF_UP, traps=[InvalidOperation, Overflow])

_KIND_ALIASES: Mapping[str, DealKind] = {
    **{kind.value: kind for kind in DealKind},
    "referral": DealKind.REFERRED,
    "service": DealKind.SERVICES,
}


def parse_kind(text: str) -> DealKind:
    """A deal kind from its name, in any case (`service` and `referral` are accepted too)."""
    try:
        return _KIND_ALIASES[text.strip().lower()]
    except KeyError:
        raise FieldError(
            _("kind must be one of {kinds}").format(kinds=", ".join(DEAL_KINDS))
        ) from None


# Amounts --------------------------------------------------------------------------------

_USD_BEFORE = re.compile(r"(?:usd\s*\$?|us\$|\$)\s*", re.IGNORECASE)
_USD_AFTER = re.compile(r"\s*(?:usd|us\$)", re.IGNORECASE)
_OTHER_DOLLAR = re.compile(r"[a-z]{0,3}\$", re.IGNORECASE)  # R$, C$, MX$, or a second $
_CODE = re.compile(r"^([a-z]{3})\s*(?=[-0-9.,(])|(?<=[0-9.,])\s*([a-z]{3})$", re.IGNORECASE)
# As an English reader writes an amount: commas between thousands, a point before the cents.
_NUMBER = re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<cents>[0-9]+))?")
# As a Portuguese or Spanish reader does: points between thousands, a comma before the cents.
_COMMA_NUMBER = re.compile(r"(?P<whole>[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,(?P<cents>[0-9]+))?")
_EUROPEAN = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]*)?|[0-9]+,[0-9]{1,2}")
_GROUPED = re.compile(r"[0-9][0-9,]*(?:\.[0-9]*)?")
_EXPONENT = re.compile(r"[0-9.,]*[0-9][0-9.,]*e[+-]?[0-9]+", re.IGNORECASE)
_SPECIAL = re.compile(r"[+-]?(?:s?nan|inf|infinity)", re.IGNORECASE)
_MINUS = "-\u2212\u2012\u2013\u2014"  # hyphen-minus, minus sign, figure dash, dashes


def parse_amount(text: str, name: str = "amount") -> Decimal:
    """A USD amount as its reader types it (the language in force, `i18n.decimal_comma`):
    in English `12000`, `12,000`, `12000.50`, `$12,000`, `USD 12,000`; in Portuguese and
    Spanish `12000`, `12.000`, `12.000,50`, `US$ 12.000,50`, `12.000,50 US$`.

    Returns it with exactly two decimals. `RuleError` says why anything else is refused:
    negative or zero, more than two decimals, above USD 1,000,000,000.00, an exponent
    (`1e5`), `NaN`, another currency, or the other notation than the reader's (`12.000,50`
    in English, `12,000.50` in Portuguese or Spanish), which could be misread: `1.500` is
    1500 for a Portuguese reader, and a refusal in English (three decimals).
    """
    comma = decimal_comma()
    if comma:
        example = _('e.g. {name}=12000, {name}=12.000,50 or {name}="{money}"').format(
            name=name, money=money(Decimal(12000))
        )
    else:
        example = _('e.g. {name}=12000, {name}=12,000.50 or {name}="USD 12,000"').format(name=name)
    body = " ".join(text.split())
    if not body:
        raise FieldError(_("{name} is required, {example}").format(name=name, example=example))
    if len(body) > 60:
        raise FieldError(
            _("{name} is too long for an amount; write it in digits, {example}").format(
                name=name, example=example
            )
        )
    before = _USD_BEFORE.match(body)
    if before is not None:
        body = body[before.end() :]
    after = _USD_AFTER.search(body)
    if after is not None and after.end() == len(body) and after.start() > 0:
        body = body[: after.start()]
    if not body:
        raise FieldError(_("{name} needs a number, {example}").format(name=name, example=example))
    bracketed = body.startswith("(") and body.endswith(")")  # accountants' negative
    if (body[0] in _MINUS or bracketed) and re.search("[0-9]", body):
        raise FieldError(
            _("{name} cannot be negative; to correct an entry, remove it and add it again").format(
                name=name
            )
        )
    if _SPECIAL.fullmatch(body):
        raise FieldError(
            _("{name} must be a number of US dollars ({text} is not one), {example}").format(
                name=name, text=body, example=example
            )
        )
    _refuse_other_currency(body, name)
    if _EXPONENT.fullmatch(body):
        raise FieldError(
            _("{name} must be written in plain digits, without an exponent; {example}").format(
                name=name, example=example
            )
        )
    number = (_COMMA_NUMBER if comma else _NUMBER).fullmatch(body)
    if number is None:
        _refuse_notation(body, name, comma)
        raise FieldError(
            _("{name} must be a number of US dollars, {example}").format(name=name, example=example)
        )
    cents = number.group("cents")
    if cents is not None and len(cents) > 2:
        if comma:
            raise FieldError(
                _(
                    "{name} can have at most two decimals (cents); thousands are separated "
                    "with points, e.g. 12.000,50"
                ).format(name=name)
            )
        raise FieldError(
            _(
                "{name} can have at most two decimals (cents); thousands are separated with "
                "commas, e.g. 12,000.50"
            ).format(name=name)
        )
    whole = number.group("whole").replace("," if not comma else ".", "")
    return check_amount(Decimal(f"{whole}.{(cents or '').ljust(2, '0')}"), name)


def _refuse_notation(body: str, name: str, comma: bool) -> None:
    """`RuleError` with the reader's own notation when `body` is an amount written the
    other way (which the reader may have meant, or not: it is never guessed)."""
    if comma:
        if _NUMBER.fullmatch(body) and ("." in body or "," in body):
            raise FieldError(
                _(
                    "{name} uses a comma for the cents and points between thousands, "
                    "e.g. 12.000,50 (not 12,000.50)"
                ).format(name=name)
            )
        return
    if _EUROPEAN.fullmatch(body):
        raise FieldError(
            _(
                "{name} uses a point for cents and commas between thousands, "
                "e.g. 12,000.50 (not 12.000,50)"
            ).format(name=name)
        )
    if _GROUPED.fullmatch(body) and "," in body:
        raise FieldError(
            _("in {name}, commas separate thousands (12,000) and a point the cents (12.50)").format(
                name=name
            )
        )


def _refuse_other_currency(body: str, name: str) -> None:
    """`RuleError` when what is left of an amount names a currency (USD is gone by now)."""
    dollar = _OTHER_DOLLAR.search(body)
    symbol = next((char for char in body if unicodedata.category(char) == "Sc"), None)
    code = _CODE.search(body)
    which = (
        dollar.group(0)
        if dollar is not None
        else symbol
        if symbol is not None
        else (code.group(1) or code.group(2))
        if code is not None
        else None
    )
    if which is not None and which.upper() != "USD":
        raise FieldError(
            _("{name} must be in US dollars (USD), not {currency}: convert it first").format(
                name=name, currency=which.upper()
            )
        )


def check_amount(amount: Decimal, name: str = "amount") -> Decimal:
    """`amount` with exactly two decimals, or `RuleError` when it is not a USD amount a
    report takes: zero or less, more than two decimals, or above `MAX_AMOUNT`."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise FieldError(_("{name} must be a number of US dollars").format(name=name))
    if amount < 0:
        raise FieldError(_("{name} cannot be negative").format(name=name))
    if amount == 0:
        raise FieldError(_("{name} must be more than zero").format(name=name))
    if amount > MAX_AMOUNT:
        raise FieldError(
            _("{name} must be at most {most}").format(name=name, most=money(MAX_AMOUNT))
        )
    cents = amount.quantize(CENT, context=_ROUND)
    if cents != amount:
        raise FieldError(_("{name} can have at most two decimals (cents)").format(name=name))
    return cents


def format_usd(amount: Decimal) -> str:
    """`USD 12,000.00`: thousands separated by commas, always two decimals (rounded half-up
    when given more, which no amount on the money path has). Language-neutral (logs,
    exceptions no reader sees); a reader is shown `i18n.money`."""
    if not amount.is_finite():
        raise ValueError(f"not an amount: {amount}")
    return f"USD {amount.quantize(CENT, context=_ROUND):,.2f}"


def money_doc(amount: Decimal) -> str:
    """An amount as stored and exported: `"3600.00"`."""
    return f"{amount.quantize(CENT, context=_ROUND):f}"


_MONEY_DOC = re.compile(r"-?[0-9]+\.[0-9]{2}")


def money_from_doc(text: object, where: str) -> Decimal:
    """The inverse of `money_doc`; ValueError naming `where` for anything else."""
    if not isinstance(text, str) or not _MONEY_DOC.fullmatch(text):
        raise ValueError(f'{where} must be an amount with two decimals like "3600.00"')
    return Decimal(text)


# Revenue share --------------------------------------------------------------------------


def share(amount: Decimal, rate: Decimal) -> Decimal:
    """What the vendor is owed for one deal: `amount` x `rate` percent, rounded half-up
    to the cent (USD 1,234.55 at 30 % is 370.365, owed 370.37)."""
    exact = _EXACT.multiply(amount, rate).scaleb(-2, context=_EXACT)
    return exact.quantize(CENT, context=_ROUND)


def total(amounts: Iterable[Decimal]) -> Decimal:
    """The exact sum of cent amounts (USD 0.00 for none)."""
    result = ZERO
    for amount in amounts:
        result = _EXACT.add(result, amount)
    return result


# Rates (/terms) -------------------------------------------------------------------------

_PERCENT = re.compile(r"(?P<value>[0-9]{1,3}(?:\.[0-9]+)?)\s*%?")
_RATE_DOC = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")
HUNDRED = Decimal(100)


def parse_percent(text: str, name: str) -> Decimal:
    """A rate as typed after `<kind>=`: `25`, `12.5`, `25%`; 0 to 100, at most two decimals.
    `default` gives the program's rate for that kind. A reader who writes a comma before
    the decimals (`i18n.decimal_comma`) may type `12,5` (a percent has no thousands)."""
    value = text.strip()
    if decimal_comma():
        value = value.replace(",", ".", 1) if "." not in value else value
    if value.lower() == "default":
        return DEFAULT_RATES[parse_kind(name)]
    match = _PERCENT.fullmatch(value)
    problem = _(
        "{name}= must be a percent from 0 to 100 with at most two decimals, e.g. {name}=25"
    ).format(name=name)
    if match is None:
        raise FieldError(problem)
    decimals = match.group("value").partition(".")[2]
    rate = Decimal(match.group("value"))
    if len(decimals) > 2 or rate > HUNDRED:
        raise FieldError(problem)
    return canonical_rate(rate)


def canonical_rate(rate: Decimal) -> Decimal:
    """One spelling per rate: `30` (not `30.00` or `3E+1`), `12.5` (not `12.50`)."""
    cents = rate.quantize(CENT, context=_ROUND)
    whole = cents.to_integral_value(context=_ROUND)
    return whole.quantize(Decimal(1)) if whole == cents else cents.normalize(context=_ROUND)


def parse_rates(options: Mapping[str, str]) -> dict[DealKind, Decimal]:
    """The rates an account manager sets with `/terms <partner-id> <kind>=<percent> ...`:
    kind names in any case, each percent 0 to 100 with at most two decimals, or `default`."""
    if not options:
        raise FieldError(
            _(
                "give at least one rate as <kind>=<percent>, e.g. hosting=25 premium=75; "
                "the kinds are {kinds}"
            ).format(kinds=", ".join(DEAL_KINDS))
        )
    rates: dict[DealKind, Decimal] = {}
    for key, value in options.items():
        try:
            kind = parse_kind(key)
        except RuleError:
            kinds = ", ".join(DEAL_KINDS)
            raise FieldError(
                _("{key}= is not a deal kind; the kinds are {kinds}").format(key=key, kinds=kinds)
            ) from None
        if kind in rates:
            raise FieldError(_("{key}= is given twice").format(key=kind))
        rates[kind] = parse_percent(value, kind.value)
    return rates


def check_rates(rates: Mapping[DealKind, Decimal]) -> dict[DealKind, Decimal]:
    """A full set of rates (one for every kind, each a valid percent), in the kinds' order;
    ValueError otherwise."""
    missing = [kind.value for kind in DEAL_KINDS if kind not in rates]
    if missing or len(rates) != len(DEAL_KINDS):
        raise ValueError(f"rates must give every deal kind; missing: {', '.join(missing)}")
    return {kind: check_rate(rates[kind], f"the {kind} rate") for kind in DEAL_KINDS}


def check_rate(rate: Decimal, name: str = "the rate") -> Decimal:
    """One rate as `canonical_rate` spells it; ValueError unless it is a percent from 0 to
    100 with at most two decimals."""
    if (
        not isinstance(rate, Decimal)
        or not rate.is_finite()
        or not 0 <= rate <= HUNDRED
        or rate != rate.quantize(CENT, context=_ROUND)
    ):
        raise ValueError(f"{name} must be a percent from 0 to 100, not {rate!r}")
    return canonical_rate(rate)


def effective_rates(overrides: Mapping[DealKind, Decimal]) -> dict[DealKind, Decimal]:
    """A partner's rates: the program's defaults with its `/terms` overrides on top."""
    return check_rates({**DEFAULT_RATES, **overrides})


def format_percent(rate: Decimal) -> str:
    """`30%`, `12.5%`: as stored and exported (language-neutral)."""
    return f"{canonical_rate(rate)}%"


def show_percent(rate: Decimal) -> str:
    """A rate as its reader writes it: `30%`, `12.5%` in English, `12,5%` in Portuguese."""
    return f"{number(canonical_rate(rate))}%"


def rates_doc(rates: Mapping[DealKind, Decimal]) -> dict[str, str]:
    """Rates as stored: `{"hosting": "30", ...}` (also for a partner's overrides)."""
    return {kind.value: rate_doc(rates[kind]) for kind in DEAL_KINDS if kind in rates}


def rate_doc(rate: Decimal) -> str:
    """One rate as stored: `"30"`, `"12.5"`."""
    return str(canonical_rate(rate))


def rate_from_doc(value: object, where: str) -> Decimal:
    """The inverse of `rate_doc`; ValueError naming `where` for anything else."""
    if not isinstance(value, str):
        raise ValueError(f'{where} must be a string like "30"')
    match = _RATE_DOC.fullmatch(value)
    rate = None if match is None else Decimal(value)
    if rate is None or rate > HUNDRED or rate_doc(rate) != value:
        raise ValueError(f'{where} must be a percent like "30" or "12.5"')
    return rate


def rates_from_doc(doc: object, where: str) -> dict[DealKind, Decimal]:
    """The inverse of `rates_doc` (some kinds may be absent); ValueError naming `where`."""
    if not isinstance(doc, Mapping):
        raise ValueError(f"{where}: rates must be an object")
    rates: dict[DealKind, Decimal] = {}
    for key, value in doc.items():
        try:
            kind = DealKind(key)
        except ValueError:
            raise ValueError(f"{where}: unknown deal kind {key!r}") from None
        rates[kind] = rate_from_doc(value, f"{where}: the {kind} rate")
    return rates
