"""User text in the bot's messages: shown as typed, never as a mention, a link or markup.

A company named `@all Corp`, goals `@here call me` or a note `[click](https://evil.example)`
echoed as they are would make the bot (which owns the workgroups it creates, and may
notify everyone there) ping a room, post a link or fake a message. Every piece of user
text that goes into a message goes through `quote`; a username through `mention`.

How Rocket.Chat reads a message, which `quote` is built against (RocketChat/Rocket.Chat):

- The server finds the mentions it notifies in the raw text, code spans included, with
  `(^|\\s|>)@(<username pattern>)` (`userMentionRegex` in
  `apps/meteor/app/mentions/lib/MentionsParser.ts`, applied to `message.msg` by
  `getUsersByMentions` in `apps/meteor/app/mentions/server/Mentions.ts`; `@all` and `@here`
  notify the whole room), and rooms the same way with `#`. An invisible word joiner
  (U+2060) before the `@` is not `\\s`: no mention, whatever the username pattern.
- The message parser (`packages/message-parser/src/grammar.pegjs`) shows an inline code
  span, a backtick, then no backtick and no line break, then a backtick
  (`InlineCode = "`" [^`\\n]+ "`"`), as literal text: no link, mention, emoji or emphasis.
  A backtick in the text would close the span, so it is shown as U+02CB (a modifier letter
  grave accent, which looks like it); a line break would end it (and start what looks like
  a new message), so it is shown as a space. Bidirectional overrides are shown as U+FFFD.
- The server looks for URLs to preview after taking code spans out
  (`apps/meteor/app/lib/server/functions/parseUrlsInMessage.ts` calls `Markdown.code`,
  `apps/meteor/app/markdown/lib/parser/original/code.ts`): a URL in a span gets no preview.

Text made only of words (letters and digits of any script) with spaces, hyphens,
apostrophes, ampersands and commas between them, and maybe a final full stop after a
letter ("Acme Hosting", "Soluções Ágeis Ltda.", "O'Brien & Sons, Inc.") can be none of
those things and is shown as it is; anything else is shown in a code span.

Pure: no chat client, usable by the workflows and the commands alike.
"""

from __future__ import annotations

import re
import unicodedata

WORD_JOINER = "\u2060"  # invisible; keeps `@` and `#` from starting a mention
BACKTICK_SHOWN = "\u02cb"  # modifier letter grave accent: looks like a backtick, is none
# Bidirectional embeddings, overrides and isolates: they can show text in another order
# than it is stored ("moc.elpmaxe" read backwards), so they are shown as the replacement
# character instead.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_PLAIN = re.compile(r"[^\W_]+(?:[ ,'&-]+[^\W_]+)*(?:(?<=[^\W\d_])\.)?")
# A username as the bot mentions it: word characters, `.` and `-` (Rocket.Chat's default
# `UTF8_User_Names_Validation` is `[0-9a-zA-Z-_.]+`); `all` and `here` are not users.
_USERNAME = re.compile(r"[\w.-]+")
NOT_USERNAMES = frozenset({"all", "here"})


def quote(text: str, *, as_code: bool = False) -> str:
    """`text` as it reads, inert: plain words as they are, anything else in inline code
    with each `@` and `#` that could start a mention kept from doing so. `as_code` shows
    plain words in code too (a word the user typed, echoed in a refusal)."""
    if not as_code and _PLAIN.fullmatch(text):
        return text
    shown: list[str] = []
    previous = ""
    for char in text:
        if char == "`":
            shown.append(BACKTICK_SHOWN)
        elif char in "@#" and not previous.isalnum():  # `partners@acme.example` stays whole
            shown.append(WORD_JOINER + char)
        elif unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            shown.append(" ")
        elif char in _BIDI:
            shown.append("\ufffd")
        else:
            shown.append(char)
        previous = char
    return "`" + "".join(shown) + "`"


def is_username(name: str) -> bool:
    """Whether `name` (without its `@`) can be mentioned as a user: `@all` and `@here` and
    names with other characters cannot."""
    return bool(_USERNAME.fullmatch(name)) and name.casefold() not in NOT_USERNAMES


def mention(username: str) -> str:
    """`@username`, a mention, for a name that is a username (`is_username`); anything
    else typed as one is quoted."""
    name = username.strip().removeprefix("@")
    return f"@{name}" if is_username(name) else quote("@" + name)
