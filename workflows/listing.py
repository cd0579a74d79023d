"""Step 5, `listing`: does the partner's page mention the vendor, and how to say what was found.

Pure: the page is fetched by `chat.web.PageFetcher`; this module only reads the text it got
and words the result for chat.

`mentions_vendor` reads the page in time linear in its length, whatever it holds: a page is
anyone's input, and Python's `html.parser` is quadratic on some (a megabyte of `<!--` took
507 s), as is a pattern with two optional runs of whitespace around an optional character
on a long run of spaces. So the page is read by a small tokenizer of its own, built from
`str.find` and patterns that match a bounded stretch or consume what they match, and
whitespace runs are folded to one space before the vendor's name is looked for. It reads
pages the way a browser does where that matters here: a comment left open hides the rest
of the page, `<` not followed by a tag name is text, a script's or a style's content is
not text; a page cut off inside a tag is judged on what it holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

from workflows.text import quote

VENDOR = "Rocket.Chat"

# "Rocket.Chat", "RocketChat", "rocket chat", "rocket-chat", "rocket_chat"; also matches links
# to rocket.chat and file names such as rocketchat-logo.svg. Whitespace is folded to one
# space before it is used (see `_fold`), so that it never has a long run to backtrack over.
_VENDOR_NAME = re.compile(r"rocket ?[._-]? ?chat", re.IGNORECASE)
_SPACES = re.compile(r"\s+")

# Elements whose content a reader never sees as text.
_HIDDEN = frozenset({"script", "style"})

# Attributes that name or show the vendor: a logo's alt text or file, a link to its site.
_NAMING_ATTRIBUTES = frozenset(
    {"alt", "title", "aria-label", "href", "src", "srcset", "data-src", "xlink:href"}
)

# What can follow "<" and make markup; "<" followed by anything else is text.
_MARKUP = re.compile(r"<[A-Za-z!?/]")
_BLANK = re.compile(r"[\t\n\f\r /]*")  # between attributes ("/" too, as browsers do)
_TAG_NAME = re.compile(r"[^\t\n\f\r />]*")
_ATTRIBUTE_NAME = re.compile(r"[^\t\n\f\r />][^\t\n\f\r />=]*")
_EQUALS = re.compile(r"[\t\n\f\r ]*=[\t\n\f\r ]*")
_UNQUOTED = re.compile(r"[^\t\n\f\r >]*")
_HIDDEN_END = {name: re.compile(f"</{name}[\t\n\f\r />]", re.IGNORECASE) for name in _HIDDEN}


def _fold(text: str) -> str:
    """Character references decoded and every run of whitespace made one space."""
    return _SPACES.sub(" ", unescape(text))


def _names_vendor(text: str) -> bool:
    return _VENDOR_NAME.search(_fold(text)) is not None


class _Page:
    """One pass over a page: its visible text, and whether a naming attribute names the
    vendor. Every step moves `pos` forward past what it looked at, so the whole pass is
    linear in the page's length."""

    def __init__(self, page: str) -> None:
        self.page = page
        self.pos = 0
        self.text: list[str] = []
        self.named_in_attribute = False

    def read(self) -> None:
        page, end = self.page, len(self.page)
        while self.pos < end:
            found = _MARKUP.search(page, self.pos)
            if found is None:
                self.text.append(page[self.pos :])
                return
            start = found.start()
            self.text.append(page[self.pos : start])
            kind = page[start + 1]
            if page.startswith("<!--", start):
                self._skip_comment(start)
            elif kind in "!?/":
                # a doctype, a processing instruction, an end tag: nothing in them counts
                self._skip_past(">", start + 2)
            else:
                self._start_tag(start + 1)

    def _skip_past(self, marker: str, start: int) -> None:
        """Continue after the next `marker`; with none, the rest of the page is skipped."""
        found = self.page.find(marker, start)
        self.pos = len(self.page) if found < 0 else found + len(marker)

    def _skip_comment(self, start: int) -> None:
        for empty in ("<!-->", "<!--->"):  # comments that end as they begin
            if self.page.startswith(empty, start):
                self.pos = start + len(empty)
                return
        self._skip_past("-->", start + 4)  # a comment left open hides the rest, as in a browser

    def _start_tag(self, at: int) -> None:
        page = self.page
        name_end = _match_end(_TAG_NAME, page, at)
        name = page[at:name_end].lower()
        hidden = name in _HIDDEN
        self.pos = name_end
        closed_by_slash = False
        while True:
            blank_end = _match_end(_BLANK, page, self.pos)
            closed_by_slash = blank_end > self.pos and page[blank_end - 1] == "/"
            self.pos = blank_end
            if self.pos >= len(page):
                return  # the page ends inside the tag: what it had is judged
            if page[self.pos] == ">":
                self.pos += 1
                break
            value = self._attribute()
            if value is not None and not hidden and not self.named_in_attribute:
                attribute, text = value
                if attribute in _NAMING_ATTRIBUTES and _names_vendor(text):
                    self.named_in_attribute = True
        if hidden and not closed_by_slash:  # a script's or a style's content is not text
            found = _HIDDEN_END[name].search(page, self.pos)
            if found is None:
                self.pos = len(page)
            else:
                self._skip_past(">", found.start())

    def _attribute(self) -> tuple[str, str] | None:
        """The attribute at `pos` (name lower-cased, value raw), moving past it."""
        page = self.page
        name_end = _match_end(_ATTRIBUTE_NAME, page, self.pos)
        name = page[self.pos : name_end].lower()
        self.pos = name_end
        equals = _EQUALS.match(page, self.pos)
        if equals is None:
            return name, ""
        self.pos = equals.end()
        quote = page[self.pos : self.pos + 1]
        if quote in ("'", '"'):
            close = page.find(quote, self.pos + 1)
            value_end = len(page) if close < 0 else close  # left open: the rest of the page
            value = page[self.pos + 1 : value_end]
            self.pos = min(value_end + 1, len(page))
            return name, value
        value_end = _match_end(_UNQUOTED, page, self.pos)
        value = page[self.pos : value_end]
        self.pos = value_end
        return name, value


def _match_end(pattern: re.Pattern[str], text: str, at: int) -> int:
    """Where `pattern` (which matches the empty string or fails fast) stops matching at `at`."""
    found = pattern.match(text, at)
    return at if found is None else found.end()


def mentions_vendor(html: str) -> bool:
    """Whether the page names the vendor in its text or in a logo's or link's attributes.

    Comments, scripts and styles do not count: a chat widget's code is not a listing.
    Works on plain text too, and on a page cut off anywhere. Linear in the page's length.
    """
    page = _Page(html)
    page.read()
    # Text split by inline tags ("<b>Rocket</b>.Chat") is joined back without a gap.
    return page.named_in_attribute or _names_vendor("".join(page.text))


@dataclass(frozen=True)
class ListingCheck:
    """What the bot found at a partner's listing URL.

    `ok` is true when the page was read; then `mentions_vendor` says what it found and
    `problem` is None. Otherwise `mentions_vendor` is None and `problem` ends the sentence
    "I could not check <url>: ..." (lower case, no full stop).
    `final_url` is the last address the check went to (the `url` itself without redirects).
    """

    url: str
    final_url: str
    ok: bool
    mentions_vendor: bool | None
    problem: str | None

    def __post_init__(self) -> None:
        if self.ok != (self.mentions_vendor is not None) or self.ok != (self.problem is None):
            raise ValueError("a listing check either found something or has a problem")

    @classmethod
    def read(cls, url: str, final_url: str, *, mentions: bool) -> ListingCheck:
        return cls(url=url, final_url=final_url, ok=True, mentions_vendor=mentions, problem=None)

    @classmethod
    def failed(cls, url: str, final_url: str, problem: str) -> ListingCheck:
        return cls(url=url, final_url=final_url, ok=False, mentions_vendor=None, problem=problem)

    def summary(self) -> str:
        """One sentence for chat, in the language in force."""
        # Imported here: `chat.pagescan` imports this module without site-packages (so
        # without Babel) to read pages, and needs no messages.
        from i18n import _

        if self.problem is not None:
            return _("I could not check {url}: {problem}.").format(
                url=quote(self.url), problem=self.problem
            )
        page = (
            quote(self.url)
            if self.final_url == self.url
            else _("{url} (redirected to {final})").format(
                url=quote(self.url), final=quote(self.final_url)
            )
        )
        if self.mentions_vendor:
            return _("The page {page} mentions {vendor}.").format(page=page, vendor=VENDOR)
        return _("The page {page} does not mention {vendor}.").format(page=page, vendor=VENDOR)
