"""Reading the JSON documents the workflows store: typed reads, each failure a ValueError
that names the document and the key (a document that does not read is a bug or a hand
edit, not a user's mistake)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Self, TypeVar

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


class DocReader:
    """Typed reads from a JSON object; `where` says which document, for the errors."""

    def __init__(self, doc: Mapping[str, Any], where: str) -> None:
        self.doc = doc
        self.where = where

    @classmethod
    def of(cls, doc: object, where: str) -> Self:
        if not isinstance(doc, Mapping):
            raise ValueError(f"{where} must be an object")
        return cls(doc, where)

    def get(self, key: str, kind: type[T]) -> T:
        if key not in self.doc:
            raise ValueError(f"{self.where}: {key} is missing")
        value = self.optional(key, kind)
        if value is None:
            raise ValueError(f"{self.where}: {key} must not be null")
        return value

    def optional(self, key: str, kind: type[T]) -> T | None:
        value = self.doc.get(key)
        if value is None:
            return None
        # bool is an int to Python, not to JSON
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{self.where}: {key} must be a {kind.__name__}, not {value!r}")
        return value

    def enum(self, key: str, kind: type[E]) -> E:
        value = self.get(key, str)
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise ValueError(f"{self.where}: {key} must be one of {allowed}") from None

    def time(self, key: str) -> datetime:
        value = self.get(key, str)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{self.where}: {key} must be an ISO time") from None
        if moment.utcoffset() is None:
            raise ValueError(f"{self.where}: {key} must have a time zone")
        return moment

    def day(self, key: str) -> date | None:
        value = self.optional(key, str)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{self.where}: {key} must be an ISO date") from None

    def required_day(self, key: str) -> date:
        day = self.day(key)
        if day is None:
            raise ValueError(f"{self.where}: {key} must not be null")
        return day

    def build(self, kind: Callable[..., T], *values: Any) -> T:
        """`kind(*values)`, its ValueError (a value it does not take) naming where."""
        try:
            return kind(*values)
        except ValueError as error:
            raise ValueError(f"{self.where}: {error}") from None
