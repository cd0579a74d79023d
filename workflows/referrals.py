"""The program's benefits: each partner's expertise, and the referrals of clients the vendor's
team passes to the partners (issue 16, items 1-3 and 7).

Pure: no I/O. The stored documents come in as arguments and the rules return new values;
a refusal is a `RuleError` (a `FieldError` when a value is written wrong) with a sentence
for the user.

Expertise. The services each partner type may offer are the brochure's
(`SERVICES_BY_TYPE`), as the keywords users type (`private-cloud-hosting`, `integrations`,
`brand-theming`). An account manager certifies a partner for one of its type's services
(`certify`), on a day not in the future; the partner declares the countries (ISO 3166
alpha-2, `BR`) and languages (ISO 639-1, `pt`) it serves (`declare`).

Referrals. A referral (`R-12`) is a client an account manager passes on. Its states:

```mermaid
stateDiagram-v2
    [*] --> new: /refer (the matches proposed)
    new --> offered: the manager picks a partner
    offered --> accepted: the partner accepts
    offered --> offered: declined, or no answer in time, and another partner matches
    offered --> declined: declined, and no other partner matches
    offered --> expired: no answer in time, and no other partner matches
    declined --> offered: the manager names a partner
    expired --> offered: the manager names a partner
    accepted --> won: the partner reports the deal (kind=referred ref=R-12)
    new --> lost: the manager
    offered --> lost: the manager
    accepted --> lost: the manager
    declined --> lost: the manager
    expired --> lost: the manager
```

The matches (`matches`) are the active partners certified for the service, serving the
client's country and language, not late with a monthly report, and not yet offered this
referral; those with the fewest open (offered or accepted) referrals first, then by id.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import Any

from babel import Locale

from i18n import N_, _
from workflows.documents import DocReader
from workflows.onboarding import FieldError, Partner, RuleError, Status
from workflows.onboarding.fields import PartnerType
from workflows.reporting import money_doc, parse_amount
from workflows.text import quote


class Service(StrEnum):
    PRIVATE_CLOUD_HOSTING = "private-cloud-hosting"
    FEATURE_DEVELOPMENT = "feature-development"
    INTEGRATIONS = "integrations"
    BOTS = "bots"
    MARKETPLACE_APPS = "marketplace-apps"
    INSTALLATION = "installation"
    CONFIGURATION = "configuration"
    BRAND_THEMING = "brand-theming"
    CONSULTING = "consulting"
    TRAINING = "training"
    PREMIUM_RESALE = "premium-resale"
    PRODUCT_BUNDLES = "product-bundles"


SERVICES_BY_TYPE: Mapping[PartnerType, tuple[Service, ...]] = {
    PartnerType.HOSTING: (Service.PRIVATE_CLOUD_HOSTING,),
    PartnerType.TECHNOLOGY: (
        Service.FEATURE_DEVELOPMENT,
        Service.INTEGRATIONS,
        Service.BOTS,
        Service.MARKETPLACE_APPS,
        Service.INSTALLATION,
        Service.CONFIGURATION,
        Service.BRAND_THEMING,
        Service.CONSULTING,
        Service.TRAINING,
    ),
    PartnerType.VALUE_ADDED: (
        Service.PREMIUM_RESALE,
        Service.PRODUCT_BUNDLES,
        Service.MARKETPLACE_APPS,
        Service.CONSULTING,
        Service.TRAINING,
    ),
}
# Shorter words people type for a service.
SERVICE_ALIASES: Mapping[str, Service] = {
    "hosting": Service.PRIVATE_CLOUD_HOSTING,
    "private-cloud": Service.PRIVATE_CLOUD_HOSTING,
    "theming": Service.BRAND_THEMING,
    "development": Service.FEATURE_DEVELOPMENT,
    "resale": Service.PREMIUM_RESALE,
    "bundles": Service.PRODUCT_BUNDLES,
}
# Codes that Babel names but that are no country (the EU, the UN, "unknown", pseudo-regions).
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})
MAX_DECLARED = 60  # countries or languages a partner declares
CLIENT_MAX = 200
NOTE_MAX = 500


@cache
def countries() -> frozenset[str]:
    """ISO 3166 alpha-2 codes, as CLDR (Babel) names them."""
    codes = [str(code) for code in Locale.parse("en").territories]
    return frozenset(
        code for code in codes if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    )


@cache
def languages() -> frozenset[str]:
    """ISO 639-1 codes (two letters), as CLDR (Babel) names them."""
    codes = [str(code) for code in Locale.parse("en").languages]
    return frozenset(code for code in codes if re.fullmatch("[a-z]{2}", code))


def parse_service(text: str) -> Service:
    word = text.strip().lower()
    found = SERVICE_ALIASES.get(word)
    if found is not None:
        return found
    try:
        return Service(word)
    except ValueError:
        raise FieldError(
            _("{word} is not a service; the services are {services}").format(
                word=quote(text, as_code=True), services=", ".join(Service)
            )
        ) from None


def parse_country(text: str) -> str:
    code = text.strip().upper()
    if code not in countries():
        raise FieldError(
            _("{word} is not a country code; write it as ISO 3166 has it, e.g. BR or PT").format(
                word=quote(text, as_code=True)
            )
        )
    return code


def parse_language(text: str) -> str:
    code = text.strip().lower()
    if code not in languages():
        raise FieldError(
            _("{word} is not a language code; write it as ISO 639-1 has it, e.g. pt or en").format(
                word=quote(text, as_code=True)
            )
        )
    return code


def parse_list(text: str, parse: Any) -> tuple[str, ...]:
    """`BR,PT` -> ("BR", "PT"): each checked, in order, without repeats."""
    codes: list[str] = []
    for part in text.split(","):
        if part.strip():
            code = parse(part)
            if code not in codes:
                codes.append(code)
    if len(codes) > MAX_DECLARED:
        raise FieldError(_("give at most {n} codes").format(n=MAX_DECLARED))
    return tuple(codes)


def country_name(code: str, locale: Locale) -> str:
    """`Brazil (BR)` in the reader's language."""
    name = locale.territories.get(code)
    return code if name is None else f"{name} ({code})"


def language_name(code: str, locale: Locale) -> str:
    name = locale.languages.get(code)
    return code if name is None else f"{name} ({code})"


# Expertise ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Certification:
    service: Service
    on: date
    by: str


@dataclass(frozen=True, slots=True)
class Expertise:
    """A partner's certified services and the countries and languages it serves."""

    partner: str
    certified: tuple[Certification, ...] = ()
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    def services(self) -> frozenset[Service]:
        return frozenset(cert.service for cert in self.certified)

    def to_doc(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "certified": [
                {"service": c.service.value, "on": c.on.isoformat(), "by": c.by}
                for c in self.certified
            ],
            "countries": list(self.countries),
            "languages": list(self.languages),
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Expertise:
        read = DocReader(doc, f"expertise {doc.get('partner')!r}")
        certified = []
        for index, item in enumerate(read.get("certified", list)):
            entry = DocReader.of(item, f"{read.where}, certification {index + 1}")
            certified.append(
                Certification(
                    entry.enum("service", Service), entry.required_day("on"), entry.get("by", str)
                )
            )
        found = []
        for key, valid in (("countries", countries()), ("languages", languages())):
            codes = read.get(key, list)
            if not all(isinstance(code, str) and code in valid for code in codes):
                raise ValueError(f"{read.where}: {key} must be ISO codes")
            found.append(tuple(codes))
        return cls(read.get("partner", str), tuple(certified), found[0], found[1])


def certify(
    partner: Partner, expertise: Expertise, service: Service, on: date, by: str, today: date
) -> Expertise:
    """The expertise with `service` certified on `on` (a certification again replaces the
    earlier one)."""
    if partner.status not in (Status.ONBOARDING, Status.ACTIVE, Status.SUSPENDED):
        raise RuleError(
            _("{company} is not in the program: only its partners are certified.").format(
                company=quote(partner.company)
            )
        )
    offered = SERVICES_BY_TYPE[partner.type]
    if service not in offered:
        raise RuleError(
            _("{company} is a {type} partner, which offers {services}; not {service}.").format(
                company=quote(partner.company),
                type=partner.type.value,
                services=", ".join(offered),
                service=service.value,
            )
        )
    if on > today:
        raise FieldError(_("on= must not be in the future"))
    kept = tuple(cert for cert in expertise.certified if cert.service is not service)
    ordered = sorted(
        (*kept, Certification(service, on, by)), key=lambda c: list(Service).index(c.service)
    )
    return replace(expertise, certified=tuple(ordered))


def expertise_lines(expertise: Expertise, locale: Locale) -> list[str]:
    """/status's lines: the certified services, the countries and languages served."""
    lines = []
    if expertise.certified:
        lines.append(
            _("Certified for: {services}.").format(
                services=", ".join(
                    f"{c.service.value} ({c.on.isoformat()})" for c in expertise.certified
                )
            )
        )
    if expertise.countries or expertise.languages:
        lines.append(
            _("Serves countries: {countries}; languages: {languages}.").format(
                countries=", ".join(country_name(c, locale) for c in expertise.countries) or "-",
                languages=", ".join(language_name(c, locale) for c in expertise.languages) or "-",
            )
        )
    return lines


# Referrals ---------------------------------------------------------------------------------


class ReferralState(StrEnum):
    NEW = "new"  # waiting for the manager to pick a partner
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WON = "won"
    LOST = "lost"


OPEN = frozenset({ReferralState.OFFERED, ReferralState.ACCEPTED})
CLOSED = frozenset({ReferralState.WON, ReferralState.LOST})
REFERRAL_ID = re.compile(r"[Rr]-([1-9][0-9]{0,8})\Z")
STATE_NAMES: Mapping[ReferralState, str] = {
    # TRANSLATORS: a referral's state: waiting for the account manager to pick a partner
    ReferralState.NEW: N_("new"),
    # TRANSLATORS: a referral's state: offered to a partner, waiting for its answer
    ReferralState.OFFERED: N_("offered"),
    ReferralState.ACCEPTED: N_("accepted"),
    ReferralState.DECLINED: N_("declined"),
    # TRANSLATORS: a referral's state: not answered in time
    ReferralState.EXPIRED: N_("expired"),
    # TRANSLATORS: a referral's state: the partner closed the deal
    ReferralState.WON: N_("won"),
    # TRANSLATORS: a referral's state: the client was lost
    ReferralState.LOST: N_("lost"),
}


def parse_referral_id(text: str) -> str:
    match = REFERRAL_ID.fullmatch(text.strip())
    if match is None:
        raise FieldError(
            _("{word} is not a referral id; they look like R-12").format(
                word=quote(text, as_code=True)
            )
        )
    return f"R-{match.group(1)}"


@dataclass(frozen=True, slots=True)
class Offer:
    partner: str
    at: datetime
    outcome: str | None = None  # accepted, declined, expired, withdrawn


@dataclass(frozen=True, slots=True)
class Referral:
    id: str
    client: str
    country: str
    language: str
    need: Service
    by: str  # the manager who recorded it
    at: datetime
    state: ReferralState = ReferralState.NEW
    amount: Decimal | None = None
    note: str | None = None
    offers: tuple[Offer, ...] = ()
    closed_in: str | None = None  # won: the report month (YYYY-MM) of the deal

    @property
    def number(self) -> int:
        return int(self.id[2:])

    @property
    def partner(self) -> str | None:
        """The partner it is (or was last) offered to."""
        return self.offers[-1].partner if self.offers else None

    @property
    def tried(self) -> frozenset[str]:
        return frozenset(offer.partner for offer in self.offers)

    def offered_since(self) -> datetime | None:
        return self.offers[-1].at if self.state is ReferralState.OFFERED and self.offers else None

    def to_doc(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "client": self.client,
            "country": self.country,
            "language": self.language,
            "need": self.need.value,
            "by": self.by,
            "at": self.at.isoformat(),
            "state": self.state.value,
            "amount": None if self.amount is None else money_doc(self.amount),
            "note": self.note,
            "offers": [
                {"partner": o.partner, "at": o.at.isoformat(), "outcome": o.outcome}
                for o in self.offers
            ],
            "closed_in": self.closed_in,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Referral:
        read = DocReader(doc, f"referral {doc.get('id')!r}")
        ident = read.get("id", str)
        if REFERRAL_ID.fullmatch(ident) is None or not ident.startswith("R-"):
            raise ValueError(f"{read.where}: id must be R-<n>")
        offers = []
        for index, item in enumerate(read.get("offers", list)):
            entry = DocReader.of(item, f"{read.where}, offer {index + 1}")
            offers.append(
                Offer(entry.get("partner", str), entry.time("at"), entry.optional("outcome", str))
            )
        amount = read.optional("amount", str)
        state = read.enum("state", ReferralState)
        if state is not ReferralState.NEW and not offers and state is not ReferralState.LOST:
            raise ValueError(f"{read.where}: a referral {state} must have been offered")
        return cls(
            id=ident,
            client=read.get("client", str),
            country=read.get("country", str),
            language=read.get("language", str),
            need=read.enum("need", Service),
            by=read.get("by", str),
            at=read.time("at"),
            state=state,
            amount=None if amount is None else read.build(Decimal, amount),
            note=read.optional("note", str),
            offers=tuple(offers),
            closed_in=read.optional("closed_in", str),
        )


def _one_line(value: str, what: str, most: int) -> str:
    text = " ".join(value.split())
    if len(text) > most:
        raise FieldError(_("{what}= must be at most {n} characters").format(what=what, n=most))
    return text


REFER_OPTIONS = ("client", "country", "language", "need", "amount", "note")


def new_referral(number: int, options: Mapping[str, str], by: str, now: datetime) -> Referral:
    """A referral from `/refer client= country= language= need= [amount=] [note=]`."""
    for key in options:
        if key not in REFER_OPTIONS:
            raise FieldError(
                _("there is no {key}= for a referral; it takes {takes}").format(
                    key=quote(key, as_code=True), takes=", ".join(f"{k}=" for k in REFER_OPTIONS)
                )
            )
    for key in REFER_OPTIONS[:4]:
        if not options.get(key, "").strip():
            raise FieldError(_("{key}= is required").format(key=key))
    client = _one_line(options["client"], "client", CLIENT_MAX)
    note = _one_line(options["note"], "note", NOTE_MAX) if "note" in options else None
    amount = parse_amount(options["amount"]) if options.get("amount", "").strip() else None
    return Referral(
        id=f"R-{number}",
        client=client,
        country=parse_country(options["country"]),
        language=parse_language(options["language"]),
        need=parse_service(options["need"]),
        by=by,
        at=now,
        amount=amount,
        note=note or None,
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A partner as the matching sees it."""

    partner: Partner
    expertise: Expertise
    open_referrals: int
    late_reports: bool


def why_not(referral: Referral, candidate: Candidate, *, named: bool = False) -> str | None:
    """Why the candidate cannot be offered the referral (None: it can). A partner the
    manager `named` needs only to be active and certified for the service: the country,
    the language and its reports are the manager's to weigh."""
    partner, company = candidate.partner, quote(candidate.partner.company)
    if partner.status is not Status.ACTIVE:
        return _("{company} is {status}: only active partners receive referrals.").format(
            company=company, status=partner.status.value
        )
    if referral.need not in candidate.expertise.services():
        return _("{company} is not certified for {service}.").format(
            company=company, service=referral.need.value
        )
    if named:
        return None
    if referral.country not in candidate.expertise.countries:
        return _("{company} does not serve {country}.").format(
            company=company, country=referral.country
        )
    if referral.language not in candidate.expertise.languages:
        return _("{company} does not serve clients in {language}.").format(
            company=company, language=referral.language
        )
    if candidate.late_reports:
        return _("{company} is late with a monthly report.").format(company=company)
    return None


def matches(referral: Referral, candidates: Sequence[Candidate]) -> list[Candidate]:
    """The partners the referral may go to, best first; none it was offered already."""
    fit = [
        c for c in candidates if c.partner.id not in referral.tried and why_not(referral, c) is None
    ]
    return sorted(fit, key=lambda c: (c.open_referrals, c.partner.id))


def offer(referral: Referral, candidate: Candidate, now: datetime) -> Referral:
    """The referral offered to `candidate`, the manager's pick."""
    if referral.state in CLOSED:
        raise RuleError(
            _("Referral {id} is {state}: it is closed.").format(
                id=referral.id, state=state_name(referral.state)
            )
        )
    if referral.state in OPEN:
        raise RuleError(
            _("Referral {id} is already {state} to another partner.").format(
                id=referral.id, state=state_name(referral.state)
            )
            if referral.partner != candidate.partner.id
            else _("Referral {id} is already {state} to {company}.").format(
                id=referral.id,
                state=state_name(referral.state),
                company=quote(candidate.partner.company),
            )
        )
    reason = why_not(referral, candidate, named=True)
    if reason is not None:
        raise RuleError(reason)
    return replace(
        referral,
        state=ReferralState.OFFERED,
        offers=(*referral.offers, Offer(candidate.partner.id, now)),
    )


def _check_offered_to(referral: Referral, partner_id: str) -> None:
    if referral.partner != partner_id:
        raise RuleError(_("There is no referral {id} for you.").format(id=referral.id))
    if referral.state is ReferralState.EXPIRED or (
        referral.state is not ReferralState.OFFERED and referral.offers[-1].outcome == "expired"
    ):
        raise RuleError(
            _("Referral {id} expired: it was not answered in time.").format(id=referral.id)
        )
    if referral.state is not ReferralState.OFFERED:
        raise RuleError(
            _("Referral {id} is {state}; it can no longer be answered.").format(
                id=referral.id, state=state_name(referral.state)
            )
        )


def _closing(referral: Referral, outcome: str) -> tuple[Offer, ...]:
    last = replace(referral.offers[-1], outcome=outcome)
    return (*referral.offers[:-1], last)


def accept(referral: Referral, partner_id: str) -> Referral:
    _check_offered_to(referral, partner_id)
    return replace(referral, state=ReferralState.ACCEPTED, offers=_closing(referral, "accepted"))


def pass_on(
    referral: Referral, outcome: str, candidates: Sequence[Candidate], now: datetime
) -> Referral:
    """Declined by the partner (`outcome` "declined") or not answered in time ("expired"):
    offered to the next match, or left `declined` / `expired` when there is none."""
    closed = replace(referral, offers=_closing(referral, outcome))
    following = matches(closed, candidates)
    if following:
        return replace(
            closed,
            state=ReferralState.OFFERED,
            offers=(*closed.offers, Offer(following[0].partner.id, now)),
        )
    return replace(closed, state=ReferralState(outcome))


def decline(referral: Referral, partner_id: str) -> None:
    """Checks that `partner_id` may decline it (then `pass_on(..., "declined", ...)`)."""
    _check_offered_to(referral, partner_id)


def is_due(referral: Referral, now: datetime, hours: int) -> bool:
    """Whether an offer has waited its time without an answer."""
    since = referral.offered_since()
    return since is not None and now - since >= timedelta(hours=hours)


def mark_lost(referral: Referral) -> Referral:
    if referral.state in CLOSED:
        raise RuleError(
            _("Referral {id} is {state}: it is closed.").format(
                id=referral.id, state=state_name(referral.state)
            )
        )
    offers = referral.offers
    if referral.state is ReferralState.OFFERED:
        offers = _closing(referral, "withdrawn")
    return replace(referral, state=ReferralState.LOST, offers=offers)


def check_citable(referral: Referral | None, ref: str, partner_id: str, month: str) -> Referral:
    """The referral a deal `kind=referred ref=R-12` of `partner_id` cites: accepted by that
    partner (or already won by its deal in the same report month, filed again)."""
    if referral is None or partner_id not in referral.tried:
        raise RuleError(_("There is no referral {id} for you.").format(id=ref))
    if referral.partner != partner_id:
        raise RuleError(
            _("Referral {id} is no longer yours: it went to another partner.").format(id=ref)
        )
    if referral.state is ReferralState.WON and referral.closed_in == month:
        return referral
    if referral.state is ReferralState.EXPIRED:
        raise RuleError(_("Referral {id} expired: it was not accepted in time.").format(id=ref))
    if referral.state is not ReferralState.ACCEPTED:
        raise RuleError(
            _("Referral {id} is {state}: a referred deal cites a referral you accepted.").format(
                id=ref, state=state_name(referral.state)
            )
        )
    return referral


def win(referral: Referral, month: str) -> Referral:
    return replace(referral, state=ReferralState.WON, closed_in=month)


def state_name(state: ReferralState) -> str:
    return _(STATE_NAMES[state])


def describe(referral: Referral, company: str | None) -> str:
    """One line of `/referrals`: `R-12 Foo Corp (BR, pt, integrations): offered to Acme`."""
    head = _("{id} {client} ({country}, {language}, {need}): {state}").format(
        id=referral.id,
        client=quote(referral.client),
        country=referral.country,
        language=referral.language,
        need=referral.need.value,
        state=state_name(referral.state),
    )
    if company is not None:
        head += " - " + quote(company)
    return head


# The directory -----------------------------------------------------------------------------


def profile(partner: Partner, expertise: Expertise | None) -> dict[str, Any]:
    """An active partner's public profile for the vendor's website: no contacts, e-mails or
    figures."""
    return {
        "id": partner.id,
        "company": partner.company,
        "type": partner.type.value,
        "country": partner.country,
        "website": partner.website,
        "services": [] if expertise is None else [c.service.value for c in expertise.certified],
        "countries": [] if expertise is None else list(expertise.countries),
        "languages": [] if expertise is None else list(expertise.languages),
    }


def directory(partners: Collection[tuple[Partner, Expertise | None]]) -> list[dict[str, Any]]:
    """The active partners' profiles, by company name."""
    shown = [profile(p, e) for p, e in partners if p.status is Status.ACTIVE]
    return sorted(shown, key=lambda doc: (str(doc["company"]).casefold(), doc["id"]))
