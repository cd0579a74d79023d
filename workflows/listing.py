"""Step 5, `listing`: does the partner's page mention the vendor, and how to say what was found.

Pure: the page is fetched by `chat.web.PageFetcher`; this module only reads the text it got
and words the result for chat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from workflows.text import quote

VENDOR = "Rocket.Chat"

# "Rocket.Chat", "RocketChat", "rocket chat", "rocket-chat", "rocket_chat"; also matches links
# to rocket.chat and file names such as rocketchat-logo.svg.
_VENDOR_NAME = re.compile(r"rocket\s*[._-]?\s*chat", re.IGNORECASE)

# Elements whose content a reader never sees as text.
_HIDDEN = frozenset({"script", "style"})

# Attributes that name or show the vendor: a logo's alt text or file, a link to its site.
_NAMING_ATTRIBUTES = frozenset(
    {"alt", "title", "aria-label", "href", "src", "srcset", "data-src", "xlink:href"}
)


class _PageText(HTMLParser):
    """Collects a page's visible text and the attributes that can name the vendor."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.named_in_attribute = False
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden_depth += 1
            return
        if not self.named_in_attribute:
            self.named_in_attribute = any(
                name in _NAMING_ATTRIBUTES and value is not None and _VENDOR_NAME.search(value)
                for name, value in attrs
            )

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HIDDEN:  # a self-closed <script/> opens nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self._hidden_depth > 0:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._hidden_depth == 0:
            self.text.append(data)


def mentions_vendor(html: str) -> bool:
    """Whether the page names the vendor in its text or in a logo's or link's attributes.

    Comments, scripts and styles do not count: a chat widget's code is not a listing.
    Works on plain text too, and on a page cut off anywhere.
    """
    page = _PageText()
    page.feed(html)
    page.close()
    # Text split by inline tags ("<b>Rocket</b>.Chat") is joined back without a gap.
    return page.named_in_attribute or _VENDOR_NAME.search("".join(page.text)) is not None


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
        """One sentence for chat."""
        if self.problem is not None:
            return f"I could not check {quote(self.url)}: {self.problem}."
        page = (
            quote(self.url)
            if self.final_url == self.url
            else f"{quote(self.url)} (redirected to {quote(self.final_url)})"
        )
        verb = "mentions" if self.mentions_vendor else "does not mention"
        return f"The page {page} {verb} {VENDOR}."
