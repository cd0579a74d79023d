"""Text from users cannot ping or mislead (issue 12, item 4): every piece of user text the
bot echoes is shown inert (`workflows.text.quote`), checked against Rocket.Chat's own rules
for mentions (the server's regex) and code spans (the message parser's)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chat.base import Outgoing
from storage import SCHEMA, Store
from tests.program import SETTINGS, Program
from workflows.onboarding import RuleError, check_username, slug
from workflows.text import BACKTICK_SHOWN, WORD_JOINER, is_username, mention, quote

# The server's mention rules (apps/meteor/app/mentions/lib/MentionsParser.ts), with the
# default username pattern `[0-9a-zA-Z-_.]+`: what it finds there, it notifies.
USER_MENTION = re.compile(r"(?:^|\s|>)@([0-9a-zA-Z\-_.]+)", re.MULTILINE)
ROOM_MENTION = re.compile(r"(?:^|\s|>)#([0-9a-zA-Z\-_.]+)", re.MULTILINE)
# The message parser's inline code (packages/message-parser/src/grammar.pegjs): shown as is.
CODE_SPAN = re.compile(r"`[^`\n]+`")
USERS = {"mallory", "dave", "erin", "maria", "joao", "partnerbot"}  # who the bot may mention

MARK = "evil"  # in every hostile value: never to be seen outside a code span
COMPANY = (
    "@all *evil* [x](https://evil.example) `evil` #general <https://evil.example|evil> "
    ":evil: ~evil~"
)
WEBSITE = "https://evil.example/*evil*_@here_"
EMAIL = "*evil*_@evil.example"
COUNTRY = "@here evil"
LINES = "@here call me\n*partnerbot*: evil approved\n> evil\n# evil"  # a faked message
GOALS = "[evil](https://evil.example) @all"
LISTING = "https://evil.example/@all*evil*"
CLIENT = "@here [evil](https://evil.example)"
NOTE = "*evil* @all _evil_ ||evil||"
PARTNER = slug(COMPANY)
NAMESAKE = f"{PARTNER}-2"
APPLY = (
    f'/onboard company="{COMPANY}" type=hosting website={WEBSITE} email={EMAIL} country="{COUNTRY}"'
)


def problems(text: str) -> list[str]:
    """What in a bot message would ping, link or fake something from the user's text."""
    found = [
        f"mention @{name}"
        for name in USER_MENTION.findall(text)
        if name.rstrip(".") not in USERS  # "by @maria." (the server looks for "maria.")
    ]
    found += [f"room mention #{name}" for name in ROOM_MENTION.findall(text)]
    outside = CODE_SPAN.sub("", text)
    for partner_id in (NAMESAKE, PARTNER):  # ids are slugs: letters, digits and hyphens
        outside = outside.replace(partner_id, "")
    if MARK in outside.lower():
        found.append(f"user text outside code: {outside!r}")
    if "\u202e" in text:
        found.append("a bidi override")
    return found


def echoed(text: str, marker: str) -> bool:
    """Whether the user's text is in the message, inside a code span."""
    return any(marker in span.replace(WORD_JOINER, "") for span in CODE_SPAN.findall(text))


@dataclass(frozen=True)
class Step:
    who: str
    text: str
    echo: str | None = MARK  # what of the user's text the bot's answer must show, quoted
    at: datetime | None = None  # move the clock there first


SEPT, OCT, DEC = (datetime(2026, m, d, 12, 0, tzinfo=UTC) for m, d in ((9, 1), (10, 5), (12, 1)))
STEPS = [
    # The application, its checks and decisions: company, website, e-mail, country, reason.
    Step("mallory", APPLY, at=SEPT),
    Step("mallory", "/status"),
    Step("mallory", "/onboard"),
    Step("maria", f"/status {PARTNER}"),
    Step("maria", "/partners"),
    Step("maria", f'/reject {PARTNER} application "{LINES}"'),
    Step("mallory", "/status"),  # the step's reason
    Step("mallory", APPLY),  # sent again: the managers see the reason it was rejected for
    Step("dave", APPLY),  # the managers are warned of the namesake
    Step("maria", f"/approve {PARTNER} application"),
    Step("maria", f"/approve {PARTNER} meeting on=2026-09-01"),
    # Goals, listing and their rejections.
    Step("mallory", f'/goals 3m "{LINES}"', echo=None),
    Step("mallory", f'/goals 1y "{GOALS}"'),  # the managers get both
    Step("maria", f'/reject {PARTNER} goals "{LINES}"'),
    Step("mallory", f'/goals 3m "{LINES}"', echo=None),
    Step("mallory", f'/goals 1y "{GOALS}"'),
    Step("maria", f"/approve {PARTNER} goals"),
    Step("mallory", f"/listing {LISTING}"),
    Step("maria", f'/reject {PARTNER} listing "{LINES}"'),
    Step("mallory", f"/listing {LISTING}"),
    Step("maria", f"/approve {PARTNER} listing"),
    Step("mallory", f"/listing {LISTING}"),  # already approved
    Step("maria", f"/approve {PARTNER} contract signed=2026-09-01 support=yes fee=paid"),
    # Contacts: usernames that are none are refused, and not echoed.
    Step("mallory", "/contacts"),
    Step("mallory", "/contacts add @erin"),
    Step("mallory", "/contacts add @dave", echo=None),  # dave applied for another partner
    Step("mallory", "/contacts add @all", echo=None),
    Step("mallory", "/contacts add https://evil.example", echo=None),
    Step("mallory", "/contacts remove *evil*", echo=None),
    Step("maria", f"/assign {PARTNER} *evil*"),
    Step("maria", f"/assign {PARTNER} @all", echo="@all"),
    # The monthly report: clients and notes.
    Step(
        "mallory",
        f'/report 2026-09 deal client="{CLIENT}" amount=100 kind=hosting note="{NOTE}"',
        at=OCT,
    ),
    Step(
        "mallory",
        f'/report 2026-09 prospect client="{CLIENT}" amount=100 close=2026-12 note="{NOTE}"',
    ),
    Step("mallory", "/report 2026-09 submit", echo=None),
    # Deal registration: the client the prospect registered.
    Step("mallory", "/registration"),
    Step("mallory", f'/registration "{CLIENT}"'),
    Step("mallory", "/registration *evil* @all"),  # nobody's: refused, echoed
    Step("maria", f'/registration "{CLIENT}"'),
    Step("maria", f'/registration "{CLIENT}" award {PARTNER}'),
    Step("maria", "/registration"),
    Step("maria", f"/report {PARTNER} 2026-09"),
    Step("maria", f"/report {PARTNER} 2026-09 reopen"),
    Step("maria", f"/terms {PARTNER} hosting=20"),
    Step("maria", f"/fee {PARTNER}"),
    Step("maria", f"/fee {PARTNER} paid 2026"),
    # Words typed where another was expected, echoed in the refusal.
    Step("mallory", "/report @all", echo="@all"),
    Step("mallory", "/report evil.example"),
    Step("mallory", "/report 2026-09 deal client=x amount=1 kind=hosting *evil*"),
    Step("mallory", "/attest statistics on @evil"),
    Step("maria", f"/fee {PARTNER} *evil*@all"),
    Step("maria", f"/fee {PARTNER} paid 2026 [evil](x)"),
    Step("maria", "/export https://evil.example"),
    Step("maria", "/export reports evil.example"),
    Step("maria", "/export reports 2026-09 @evil"),
    Step("maria", f"/terms {PARTNER} @evil"),
    Step("maria", f"/approve {PARTNER} *evil*"),
    Step("maria", f"/approve {PARTNER} training @evil"),
    Step("maria", f"/reinstate {PARTNER} @evil"),
    Step("maria", "/partners @evil"),
    Step("maria", f"/review {PARTNER} @evil", at=DEC),
    Step("maria", "/status @evil"),
    Step("mallory", "/help @evil"),
    Step("mallory", "@partnerbot @all evil", echo="@all"),
    Step("mallory", "@partnerbot https://evil.example"),
    # The review's notes, the status reasons.
    Step("maria", f'/review {PARTNER} warn "{NOTE}"'),
    Step("maria", f"/review {PARTNER}"),
    Step("maria", f'/suspend {PARTNER} "{LINES}"'),
    Step("mallory", "/status"),
    Step("maria", f"/reinstate {PARTNER}"),
    Step("maria", f'/remove {PARTNER} "{LINES}"'),
    Step("maria", f"/suspend {PARTNER} again"),  # the removed partner's name in the refusal
]


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    store = await Store.open(None, SCHEMA)
    yield Program(store, SETTINGS)
    await store.close()


async def test_hostile_text_through_every_command_that_echoes(program: Program) -> None:
    sent: list[tuple[str, Outgoing]] = []
    for step in STEPS:
        if step.at is not None:
            program.clock.now = step.at
        said = await program.say(step.who, step.text)
        sent += [(step.text, out) for out in said.sent]
        for out in said.sent:
            assert not problems(out.text), (step.text, out.room_id, out.text)
        if step.echo is not None:
            assert any(echoed(out.text, step.echo) for out in said.sent), (step.text, said)
    assert len(sent) > 80  # the steps did their work: the messages were sent
    assert (await program.store.get("partners", PARTNER) or {}).get("status") == "removed"


async def test_a_username_that_is_none_is_refused(program: Program) -> None:
    for name in ("all", "@here", "*evil*", "https://evil.example", "a`b", "ali ce", ""):
        with pytest.raises(RuleError):
            check_username(name)
    assert check_username("@joana.silva") == "joana.silva"
    assert check_username("joão") == "joão"


# The function itself.


def test_plain_words_are_shown_as_they_are() -> None:
    for text in ("Acme Hosting", "Soluções Ágeis Ltda.", "O'Brien & Sons, Inc.", "日本語株式会社"):
        assert quote(text) == text
    assert quote("acme", as_code=True) == "`acme`"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("@all Corp", f"`{WORD_JOINER}@all Corp`"),
        ("call @here now", f"`call {WORD_JOINER}@here now`"),
        ("x>@all", f"`x>{WORD_JOINER}@all`"),
        ("partners@acme.example", "`partners@acme.example`"),  # copied whole
        ("#general", f"`{WORD_JOINER}#general`"),
        ("https://evil.example", "`https://evil.example`"),
        ("a `b` c", f"`a {BACKTICK_SHOWN}b{BACKTICK_SHOWN} c`"),
        ("one\ntwo\r\nthree", "`one two  three`"),
        ("abc\u202edef", "`abc\ufffddef`"),
        ("*bold*", "`*bold*`"),
        ("1.", "`1.`"),  # a list item at the start of a line
        ("", "``"),
    ],
)
def test_anything_else_is_shown_in_code(text: str, shown: str) -> None:
    assert quote(text) == shown


@given(st.text())
def test_quoted_text_is_one_inert_span(text: str) -> None:
    shown = quote(text)
    assert not USER_MENTION.search(shown) and not ROOM_MENTION.search(shown)
    if shown == text:  # plain words
        assert re.fullmatch(r"[\w ,'&.-]*", text)
    else:
        assert CODE_SPAN.fullmatch(shown) or shown == "``"
        added = shown.count(WORD_JOINER) - text.count(WORD_JOINER)
        assert len(shown) - added == len(text) + 2  # nothing dropped


def test_mentions() -> None:
    assert mention("alice") == "@alice" and mention("@joana.silva") == "@joana.silva"
    assert mention("all") == f"`{WORD_JOINER}@all`"
    assert mention("*x*") == f"`{WORD_JOINER}@*x*`"
    assert not is_username("here") and not is_username("a b") and is_username("joão")
