"""How a collection's documents are keyed, sharded and named on disk."""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

#: Shards of a collection that is not owned: documents are spread over this many files.
BUCKETS = 64
#: Names a collection cannot take: they are directories or keys of the store itself.
RESERVED = frozenset({"audit", "journal", "version"})

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_FILE_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")
_ALL_FILE_SAFE = re.compile(r"[a-z0-9_-]*")
_PLAIN = frozenset("%/")  # key parts without these are their own escaped form
_MAX_STEM = 200


@dataclass(frozen=True)
class Collection:
    """A named set of documents, each identified by the values of its `key` fields.

    In an `owned` collection the first key field names the owner (a partner id, say) and
    all of one owner's documents live in one shard, loaded when first needed. The other
    collections are kept in memory, spread over `BUCKETS` shards by a hash of the key.
    """

    name: str
    key: tuple[str, ...]
    owned: bool = False

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name) or self.name in RESERVED:
            raise ValueError(f"bad collection name {self.name!r}")
        if not self.key or len(set(self.key)) != len(self.key):
            raise ValueError(f"collection {self.name}: key fields must be distinct, got {self.key}")

    def key_of(self, doc: Mapping[str, Any]) -> str:
        """The key of `doc`: its key fields' values joined by "/"."""
        missing = [field for field in self.key if field not in doc]
        if missing:
            raise ValueError(f"{self.name} document has no {', '.join(missing)} (its key)")
        return self.make_key([doc[field] for field in self.key])

    def is_key_of(self, key: str, doc: Mapping[str, Any]) -> bool:
        """Whether `key` is the key of `doc` (quicker than comparing with `key_of`)."""
        parts = [doc.get(field) for field in self.key]
        plain = [
            part for part in parts if isinstance(part, str) and part and _PLAIN.isdisjoint(part)
        ]
        if len(plain) == len(parts):
            return "/".join(plain) == key
        try:
            return self.key_of(doc) == key
        except ValueError:
            return False

    def make_key(self, parts: Sequence[object]) -> str:
        """The key made of one value per key field (each a non-empty string)."""
        if len(parts) != len(self.key):
            raise ValueError(f"{self.name} is keyed by {self.key}, got {tuple(parts)}")
        escaped = [self._part(field, part) for field, part in zip(self.key, parts, strict=True)]
        return "/".join(escaped)

    def owner_shard(self, owner: object) -> str:
        """The shard holding `owner`'s documents (owned collections only)."""
        if not self.owned:
            raise ValueError(f"{self.name} has no owners")
        return self._part(self.key[0], owner)

    def _part(self, field: str, value: object) -> str:
        if not isinstance(value, str) or not value:
            raise ValueError(f"{self.name}.{field} must be a non-empty string, got {value!r}")
        part = _escape(value)
        if self.owned and field == self.key[0] and len(file_stem(part)) > _MAX_STEM:
            raise ValueError(f"{self.name}.{field} is too long: {value!r}")
        return part

    def shard_of(self, key: str) -> str:
        """The name of the shard that holds the document with this key."""
        if self.owned:
            return key.split("/", 1)[0]
        return f"{zlib.crc32(key.encode()) % BUCKETS:02x}"

    def shard_names(self) -> list[str]:
        """All shard names of a collection that is not owned."""
        return [f"{bucket:02x}" for bucket in range(BUCKETS)]


def file_stem(shard: str) -> str:
    """A file name for a shard: lower-case letters, digits, "_" and "-" kept, the rest %XX."""
    if _ALL_FILE_SAFE.fullmatch(shard):
        return shard
    return "".join(
        char if char in _FILE_SAFE else "".join(f"%{byte:02X}" for byte in char.encode())
        for char in shard
    )


def shard_of_stem(stem: str) -> str:
    """The shard name a file name stands for (the inverse of `file_stem`)."""
    return unquote(stem, errors="strict")


def _escape(part: str) -> str:
    """A key part with "%" and "/" escaped, so that joined keys split back unambiguously."""
    return part.replace("%", "%25").replace("/", "%2F")
