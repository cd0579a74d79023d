"""Turning a chat message into a command invocation with shell-like arguments.

Two forms reach a command: `/name args` and `@bot name args` (the mention form, which works
where the server does not let unknown slash commands through). Names are case-insensitive.
Arguments are words, double quotes keep spaces, and `key=value` words are options.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from i18n import _

NAME = re.compile(r"[a-z][a-z0-9_-]*\Z")
OPTION = re.compile(r"([A-Za-z][A-Za-z0-9_-]*)=(.*)\Z", re.DOTALL)
# Phone keyboards turn " into typographic quotes; treat them as the plain ones.
SMART_QUOTES = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'}
)


class ArgumentError(ValueError):
    """The arguments cannot be read; the message says why, for the user (in their language:
    the arguments are split while the dispatcher speaks it)."""


@dataclass(frozen=True, slots=True)
class Args:
    """A command's arguments: positional words and `key=value` options, in the order typed."""

    tokens: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)

    def rest(self, start: int) -> str:
        """The text of every token from position `start` on (for free text like a reason)."""
        return " ".join(self.tokens[start:])


@dataclass(frozen=True, slots=True)
class Invocation:
    """A command name and its argument text, not yet split (that needs the command's usage)."""

    name: str
    text: str
    mention: bool  # True for the `@bot name` form


def split_arguments(text: str) -> Args:
    """Split `text` into words and options; raises `ArgumentError` on an unclosed quote."""
    lexer = shlex.shlex(text.translate(SMART_QUOTES), posix=True)
    lexer.whitespace_split = True
    lexer.quotes = '"'
    lexer.escapedquotes = '"'
    lexer.commenters = ""
    try:
        tokens = tuple(lexer)
    except ValueError:
        raise ArgumentError(_("a double quote is not closed")) from None
    words: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        match = OPTION.match(token)
        if match is None:
            words.append(token)
            continue
        key = match.group(1).lower()
        if key in options:
            raise ArgumentError(_("{key}= is given twice").format(key=key))
        options[key] = match.group(2)
    return Args(tokens=tokens, words=tuple(words), options=options)


def parse_invocation(text: str, bot_username: str) -> Invocation | None:
    """The command `text` invokes, or None when it is a plain message.

    A mention of the bot always invokes something (`help` when nothing follows), so that
    the sender gets an answer; a slash that starts no command name ("/usr/bin") does not.
    """
    stripped = text.strip()
    handle = f"@{bot_username.lower()}"
    lowered = stripped.lower()
    mention = lowered == handle or lowered.startswith((handle + " ", handle + ":", handle + ","))
    if mention:
        stripped = stripped[len(handle) :].lstrip(" :,\t\n").removeprefix("/")
        if not stripped:
            return Invocation("help", "", mention=True)
    elif stripped.startswith("/") and not stripped[1:2].isspace():
        stripped = stripped[1:]
    else:
        return None
    name, rest = _split_head(stripped)
    if not NAME.match(name) and not mention:
        return None
    return Invocation(name, rest, mention=mention)


def _split_head(text: str) -> tuple[str, str]:
    parts = text.split(maxsplit=1)
    name = parts[0].lower() if parts else ""
    return name, parts[1] if len(parts) > 1 else ""
