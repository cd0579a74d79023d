"""The words of the onboarding rules: partner types, ids, application fields, dates, names.

Each check takes what a user typed and returns the value to store, or raises `RuleError`
with a short sentence that says what is wrong and what is accepted.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from enum import StrEnum
from typing import Literal
from urllib.parse import urlsplit

from anyascii import anyascii

from i18n import _
from workflows.text import is_username


class RuleError(ValueError):
    """A change the program rules do not allow; the message tells the user what to do."""


class FieldError(RuleError):
    """An argument or field missing or written wrong: the reply adds the usage line."""


class PartnerType(StrEnum):
    HOSTING = "hosting"
    TECHNOLOGY = "technology"
    VALUE_ADDED = "value-added"


TYPE_ALIASES: Mapping[str, PartnerType] = {
    "hosting": PartnerType.HOSTING,
    "hosting-provider": PartnerType.HOSTING,
    "technology": PartnerType.TECHNOLOGY,
    "tech": PartnerType.TECHNOLOGY,
    "technology-provider": PartnerType.TECHNOLOGY,
    "value-added": PartnerType.VALUE_ADDED,
    "vap": PartnerType.VALUE_ADDED,
    "value-added-partner": PartnerType.VALUE_ADDED,
}


def parse_type(text: str) -> PartnerType:
    """A partner type from its name or an alias; case, spaces and `_` do not matter."""
    key = re.sub(r"[\s_-]+", "-", text.strip().lower())
    try:
        return TYPE_ALIASES[key]
    except KeyError:
        raise RuleError(
            _(
                "type must be hosting, technology or value-added"
                " (also accepted: tech, technology-provider, vap, value-added-partner)"
            )
        ) from None


# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "ł": "l",
        "Ł": "l",
        "þ": "th",
        "Þ": "th",
        "ħ": "h",
        "Ħ": "h",
        "\u0131": "i",  # dotless i
        "™": " ",  # NFKD would glue "TM" to the name
        "℠": " ",
    }
)
SLUG_MAX = 64  # an id is typed in commands; longer names are cut at a word boundary
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
FALLBACK_PREFIX = "partner-"  # the id of a name that no letter of transliterates


def slug(company: str) -> str:
    """The partner id of a company name (SPEC §2): lower-case ASCII, accents dropped,
    every run of other characters one `-`, none at either end.

    "Soluções Ágeis Ltda." -> "solucoes-ageis-ltda". Letters of other scripts are
    transliterated (`anyascii`): "日本語株式会社" -> "ribenyuzhushihuishe". A name of letters
    that nothing transliterates gets `partner-<8 hex digits>`, a hash of the name: the same name
    always gets the same id. A name longer than `SLUG_MAX` is cut at the last `-` before the
    limit. `RuleError` when the name has no letter or digit at all.
    """
    name = unicodedata.normalize("NFC", company.translate(_LETTERS))
    if not any(char.isalnum() for char in name):
        raise RuleError(_("the company name needs at least one letter or digit"))
    text = "".join(_ascii(char) for char in name)
    result = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(result) > SLUG_MAX:
        cut = result[:SLUG_MAX]
        if result[SLUG_MAX] != "-" and "-" in cut:
            cut = cut[: cut.rindex("-")]
        result = cut.strip("-")
    return result or _fallback_id(name)


def _ascii(char: str) -> str:
    """One character of a company name in ASCII, for `slug`.

    A Latin letter loses its accents (as NFKD and `_LETTERS` leave it, so the ids of Latin
    names stay what they always were); a letter, mark or digit of another script is
    transliterated; anything else is kept as it is and becomes a `-` in the slug.
    """
    if unicodedata.combining(char):
        return ""  # an accent that did not compose with its letter
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if any(c.isascii() and c.isalnum() for c in bare):
        return bare
    if unicodedata.category(char)[0] in "LMN":
        return anyascii(char)
    return bare


def _fallback_id(name: str) -> str:
    """`partner-` and a hash of the name (case and spacing aside): stable across runs."""
    return FALLBACK_PREFIX + hashlib.sha256(_name_key(name).encode()).hexdigest()[:8]


def partner_ids(company: str) -> Iterator[str]:
    """The ids to try for a new partner, in order: the slug, then `<slug>-2`, `<slug>-3`, ...

    The first that no partner has is the new one's; those before it are the partners
    whose name gives the same slug, or that took `<slug>-<n>` with a name of their own.
    """
    base = slug(company)
    yield base
    for number in itertools.count(2):
        yield f"{base}-{number}"


def new_partner_id(company: str, taken: Callable[[str], bool]) -> str:
    """The first of `partner_ids(company)` not `taken`."""
    return next(candidate for candidate in partner_ids(company) if not taken(candidate))


def same_name(first: str, second: str) -> bool:
    """Whether two company names are the same, case, spacing and Unicode forms aside."""
    return _name_key(first) == _name_key(second)


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


APPLICATION_FIELDS = ("company", "type", "website", "email")  # asked in this order
OPTIONAL_FIELDS = ("country",)
COMPANY_MAX = 200
COUNTRY_MIN, COUNTRY_MAX = 2, 60
URL_MAX = 2000
TEXT_MAX = 1000  # goals, reasons


def check_field(name: str, value: str) -> str:
    """The value to store for an application field, or `RuleError` saying what is wrong."""
    check = _CHECKS.get(name.strip().lower())
    if check is None:
        fields = ", ".join((*APPLICATION_FIELDS, *OPTIONAL_FIELDS))
        raise RuleError(
            _("there is no field {name}; the fields are {fields}").format(
                name=repr(name), fields=fields
            )
        )
    return check(value)


def missing_fields(given: Mapping[str, str]) -> list[str]:
    """The required application fields not in `given` (or blank), in the order asked."""
    missing = []
    for name in APPLICATION_FIELDS:
        value = given.get(name)
        if value is None or not value.strip():
            missing.append(name)
    return missing


def _company(value: str) -> str:
    name = _one_line(value, "company")
    if not 1 <= len(name) <= COMPANY_MAX:
        raise RuleError(_("company must be 1 to {most} characters").format(most=COMPANY_MAX))
    slug(name)  # a name that gives no id is refused now, not at the end of the application
    return name


def _type(value: str) -> str:
    return parse_type(value).value


def _website(value: str) -> str:
    """A bare domain (`acme.example/partners`) is read as https:// plus the domain."""
    text = value.strip()
    if text and "://" not in text and ":" not in text.split("/")[0]:
        text = "https://" + text
    return check_url(text, "website")


def _email(value: str) -> str:
    text = value.strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    local, at, domain = text.rpartition("@")
    if (
        not at
        or not local
        or len(local) > 64
        or len(text) > 254
        or re.search(r"[\s@<>()\[\],;:\"\\]", local)
        or not _is_host(domain)
    ):
        raise RuleError(_("email must be an address like partners@acme.example"))
    return f"{local}@{domain.lower()}"


def _country(value: str) -> str:
    name = _one_line(value, "country")
    if not COUNTRY_MIN <= len(name) <= COUNTRY_MAX or not any(c.isalpha() for c in name):
        raise RuleError(
            _("country must be {least} to {most} characters, e.g. BR").format(
                least=COUNTRY_MIN, most=COUNTRY_MAX
            )
        )
    return name.upper() if len(name) == 2 else name


_CHECKS: Mapping[str, Callable[[str], str]] = {
    "company": _company,
    "type": _type,
    "website": _website,
    "email": _email,
    "country": _country,
}


def check_url(value: str, name: str) -> str:
    """An http(s) URL with a plausible host name (as typed, without surrounding blanks).
    `name` is what the value is, as its reader calls it (`website` or `_("the listing")`)."""
    url = value.strip()
    problem = _("{name} must be an http(s) URL with a host, e.g. https://acme.example").format(
        name=name
    )
    if (
        not url
        or len(url) > URL_MAX
        or any(c.isspace() or unicodedata.category(c) == "Cc" for c in url)
    ):
        raise RuleError(problem)
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise RuleError(problem) from None
    if parts.scheme.lower() not in ("http", "https") or host is None or not _is_host(host):
        raise RuleError(problem)
    if parts.username is not None:
        raise RuleError(_("{name} must not contain a user name or password").format(name=name))
    return url


def _is_host(host: str) -> bool:
    """A domain name with at least two labels (Unicode letters allowed), or an IPv4 address."""
    labels = host.removesuffix(".").split(".")
    return (
        len(labels) >= 2
        and len(host) <= 253
        and all(
            0 < len(label) <= 63
            and not label.startswith("-")
            and not label.endswith("-")
            and all(char.isalnum() or char == "-" for char in label)
            for label in labels
        )
    )


def check_text(value: str, name: str, limit: int = TEXT_MAX) -> str:
    """Free text (goals, a reason): stripped, 1 to `limit` characters, lines allowed.
    `name` is what the text is, as its reader calls it (`_("the reason")`)."""
    text = value.strip()
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise RuleError(_("{name} must not contain control characters").format(name=name))
    if not text:
        raise RuleError(_("{name} is required").format(name=name))
    if len(text) > limit:
        raise RuleError(_("{name} must be at most {most} characters").format(name=name, most=limit))
    return text


def _one_line(value: str, name: str) -> str:
    text = " ".join(value.split())
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise RuleError(_("{name} must not contain control characters").format(name=name))
    return text


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_day(value: str, name: str, today: date) -> date:
    """A calendar day written YYYY-MM-DD; a refusal shows `today` as the example. `name`
    is what the day is, as its reader calls it (`_("the meeting date")`)."""
    text = value.strip()
    if _DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise FieldError(
        _("{name} must be a date written YYYY-MM-DD, e.g. {today}").format(
            name=name, today=today.isoformat()
        )
    )


def check_username(value: str) -> str:
    """A chat username, with or without its `@`: one that a mention of it names that user
    only (`is_username`: not `all` or `here`, no character that could be markup or a link)."""
    name = value.strip().removeprefix("@")
    if len(name) > 100 or not is_username(name):
        raise RuleError(_("give a username, e.g. `@alice`"))  # not a mention of alice
    return name


Horizon = Literal["3m", "1y"]
AttestKind = Literal["statistics", "reference"]


def parse_horizon(text: str) -> Horizon:
    """`3m` (the next 3 months) or `1y` (the next year)."""
    key = text.strip().lower()
    if key == "3m":
        return "3m"
    if key == "1y":
        return "1y"
    raise RuleError(_("the goals are for 3m (the next 3 months) or 1y (the next year)"))


def parse_attest_kind(text: str) -> AttestKind:
    """`statistics` ("share the statistics" ON) or `reference` (the vendor referenced)."""
    key = text.strip().lower()
    if key == "statistics":
        return "statistics"
    if key == "reference":
        return "reference"
    raise RuleError(_("attest statistics or reference"))


def parse_switch(text: str) -> bool:
    """`on` or `off` (also yes/no, true/false)."""
    key = text.strip().lower()
    if key in ("on", "yes", "true"):
        return True
    if key in ("off", "no", "false"):
        return False
    raise RuleError(_("say on or off"))
