"""Whose language (issue 14, item 4): the book (`engine.languages`), `/language`, and the
console's `:lang`.

The Portuguese and Spanish wording comes with the merged catalogs; these tests check the
mechanics: which language a message is made in (`marked` tags each message with it).
"""

from __future__ import annotations

import asyncio
import gettext
import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

import i18n
from chat.console import Console
from config import Settings
from engine.languages import LANGUAGES, PARTNER, USER, LanguageBook, choice
from storage import SCHEMA, Store
from tests.fakes import Clock, FakeChat
from tests.partners import acme
from tests.program import SETTINGS, Program

APPLY = (
    '/onboard company="Acme Hosting" type=hosting website=https://acme.example '
    "email=partners@acme.example"
)


class _Marked(gettext.NullTranslations):
    """Every message as `[<language>] <message>`: shows which language it was made in."""

    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag = tag

    def gettext(self, message: str) -> str:
        return f"[{self.tag}] {message}"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"[{self.tag}] {singular if n == 1 else plural}"


@pytest.fixture
def marked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages made in Portuguese or Spanish start with `[pt-BR] ` or `[es] `."""
    english = gettext.NullTranslations()
    monkeypatch.setattr(i18n, "_translations", lambda tag: english if tag == "en" else _Marked(tag))


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = await Store.open(None, SCHEMA)
    yield opened
    await opened.close()


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def book(store: Store, chat: FakeChat, clock: Clock) -> LanguageBook:
    return LanguageBook(store, chat, "es", clock, timeout=0.2)


async def choose(store: Store, kind: str, name: str, language: str, clock: Clock) -> None:
    tx = store.begin("test", clock())
    tx.put(LANGUAGES, choice(kind, name, language, clock()))
    await tx.commit()


# -- the book ------------------------------------------------------------------------------


async def test_first_found_the_users_own_choice_then_the_chat_then_the_server_then_the_default(
    book: LanguageBook, store: Store, chat: FakeChat, clock: Clock
) -> None:
    assert book.default == "es"
    assert await book.of_user("alice") == "es"  # nothing known: PARTNERBOT_LANGUAGE
    book.forget()
    chat.server = "pt-BR"
    assert await book.of_user("alice") == "pt-BR"  # the server's default
    book.forget()
    chat.languages["alice"] = "en-US"  # as Rocket.Chat may write it
    assert await book.of_user("alice") == "en"
    await choose(store, USER, "Alice", "pt-BR", clock)
    assert await book.of_user("ALICE") == "pt-BR"  # /language wins, whatever the case


async def test_a_language_not_offered_falls_through(book: LanguageBook, chat: FakeChat) -> None:
    chat.languages["alice"] = "de"
    chat.server = "ja"
    assert await book.of_user("alice") == "es"


async def test_the_chat_is_asked_once_an_hour(
    book: LanguageBook, chat: FakeChat, clock: Clock
) -> None:
    chat.languages["alice"] = "pt-BR"
    for _n in range(3):
        assert await book.of_user("alice") == "pt-BR"
    assert chat.asked == ["alice"]
    chat.languages["alice"] = "es"
    clock.advance(minutes=59)
    assert await book.of_user("alice") == "pt-BR"  # still remembered
    clock.advance(minutes=2)
    assert await book.of_user("alice") == "es"  # asked again
    assert chat.asked == ["alice", "alice"]


async def test_the_server_default_is_asked_once_for_everyone(
    book: LanguageBook, chat: FakeChat
) -> None:
    chat.server = "pt-BR"
    for name in ("alice", "bob", "carol"):
        assert await book.of_user(name) == "pt-BR"
    assert chat.asked == ["alice", "", "bob", "carol"]


class _Failing(FakeChat):
    def __init__(self) -> None:
        super().__init__()
        self.failures = 1

    async def user_language(self, username: str) -> str | None:
        self.asked.append(username)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the server is away")
        return self.languages.get(username)


async def test_a_failed_look_up_falls_back_and_is_tried_again_later(
    store: Store, clock: Clock
) -> None:
    chat = _Failing()
    chat.languages["alice"] = "pt-BR"
    book = LanguageBook(store, chat, "en", clock, retry=timedelta(minutes=5))
    assert await book.of_user("alice") == "en"
    clock.advance(minutes=4)
    assert await book.of_user("alice") == "en"  # not asked again yet
    assert chat.asked == ["alice", ""]
    clock.advance(minutes=2)
    assert await book.of_user("alice") == "pt-BR"
    assert chat.asked == ["alice", "", "alice"]


class _Slow(FakeChat):
    def __init__(self) -> None:
        super().__init__()
        self.answer = asyncio.Event()

    async def user_language(self, username: str) -> str | None:
        self.asked.append(username)
        await self.answer.wait()
        return "pt-BR"


async def test_a_slow_look_up_does_not_hold_the_reply_and_serves_the_next(
    store: Store, clock: Clock
) -> None:
    chat = _Slow()
    book = LanguageBook(store, chat, "en", clock, timeout=0.05)
    assert await book.of_user("alice") == "en"  # did not wait for the chat
    assert await book.of_user("alice") == "en"
    assert chat.asked == ["alice", ""]  # one question in flight, not one per message
    chat.answer.set()  # the look-up in flight answers: the next message waits for it
    assert await book.of_user("alice") == "pt-BR"


async def test_a_partners_rooms_speak_the_contacts_choice_else_the_applicants(
    book: LanguageBook, store: Store, chat: FakeChat, clock: Clock
) -> None:
    partner = acme(contacts=("alice", "bob"))
    assert await book.of_partner(partner) == "es"
    chat.languages["alice"] = "pt-BR"
    book.forget()
    assert await book.of_partner(partner) == "pt-BR"  # alice applied
    await choose(store, PARTNER, partner.id, "en", clock)
    assert await book.of_partner(partner) == "en"
    assert await book.of_partner(acme(id="nobody-inc", contacts=())) == "es"


# -- /language -----------------------------------------------------------------------------


@pytest.fixture
async def program(store: Store) -> Program:
    program = Program(store)
    chat = program.chat
    book = LanguageBook(store, chat, SETTINGS.language, program.clock)
    program.dispatcher.languages = book
    return program


async def test_language_without_a_word_says_the_current_one_and_the_offered_ones(
    program: Program,
) -> None:
    said = await program.say("alice", "/language")
    assert said.status == "done"
    assert said.text == (
        "I write to you in English (`en`). Languages offered: `en` (English), "
        "`pt-BR` (Português (Brasil)), `es` (Español).\n"
        "Change it with `/language <language>`, e.g. `/language pt-BR`."
    )


async def test_klingon_lists_the_languages_and_changes_nothing(program: Program) -> None:
    said = await program.say("alice", "/language klingon")
    assert said.status == "refused"
    assert said.text.startswith("I do not speak `klingon`; choose one of `en` (English), ")
    assert "Usage: `/language [en|pt-BR|es]`" in said.text
    assert [doc async for doc in program.store.scan(LANGUAGES)] == []


async def test_language_is_answered_in_the_new_language_and_kept(
    program: Program, marked: None
) -> None:
    said = await program.say("alice", "/language pt_br")
    assert said.status == "done"
    assert said.text == "[pt-BR] Done: from now on I write to you in {name}.".format(
        name="Português (Brasil)"
    )
    # From then on every reply to her (/help is translated on another branch).
    assert (await program.say("alice", "/language")).text.startswith("[pt-BR] I write to you")
    assert (await program.say("bob", "/language")).text.startswith("I write to you")
    said = await program.say("alice", "/language en")
    assert said.text == "Done: from now on I write to you in English."
    docs = [doc async for doc in program.store.scan(LANGUAGES)]
    assert [(doc["kind"], doc["name"], doc["language"]) for doc in docs] == [
        ("user", "alice", "en")
    ]


async def test_a_contact_sets_the_partners_rooms_too(program: Program, marked: None) -> None:
    said = await program.say("alice", APPLY)
    assert said.status == "done", said.text
    said = await program.say("alice", "/language es")
    assert said.text == (
        "[es] Done: from now on I write to you, and in your company's workgroup, in Español."
    )
    docs = [doc async for doc in program.store.scan(LANGUAGES)]
    assert sorted((doc["kind"], doc["name"], doc["language"]) for doc in docs) == [
        ("partner", "acme-hosting", "es"),
        ("user", "alice", "es"),
    ]
    assert await program.dispatcher.languages.of_partner(acme(contacts=("bob",))) == "es"


async def test_the_setting_is_the_default_language(store: Store) -> None:
    program = Program(store, Settings(managers=SETTINGS.managers, language="pt-BR"))
    program.dispatcher.languages = LanguageBook(store, program.chat, "pt-BR", program.clock)
    said = await program.say("alice", "/language")
    assert said.text.startswith("Escrevo para você em Português (Brasil) (`pt-BR`).")


# -- the console ---------------------------------------------------------------------------


def _console(script: str, language: str = "en") -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console("alice", None, Clock(), io.StringIO(script), out, language=language), out


async def _run(console: Console) -> None:
    async for _message in console.listen():
        pass


async def test_the_console_says_its_users_language_and_lang_changes_it(marked: None) -> None:
    console, out = _console(":lang\n:lang klingon\n:lang es\n:lang\n")
    changed: list[str] = []
    console.on_language_changed = lambda: changed.append("changed")
    assert await console.user_language("anyone") == "en"
    assert await console.server_language() is None
    await _run(console)
    assert out.getvalue().splitlines() == [
        "(the language is en; offered: en, pt-BR, es)",
        "'klingon' is not offered; choose one of en, pt-BR, es",
        "[es] (the language is now es)",
        "[es] (the language is es; offered: en, pt-BR, es)",
    ]
    assert changed == ["changed"]
    assert await console.user_language("anyone") == "es"


async def test_the_consoles_own_lines_are_in_its_language(marked: None) -> None:
    console, out = _console(":dm\n", language="pt-BR")
    await console.connect()
    await _run(console)
    first, second = out.getvalue().splitlines()
    assert first == (
        "[pt-BR] partnerbot console: you are @alice in [pt-BR] DM of @alice; "
        "type :help for console commands"
    )
    assert second == "[pt-BR] (you are @alice in [pt-BR] DM of @alice)"


async def test_people_talking_among_themselves_cost_no_look_up(store: Store) -> None:
    """A plain message in a group room (no command, no open conversation) is ignored
    before anyone's language is looked up: the chat is not asked about every user who
    writes in a workgroup; a command there is."""
    asked: list[str] = []

    class Counting(FakeChat):
        async def user_language(self, username: str) -> str | None:
            asked.append(username)
            return None

    program = Program(store, SETTINGS)
    program.dispatcher.languages = LanguageBook(store, Counting(), "en", program.clock)
    said = await program.say("alice", "hello everyone, lunch at noon?", room="partner-acme")
    assert said.status == "ignored" and asked == []
    said = await program.say("alice", "/help", room="partner-acme")
    assert said.status == "done" and asked == ["alice"]
