"""Checking an export before `bot.py import` loads it, so that what is loaded is what the
bot could have written.

Every document is read by the typed reader the bot itself reads it with (`Partner.from_doc`,
`Report.from_doc`, `Review.from_doc`, `FeeRecord.from_doc`, `rates_from_doc`, ...; the
bot's own bookkeeping by the fields its runner and dispatcher use), and the references
between documents are checked: each `members` entry is a contact of the partner it names
and each contact of a partner has its `members` entry (the index that says who may read
which partner), nobody is a contact of two partners, and reports, reviews, fees, terms,
filings, registrations and reminder marks belong to a partner in the file. A refusal is
one line naming the document and the field; the check runs before the store is opened,
so a refused file writes nothing.

Not a command module (it has no SPEC): `bot.py import` calls `check_export`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from commands import figures
from commands.announce import ANNOUNCEMENTS
from commands.bulletin import KINDS as BULLETIN_KINDS
from commands.channel import CHANNEL
from commands.channel import STATES as CHANNEL_STATES
from commands.channel import UNTRUSTED as UNTRUSTED_CHANNEL
from commands.materials import KINDS as MATERIAL_KINDS
from commands.materials import MATERIALS, url_problem
from commands.program import MEMBERS, PARTNERS
from commands.quarterly import MANAGERS, POSTS
from commands.registration import REGISTRATIONS
from commands.reminding import SENT
from commands.report import FILINGS, REPORTS, TERMS
from engine.framework import CONVERSATIONS
from engine.languages import KINDS as LANGUAGE_KINDS
from engine.languages import LANGUAGES
from engine.languages import PARTNER as PARTNER_LANGUAGE
from engine.outbox import OUTBOX
from i18n import LANGUAGES as OFFERED_LANGUAGES
from storage import EXPORT_VERSION, SCHEMA, StorageError, TextSource
from storage.transfer import read_export
from workflows.compliance import FeeRecord, GoalProposal, GoalRevision, Review
from workflows.documents import DocReader
from workflows.onboarding import Partner
from workflows.onboarding.fields import SLUG_PATTERN
from workflows.referrals import Expertise, Referral
from workflows.registration import Registration
from workflows.reminders import DIGEST, Kind
from workflows.reporting import Report, parse_month, rates_from_doc
from workflows.stats import MonthFigures, QuarterRow, Standing, parse_quarter

MAX_DEPTH = 64  # nesting of one document: the bot's own go 5 deep
MAX_MESSAGE = 300  # characters of a refusal, which quotes values

REVIEWS, FEES, SEEN, CURSORS = "reviews", "fees", "seen", "cursors"
AUDIT = "audit"


class ImportRefused(ValueError):
    """The file is not one the bot could have written; one line saying where and why."""


def _partner(doc: Mapping[str, Any]) -> str:
    partner = Partner.from_doc(doc)
    if not SLUG_PATTERN.fullmatch(partner.id):
        raise ValueError(f"partner {partner.id!r}: id must be a partner id such as acme-hosting")
    return partner.id


def _member(doc: Mapping[str, Any]) -> str:
    read = DocReader(doc, f"member {doc.get('username')!r}")
    username = read.get("username", str)
    if not username or username != username.lower():
        raise ValueError(f"{read.where}: username must be a lower-case username")
    return read.get("partner", str)


def _terms(doc: Mapping[str, Any]) -> str:
    read = DocReader(doc, f"terms {doc.get('partner')!r}")
    partner = read.get("partner", str)
    rates_from_doc(read.get("rates", dict), read.where)
    return partner


def _report(doc: Mapping[str, Any]) -> str:
    return Report.from_doc(doc).partner


def _filing(doc: Mapping[str, Any]) -> str:
    read = DocReader(doc, f"filings {doc.get('partner')!r}")
    months = read.get("months", list)
    for month in months:
        if not isinstance(month, str):
            raise ValueError(f"{read.where}: months must be YYYY-MM, not {month!r}")
        parse_month(month, f"{read.where}: each of months")
    read.optional("complete", bool)
    return read.get("partner", str)


def _registration(doc: Mapping[str, Any]) -> str:
    return Registration.from_doc(doc).partner


def _review(doc: Mapping[str, Any]) -> str:
    return Review.from_doc(doc).partner


def _goals(doc: Mapping[str, Any]) -> str:
    return GoalRevision.from_doc(doc).partner


def _goal_proposal(doc: Mapping[str, Any]) -> str:
    return GoalProposal.from_doc(doc).partner


def _fee(doc: Mapping[str, Any]) -> str:
    year = doc.get("year")
    if not (isinstance(year, str) and len(year) == 4 and year.isdigit()):
        raise ValueError(f'fee {doc.get("partner")!r} {year!r}: year must be a year like "2026"')
    return FeeRecord.from_doc(doc).partner


_REMINDER_KINDS = frozenset(
    {*(kind.value for kind in Kind), DIGEST, *BULLETIN_KINDS, UNTRUSTED_CHANNEL}
)


def _sent(doc: Mapping[str, Any]) -> str | None:
    read = DocReader(doc, f"sent {doc.get('partner')!r} {doc.get('kind')!r}")
    partner = read.get("partner", str)
    if read.get("kind", str) not in _REMINDER_KINDS:
        raise ValueError(f"{read.where}: kind must be one of {', '.join(sorted(_REMINDER_KINDS))}")
    read.get("period", str)
    read.time("at")
    # "@<manager>": a digest's mark; "#<channel>": a partners' channel not used
    return None if partner.startswith(("@", "#")) else partner


def _language(doc: Mapping[str, Any]) -> str | None:
    read = DocReader(doc, f"language {doc.get('kind')!r} {doc.get('name')!r}")
    kind = read.get("kind", str)
    if kind not in LANGUAGE_KINDS:
        raise ValueError(f"{read.where}: kind must be one of {', '.join(LANGUAGE_KINDS)}")
    name = read.get("name", str)
    if not name:
        raise ValueError(f"{read.where}: name must be a username or a partner id")
    if read.get("language", str) not in OFFERED_LANGUAGES:
        raise ValueError(f"{read.where}: language must be one of {', '.join(OFFERED_LANGUAGES)}")
    read.time("at")
    return name if kind == PARTNER_LANGUAGE else None


def _expertise(doc: Mapping[str, Any]) -> str:
    return Expertise.from_doc(doc).partner


def _referral(doc: Mapping[str, Any]) -> None:
    Referral.from_doc(doc)  # its partners may since have been removed: not a reference


def _sequence(doc: Mapping[str, Any]) -> None:
    read = DocReader(doc, f"sequence {doc.get('name')!r}")
    if read.get("name", str) != "referrals":
        raise ValueError(f"{read.where}: name must be referrals")
    if read.get("last", int) < 1:
        raise ValueError(f"{read.where}: last must be a positive number")


def _seen(doc: Mapping[str, Any]) -> None:
    read = DocReader(doc, f"seen {doc.get('id')!r}")
    for key in ("id", "room", "status"):
        read.get(key, str)
    read.time("at")


def _outbox(doc: Mapping[str, Any]) -> None:
    read = DocReader(doc, f"outbox {doc.get('id')!r}")
    for key in ("id", "room", "text"):
        read.get(key, str)
    read.get("order", int)
    read.optional("thread", str)
    if not all(isinstance(item, dict) for item in read.get("attachments", list)):
        raise ValueError(f"{read.where}: attachments must be objects")
    read.time("at")


def _conversation(doc: Mapping[str, Any]) -> None:
    read = DocReader(doc, f"conversation {doc.get('room')!r} {doc.get('user')!r}")
    for key in ("room", "user", "command"):
        read.get(key, str)
    read.get("state", dict)
    read.time("at")


def _cursor(doc: Mapping[str, Any]) -> None:
    read = DocReader(doc, f"cursor {doc.get('room')!r}")
    read.get("room", str)
    read.time("ts")


def _stats_month(doc: Mapping[str, Any]) -> str:
    return MonthFigures.from_doc(doc).partner


def _stats_quarter(doc: Mapping[str, Any]) -> str:
    return QuarterRow.from_doc(doc).partner


def _stats_partner(doc: Mapping[str, Any]) -> str | None:
    partner = Standing.from_doc(doc).partner
    return None if partner == figures.BUILT else partner


def _stats_post(doc: Mapping[str, Any]) -> str | None:
    read = DocReader(doc, f"stats_posts {doc.get('quarter')!r} {doc.get('audience')!r}")
    parse_quarter(read.get("quarter", str))
    read.time("at")
    audience = read.get("audience", str)
    return None if audience == MANAGERS else audience


def _channel(doc: Mapping[str, Any]) -> str | None:
    read = DocReader(doc, f"channel {doc.get('username')!r}")
    username = read.get("username", str)
    if username != username.casefold() or not username:
        raise ValueError(f"{read.where}: username must be a username in lower case")
    if read.get("state", str) not in CHANNEL_STATES:
        raise ValueError(f"{read.where}: state must be one of {', '.join(CHANNEL_STATES)}")
    read.time("at")
    return read.optional("partner", str)


def _numbered(read: DocReader, prefix: str) -> None:
    number = read.get("id", str).removeprefix(prefix)
    if not number.isdigit():
        raise ValueError(f"{read.where}: id must be like {prefix}1")
    read.get("by", str)
    read.time("at")


def _announcement(doc: Mapping[str, Any]) -> None:
    read = DocReader(doc, f"announcement {doc.get('id')!r}")
    _numbered(read, "A-")
    if not read.get("text", str).strip():
        raise ValueError(f"{read.where}: text must not be empty")


def _material(doc: Mapping[str, Any]) -> None:
    read = DocReader(doc, f"material {doc.get('id')!r}")
    _numbered(read, "M-")
    if read.get("kind", str) not in MATERIAL_KINDS:
        raise ValueError(f"{read.where}: kind must be one of {', '.join(MATERIAL_KINDS)}")
    if not read.get("title", str).strip():
        raise ValueError(f"{read.where}: title must not be empty")
    if url_problem(read.get("url", str)) is not None:
        raise ValueError(f"{read.where}: url must be an http(s) address")


#: Each collection's check: it raises ValueError naming the field, and returns the partner
#: id the document belongs to, if any.
CHECKS: dict[str, Callable[[Mapping[str, Any]], str | None]] = {
    PARTNERS: _partner,
    MEMBERS: _member,
    TERMS: _terms,
    REPORTS: _report,
    FILINGS: _filing,
    REGISTRATIONS: _registration,
    REVIEWS: _review,
    FEES: _fee,
    "goals": _goals,
    "goal_proposals": _goal_proposal,
    SENT: _sent,
    LANGUAGES: _language,
    "expertise": _expertise,
    "referrals": _referral,
    "sequences": _sequence,
    SEEN: _seen,
    OUTBOX: _outbox,
    CONVERSATIONS: _conversation,
    CURSORS: _cursor,
    figures.MONTHS: _stats_month,
    figures.QUARTERS: _stats_quarter,
    figures.STANDINGS: _stats_partner,
    POSTS: _stats_post,
    CHANNEL: _channel,
    ANNOUNCEMENTS: _announcement,
    MATERIALS: _material,
}


def _audit_entry(doc: Mapping[str, Any]) -> int:
    read = DocReader(doc, f"audit entry {doc.get('seq')!r}")
    seq = read.get("seq", int)
    read.time("at")
    for key in ("who", "what", "collection", "key"):
        read.get(key, str)
    for key in ("before", "after"):
        read.optional(key, dict)
    return seq


class ExportCheck:
    """Reads an export's items one at a time (`item`), then checks the references
    between them (`finish`); each raises `ImportRefused`."""

    def __init__(self) -> None:
        self._collections = {collection.name: collection for collection in SCHEMA}
        self._counts: dict[str, int] = {}
        self._keys: dict[str, set[str]] = {}
        self._version: object = None
        self._audit_seq = 0
        self._contacts: dict[str, tuple[str, ...]] = {}  # partner id -> contacts, lower case
        self._partner_index: dict[str, int] = {}
        self._contact_of: dict[str, str] = {}  # username -> partner id
        self._members: dict[str, tuple[str, int]] = {}  # username -> (partner id, index)
        self._first_use: dict[str, tuple[str, int]] = {}  # partner id -> (collection, index)

    def item(self, name: str, item: Any) -> None:
        if name == "version":
            if item != EXPORT_VERSION:
                raise ImportRefused(f"version {item!r:.40} is not {EXPORT_VERSION}")
            self._version = item
            return
        index = self._counts.get(name, 0)
        self._counts[name] = index + 1
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            raise ImportRefused(_line(f"{where}: must be an object, not {item!r}"))
        if _deeper_than(item, MAX_DEPTH):
            raise ImportRefused(f"{where}: nested more than {MAX_DEPTH} deep")
        if name == AUDIT:
            self._audit(where, item)
            return
        check = CHECKS.get(name)
        collection = self._collections.get(name)
        if check is None or collection is None:
            raise ImportRefused(f"unknown collection {name!r:.60}")
        try:
            key = collection.key_of(item)
            partner = check(item)
        except ValueError as error:
            raise ImportRefused(_line(f"{where}: {error}")) from None
        except (TypeError, KeyError, ArithmeticError, AttributeError) as error:
            raise ImportRefused(_line(f"{where}: not readable: {error!r}")) from None
        keys = self._keys.setdefault(name, set())
        if key in keys:
            raise ImportRefused(_line(f"{where}: {name} {key!r} appears twice"))
        keys.add(key)
        if name == PARTNERS:
            assert partner is not None
            self._partner(where, partner, item, index)
        elif name == MEMBERS:
            assert partner is not None
            self._members[item["username"]] = (partner, index)
        elif partner is not None:
            self._first_use.setdefault(partner, (name, index))

    def finish(self) -> None:
        """The references between the documents read."""
        if self._version is None:
            raise ImportRefused('the "version" is missing')
        for username, (partner, index) in sorted(self._members.items()):
            where = f"{MEMBERS}[{index}] (username {username!r})"
            if partner not in self._contacts:
                raise ImportRefused(_line(f"{where}: partner {partner!r} is not in the file"))
            if username not in self._contacts[partner]:
                raise ImportRefused(
                    _line(f"{where}: partner {partner!r} does not list {username} as a contact")
                )
        for partner, contacts in sorted(self._contacts.items()):
            for username in contacts:
                if self._members.get(username, ("", 0))[0] != partner:
                    raise ImportRefused(
                        _line(
                            f"{PARTNERS}[{self._partner_index[partner]}] (partner {partner!r}):"
                            f" contacts: {username} has no {MEMBERS} entry for {partner}"
                        )
                    )
        for partner, (name, index) in sorted(self._first_use.items()):
            if partner not in self._contacts:
                raise ImportRefused(
                    _line(f"{name}[{index}]: partner {partner!r} is not in the file")
                )

    def _partner(self, where: str, partner: str, doc: Mapping[str, Any], index: int) -> None:
        contacts = tuple(contact.lower() for contact in doc["contacts"])
        for username in contacts:
            other = self._contact_of.get(username)
            if other is not None:
                also = "twice" if other == partner else f"also of partner {other!r}"
                raise ImportRefused(_line(f"{where}: contacts: {username} is a contact {also}"))
            self._contact_of[username] = partner
        self._contacts[partner] = contacts
        self._partner_index[partner] = index

    def _audit(self, where: str, item: Mapping[str, Any]) -> None:
        try:
            seq = _audit_entry(item)
        except ValueError as error:
            raise ImportRefused(_line(f"{where}: {error}")) from None
        if seq < self._audit_seq:
            raise ImportRefused(f"{where}: seq {seq} comes after {self._audit_seq}")
        self._audit_seq = seq


async def check_export(source: TextSource) -> None:
    """Read the whole export in `source` and raise `ImportRefused` at the first thing the
    bot could not have written; nothing is stored."""
    check = ExportCheck()
    try:
        async for name, item in read_export(source):
            check.item(name, item)
    except StorageError as error:  # not JSON, or not an export's shape
        raise ImportRefused(_line(str(error).removeprefix("import: "))) from None
    check.finish()


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether `value` nests objects and lists more than `limit` deep (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _line(message: str) -> str:
    """One line of at most `MAX_MESSAGE` characters."""
    flat = " ".join(message.split())
    return flat if len(flat) <= MAX_MESSAGE else flat[: MAX_MESSAGE - 1] + "…"
