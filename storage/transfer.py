"""Reading an export back one document at a time, so that an import needs little memory.

An export is one JSON object, {"version": 1, "<collection>": [doc, ...], ..., "audit":
[entry, ...]}. `read_export` walks its outer object and lists by hand and decodes each
item on its own with the standard JSON decoder, reading the source a chunk at a time.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any, Protocol

from storage.errors import StorageError

_CHUNK = 1 << 16
_NOT_BLANK = re.compile(r"[^ \t\n\r]")
_DECODER = json.JSONDecoder()


class TextSource(Protocol):
    """Where an import reads from: an open text file, `sys.stdin`, `io.StringIO`."""

    def read(self, size: int, /) -> str: ...


class TextSink(Protocol):
    """Where an export writes to: an open text file, `sys.stdout`, `io.StringIO`."""

    def write(self, text: str, /) -> object: ...


async def read_export(source: TextSource) -> AsyncIterator[tuple[str, Any]]:
    """Each (key, item) of an export: ("version", n), then one per document or audit entry."""
    scanner = _Scanner(source)
    await scanner.expect("{")
    if await scanner.peek() == "}":
        await scanner.expect("}")
    else:
        while True:
            name = await scanner.value()
            if not isinstance(name, str):
                raise scanner.error("expected a key")
            await scanner.expect(":")
            if name == "version":
                yield name, await scanner.value()
            else:
                async for item in _items(scanner, name):
                    yield name, item
            if await scanner.expect(",", "}") == "}":
                break
    await scanner.expect("")


async def _items(scanner: _Scanner, name: str) -> AsyncIterator[Any]:
    if await scanner.peek() != "[":
        raise scanner.error(f"expected a list for {name!r}")
    await scanner.expect("[")
    if await scanner.peek() == "]":
        await scanner.expect("]")
        return
    while True:
        yield await scanner.value()
        if await scanner.expect(",", "]") == "]":
            return


class _Scanner:
    """A window on the source text: the part not consumed yet, read on demand."""

    def __init__(self, source: TextSource) -> None:
        self._source = source
        self._text = ""
        self._pos = 0
        self._consumed = 0  # characters dropped before `_text`
        self._eof = False

    def error(self, message: str) -> StorageError:
        return StorageError(f"import: {message} at character {self._consumed + self._pos}")

    async def peek(self) -> str:
        """The next character that is not blank ("" at the end)."""
        while True:
            found = _NOT_BLANK.search(self._text, self._pos)
            self._pos = found.start() if found else len(self._text)
            if self._pos < len(self._text) or not await self._read_more():
                return self._text[self._pos : self._pos + 1]

    async def expect(self, *chars: str) -> str:
        """Consume the next character that is not blank, which must be one of `chars`."""
        char = await self.peek()
        if char not in chars:
            wanted = " or ".join(repr(c) if c else "the end" for c in chars)
            raise self.error(f"expected {wanted}, found {char!r}" if char else f"expected {wanted}")
        self._pos += len(char)
        return char

    async def value(self) -> Any:
        """Decode the JSON value that comes next."""
        await self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as error:
                if self._eof:
                    raise self.error(f"bad JSON ({error.msg})") from error
            except RecursionError:  # the decoder's own limit, about 1,000 levels
                raise self.error("a value nested too deeply") from None
            else:
                # A value that ends the text read so far may go on (a number: 12 of 123).
                if end < len(self._text) or self._eof:
                    self._pos = end
                    return value
            await self._read_more()

    async def _read_more(self) -> bool:
        if self._eof:
            return False
        # Read at least as much as is pending, so that a large item is not decoded anew
        # for every small chunk.
        text = await asyncio.to_thread(self._source.read, max(_CHUNK, len(self._text) - self._pos))
        if not text:
            self._eof = True
            return False
        self._consumed += self._pos
        self._text = self._text[self._pos :] + text
        self._pos = 0
        return True
