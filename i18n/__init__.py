"""The bot's languages: every message goes through gettext, in the reader's language.

English is the source language (the message ids); Brazilian Portuguese and Spanish come
from the gettext catalogs in `i18n/locales/<locale>/LC_MESSAGES/messages.po`, compiled to
`.mo` by the project's set-up (`python -m i18n.compile`). The language a message is written
in is the one in force where it is made: `speaking(language)` sets it for a block (the
dispatcher sets the caller's around a command; a message to a partner's room is made under
the partner's). Code writes

    _("Recorded: the fee of {company} for {year} is paid.").format(company=..., year=...)
    ngettext("{n} report", "{n} reports", n).format(n=n)
    N_("a text kept untranslated until shown")   # translated later with _(TEXT)

with named `{placeholders}` only, so that a translation may put them in any order.
Numbers, money and dates are written with `number`, `money` and `day`, by locale (CLDR,
through Babel). Stored data, commands, keywords and ids never pass through here.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

LANGUAGES = ("en", "pt-BR", "es")  # as users type and store them (BCP 47 tags)
SOURCE = "en"  # the language of the message ids
LOCALES = Path(__file__).parent / "locales"
DOMAIN = "messages"

_LOCALE_NAMES = {"en": "en", "pt-BR": "pt_BR", "es": "es"}  # gettext's and Babel's names
_current: ContextVar[str] = ContextVar("language", default=SOURCE)


def language_tag(text: str) -> str | None:
    """The offered language a user's or server's language setting means, or None.

    `pt-BR`, `pt_BR`, `pt-br` and plain `pt` are Brazilian Portuguese (the only Portuguese
    offered); `es`, `es-ES`, `es-MX`, ... Spanish; `en`, `en-US`, `en-GB`, ... English.
    """
    parts = text.strip().replace("_", "-").lower().split("-")
    if not parts[0]:
        return None
    return {"en": "en", "pt": "pt-BR", "es": "es"}.get(parts[0])


@cache
def _translations(language: str) -> _gettext.NullTranslations:
    if language == SOURCE:
        return _gettext.NullTranslations()
    mo = LOCALES / _LOCALE_NAMES[language] / "LC_MESSAGES" / f"{DOMAIN}.mo"
    try:
        with mo.open("rb") as file:
            return _gettext.GNUTranslations(file)
    except FileNotFoundError:
        raise RuntimeError(
            f"{mo} is missing: the catalogs are compiled by the set-up "
            "(.ci/venv.sh runs `python -m i18n.compile`)"
        ) from None


def language() -> str:
    """The language messages are being written in."""
    return _current.get()


@contextmanager
def speaking(tag: str) -> Iterator[None]:
    """Write the messages made in this block in `tag` (one of `LANGUAGES`)."""
    if tag not in _LOCALE_NAMES:
        raise ValueError(f"not an offered language: {tag!r}")
    token = _current.set(tag)
    try:
        yield
    finally:
        _current.reset(token)


def _(message: str) -> str:
    """`message` in the current language."""
    return _translations(_current.get()).gettext(message)


gettext = _


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for `n` things, by the current language's plural rules."""
    return _translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks `message` for the catalogs without translating it: `_(message)` where shown."""
    return message


def locale() -> Locale:
    return _locale(_current.get())


@cache
def _locale(tag: str) -> Locale:
    return Locale.parse(_LOCALE_NAMES[tag])


_CENT = Decimal("0.01")


def money(amount: Decimal) -> str:
    """A USD amount as its reader writes it: `USD 12,000.50` in English (the currency code,
    as a program that spans countries writes it), `US$ 12.000,50` and `12.000,50 US$` in
    Portuguese and Spanish (CLDR's own forms for USD there). Always two decimals."""
    if not amount.is_finite():
        raise ValueError(f"not an amount: {amount}")
    cents = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    tag = _current.get()
    if tag == SOURCE:
        return f"USD {cents:,.2f}"
    return format_currency(cents, "USD", locale=_locale(tag))


def number(value: int | Decimal) -> str:
    """A number with the reader's separators (`12,000` / `12.000`)."""
    tag = _current.get()
    if tag == SOURCE:
        return f"{value:,}"
    return format_decimal(value, locale=_locale(tag))


def day(value: date) -> str:
    """A date as its reader writes it: ISO `2027-11-05` in English (the form commands take,
    and one that no reader on either side of the Atlantic misreads); the locale's short
    form elsewhere (`05/11/2027` in Portuguese, `5/11/27` in Spanish)."""
    tag = _current.get()
    if tag == SOURCE:
        return value.isoformat()
    return format_date(value, "short", locale=_locale(tag))


def decimal_comma() -> bool:
    """Whether the reader writes `12.000,50` (a comma before the cents)."""
    return bool(_locale(_current.get()).number_symbols["latn"]["decimal"] == ",")
