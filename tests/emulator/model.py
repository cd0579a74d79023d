"""Data model of the emulator: ids, timestamps, users, rooms, uploads and wire encodings.

Documents are kept the way Rocket.Chat keeps them in MongoDB: plain dicts whose dates are
`When` values.  They are turned into JSON two ways, as the server does:

* REST (`to_rest`): Express `JSON.stringify`, so a date is an ISO string with milliseconds
  and a `Z` (`2024-05-01T10:00:00.000Z`).
* DDP (`to_ejson`): Meteor EJSON, so a date is `{"$date": <ms since epoch>}`.
"""

from __future__ import annotations

import copy
import math
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote

JsonDict = dict[str, Any]
RoomKind = Literal["c", "p", "d"]

# Meteor's Random.id() alphabet (packages/random: UNMISTAKABLE_CHARS): no 0/1/I/O/l.
_ID_CHARS = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
_SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# Characters JavaScript's encodeURI leaves alone (besides letters, digits and -_.~).
_ENCODE_URI_SAFE = ";,/?:@&=+$!*'()#"

# Accounts_LoginExpiration default: 90 days (apps/meteor/server/settings/accounts.ts).
TOKEN_LIFETIME_MS = 90 * 24 * 3600 * 1000


class Ids:
    """Random ids shaped like Meteor's: 17-char `Random.id()`, 43-char `Random.secret()`."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed) if seed is not None else random.SystemRandom()

    def id(self, length: int = 17) -> str:
        return "".join(self._rng.choice(_ID_CHARS) for _ in range(length))

    def secret(self) -> str:
        return "".join(self._rng.choice(_SECRET_CHARS) for _ in range(43))


@dataclass(frozen=True, order=True)
class When:
    """A date as MongoDB stores it: milliseconds since the epoch, UTC."""

    ms: int

    def iso(self) -> str:
        moment = datetime.fromtimestamp(self.ms / 1000, tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.ms % 1000:03d}Z"

    def plus_ms(self, delta: int) -> When:
        return When(self.ms + delta)


def to_rest(value: Any) -> Any:
    """A deep copy of a document as the REST API serializes it (dates as ISO strings)."""
    if isinstance(value, When):
        return value.iso()
    if isinstance(value, dict):
        return {key: to_rest(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_rest(item) for item in value]
    return copy.copy(value)


def rest_doc(doc: JsonDict) -> JsonDict:
    """`to_rest` for a whole document."""
    converted: JsonDict = to_rest(doc)
    return converted


def to_ejson(value: Any) -> Any:
    """A deep copy of a document as DDP serializes it (dates as `{"$date": ms}`)."""
    if isinstance(value, When):
        return {"$date": value.ms}
    if isinstance(value, dict):
        return {key: to_ejson(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_ejson(item) for item in value]
    return copy.copy(value)


_ISO_DATE = re.compile(
    r"^(?P<y>[+-]\d{6}|\d{4})(?:-(?P<mo>\d{2})(?:-(?P<d>\d{2}))?)?"
    r"(?:T(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?$"
)


def parse_js_date(text: str) -> When | None:
    """`new Date(text)` for the ISO 8601 forms; None stands for JavaScript's Invalid Date.

    Simplified: V8 also accepts RFC 2822 and other legacy forms, and reads a date-time without
    an offset as local time; here only ISO forms are accepted and local time is UTC (as in the
    official Docker image).
    """
    match = _ISO_DATE.match(text.strip())
    if not match:
        return None
    parts = match.groupdict()
    try:
        moment = datetime(
            int(parts["y"]),
            int(parts["mo"] or 1),
            int(parts["d"] or 1),
            int(parts["h"] or 0),
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    millis = int((parts["f"] or "0").ljust(3, "0")[:3])
    offset = parts["tz"]
    shift = 0
    if offset and offset != "Z":
        sign = -1 if offset[0] == "+" else 1
        shift = sign * (int(offset[1:3]) * 60 + int(offset[4:6])) * 60_000
    return When(int(moment.timestamp()) * 1000 + millis + shift)


def mongo_date(text: str) -> When:
    """What MongoDB compares against when the server passes `new Date(text)` into a query.

    An Invalid Date reaches the driver as NaN; js-bson's `Long.fromNumber(NaN)` is 0, so it
    behaves as the epoch.  Inferred from the driver's code, not checked against a live server.
    """
    parsed = parse_js_date(text)
    return parsed if parsed is not None else When(0)


def js_parse_int(text: str) -> int | None:
    """JavaScript `parseInt(String(x))`: leading digits only; None for NaN."""
    match = re.match(r"^\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else None


def seconds_up(ms: float) -> int:
    """`Math.ceil(ms / 1000)` as used in the rate limiters' messages."""
    return math.ceil(ms / 1000)


@dataclass
class Token:
    """A resume token (`services.resume.loginTokens`): stored hashed on a real server."""

    token: str
    when: When

    @property
    def expires(self) -> When:
        return self.when.plus_ms(TOKEN_LIFETIME_MS)


@dataclass
class User:
    id: str
    username: str
    name: str
    password: str
    roles: list[str]
    created: When
    tokens: list[Token] = field(default_factory=list)
    active: bool = True
    email: str = ""
    # The user's own choice (`users.setPreferences`, `language`); "" for none. The server
    # keeps it but `users.info` does not show it (`endpoints.py`).
    language: str = ""

    def __post_init__(self) -> None:
        if not self.email:
            self.email = f"{self.username}@example.com"

    def brief(self) -> JsonDict:
        """The `u` of a message: `{_id, username, name}`."""
        return {"_id": self.id, "username": self.username, "name": self.name}


@dataclass
class Membership:
    """A subscription document's state for one member of one room."""

    id: str
    joined: When
    updated: When
    roles: list[str] = field(default_factory=list)


@dataclass
class Room:
    id: str
    kind: RoomKind
    name: str | None
    created: When
    creator: str | None
    members: dict[str, Membership] = field(default_factory=dict)
    read_only: bool = False
    updated: When = When(0)
    message_count: int = 0
    last_message_at: When | None = None


@dataclass
class Upload:
    """A file sent through `rooms.media`/`rooms.upload` (the `rocketchat_uploads` record)."""

    id: str
    rid: str
    user_id: str
    name: str
    content_type: str
    data: bytes
    uploaded: When
    description: str | None = None
    confirmed: bool = False
    message_id: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def url(self) -> str:
        # FileUpload.getPath(`${_id}/${encodeURI(name)}`) -> /file-upload/<id>/<name>
        return f"/file-upload/{self.id}/{quote(self.name, safe=_ENCODE_URI_SAFE)}"
