"""Deal registration (issue 16, item 4): a prospect in a filed monthly report registers the
client for that partner, and another partner reporting the same client is a conflict for
the account managers to decide. Pure: no I/O; dates come in as arguments.

The rules:

- **The key.** Clients are compared by `normalise`d name: case, accents, punctuation and
  blanks do not count, nor company suffixes at the end (`Ltd`, `Ltda`, `LLC`, `GmbH`,
  `Inc`, `S.A.`, `S.L.`, `Corp`, ...): "Foo Corp", "FOO, Inc." and "Foó S.A." are one
  client, `foo`. A name that is nothing but suffixes keeps its last word ("Inc" is `inc`);
  a name with no letter or digit at all has no key and registers nothing.
- **Registering.** A filing (`/report ... submit`, also a re-filing after a reopen) with a
  prospect for a client that nobody else holds registers it for the filing partner for
  `PARTNERBOT_REGISTRATION_DAYS` days (default 90) from the local day of the filing, that
  day included: filed on 2026-12-02 with 90 days, it holds through 2027-03-01 (`until`).
  The holder's next prospect for the client renews it from that filing. A deal registers
  nothing: a deal is closed business.
- **Expiry.** A registration whose `until` is past simply stops counting (no job): the
  next partner to report the client as a prospect takes it.
- **Conflicts.** Another partner's prospect or deal for a client registered to someone
  (and not expired) leaves the registration as it is; neither partner is told anything of
  the other; the managers get one notice naming both partners and the client, once per
  (holder, other partner, client) whatever the number of entries and filings
  (`Registration.noticed` keeps the pairs told).
- **Award.** `/registration <client> award <partner-id>`: the manager gives the
  registration to a partner (moving it or confirming it) for the configured days from the
  day of the award; the pairs already told are kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from anyascii import anyascii

from workflows.documents import DocReader

DEFAULT_DAYS = 90
# Company suffixes, as the words they become once normalised ("S.A." -> "sa", "S. A." ->
# "s a"); dropped from the end of a name, longest first.
SUFFIXES: frozenset[tuple[str, ...]] = frozenset(
    tuple(suffix.split())
    for suffix in (
        "ltd",
        "ltda",
        "limited",
        "llc",
        "llp",
        "lp",
        "plc",
        "gmbh",
        "ag",
        "kg",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "sa",
        "s a",
        "sas",
        "s a s",
        "sl",
        "s l",
        "srl",
        "s r l",
        "sarl",
        "spa",
        "s p a",
        "bv",
        "b v",
        "nv",
        "n v",
        "pty",
        "me",
        "eireli",
        "epp",
        "sa de cv",
        "s a de c v",
    )
)
_LONGEST_SUFFIX = max(len(suffix) for suffix in SUFFIXES)
# Marks inside an abbreviation or a word: taken out without a break ("S.A." is "sa",
# "O'Brien" is "obrien"); every other character that is not a letter or a digit is a break.
_JOINING = frozenset(".'`")  # after `anyascii`, which writes the typographic ones so
_KEY = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")  # what `normalise` makes


def normalise(name: str) -> str:
    """The client's key: its words in lower-case ASCII (accents dropped, other scripts
    transliterated), punctuation and blanks out, company suffixes dropped from the end;
    "" when it has no letter or digit."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    ascii_text = anyascii(stripped).lower()
    spaced = "".join(
        "" if char in _JOINING else char if char.isascii() and char.isalnum() else " "
        for char in ascii_text
    )
    words = spaced.split()
    while len(words) > 1:
        for size in range(min(_LONGEST_SUFFIX, len(words) - 1), 0, -1):
            if tuple(words[-size:]) in SUFFIXES:
                del words[-size:]
                break
        else:
            break
    return " ".join(words)


def holds_until(filed_on: date, days: int) -> date:
    """The last day a registration made on `filed_on` counts (that day is the first)."""
    return filed_on + timedelta(days=days - 1)


Pair = tuple[str, str]  # (holder, other partner), as told to the managers


@dataclass(frozen=True, slots=True)
class Registration:
    """The client `client` (a `normalise`d name) registered to `partner` from `since`
    through `until`; `name` is the client as the holder wrote it; `awarded_by` the manager
    whose award made it, if one did; `noticed` the pairs the managers were told of."""

    client: str
    name: str
    partner: str
    since: date
    until: date
    awarded_by: str | None = None
    noticed: tuple[Pair, ...] = field(default=())

    def __post_init__(self) -> None:
        if not _KEY.fullmatch(self.client):
            raise ValueError(f"client must be a normalised name, not {self.client!r}")
        if not self.name.strip():
            raise ValueError("name must be the client's name as written")
        if self.until < self.since:
            raise ValueError(f"until {self.until} is before since {self.since}")

    def active(self, today: date) -> bool:
        return today <= self.until

    def to_doc(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "name": self.name,
            "partner": self.partner,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "awarded_by": self.awarded_by,
            "noticed": [list(pair) for pair in self.noticed],
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Registration:
        read = DocReader(doc, f"registration {doc.get('client')!r}")
        pairs = []
        for pair in read.get("noticed", list):
            if not (
                isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
            ):
                raise ValueError(f"{read.where}: noticed must be pairs of partner ids")
            pairs.append((pair[0], pair[1]))
        return read.build(
            cls,
            read.get("client", str),
            read.get("name", str),
            read.get("partner", str),
            read.required_day("since"),
            read.required_day("until"),
            read.optional("awarded_by", str),
            tuple(pairs),
        )


@dataclass(frozen=True, slots=True)
class Reported:
    """A client in a filed report: its name as written, and whether it is a prospect."""

    name: str
    prospect: bool


@dataclass(frozen=True, slots=True)
class Conflict:
    """A client registered to `held.partner` that `other` reported (as `name`): the
    managers are to be told, once."""

    held: Registration
    other: str
    name: str
    prospect: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a filing changes: the registrations to store, the conflicts to tell."""

    changed: tuple[Registration, ...] = ()
    conflicts: tuple[Conflict, ...] = ()


def clients(reported: Iterable[Reported]) -> dict[str, Reported]:
    """The report's clients by key, one each: a prospect rather than a deal, else the first
    written (entries with no key are left out)."""
    found: dict[str, Reported] = {}
    for entry in reported:
        key = normalise(entry.name)
        if key and (key not in found or (entry.prospect and not found[key].prospect)):
            found[key] = entry
    return found


def on_filing(
    partner: str,
    reported: Mapping[str, Reported],
    held: Mapping[str, Registration | None],
    filed_on: date,
    days: int,
) -> Outcome:
    """The registrations and conflicts a filing by `partner` makes: `reported` its clients
    by key (`clients`), `held` what is stored for each of those keys."""
    changed: list[Registration] = []
    conflicts: list[Conflict] = []
    for key, entry in sorted(reported.items()):
        current = held.get(key)
        if current is not None and current.partner != partner and current.active(filed_on):
            pair = (current.partner, partner)
            if pair not in current.noticed:
                conflicts.append(Conflict(current, partner, entry.name, entry.prospect))
                changed.append(replace(current, noticed=(*current.noticed, pair)))
            continue
        if not entry.prospect:
            continue
        noticed = () if current is None else current.noticed
        changed.append(
            Registration(
                key, entry.name, partner, filed_on, holds_until(filed_on, days), None, noticed
            )
        )
    return Outcome(tuple(changed), tuple(conflicts))


def award(current: Registration, partner: str, by: str, today: date, days: int) -> Registration:
    """The registration given by a manager's award to `partner` (moved or confirmed), for
    `days` days from `today`."""
    return replace(
        current, partner=partner, since=today, until=holds_until(today, days), awarded_by=by
    )


def own(registrations: Sequence[Registration], partner: str, today: date) -> list[Registration]:
    """The partner's registrations that count on `today`, by client."""
    return sorted(
        (r for r in registrations if r.partner == partner and r.active(today)),
        key=lambda r: r.client,
    )
