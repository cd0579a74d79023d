"""The engine's messages in every language: /help, usage replies and refusals render in
pt-BR and es (the mechanics: every placeholder filled, the forms and examples kept as
commands, dates by locale); the wording itself is checked against the merged catalogs."""

from __future__ import annotations

import string
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from commands import audit
from engine.framework import ROLE_NAMES, OneLanguage, Role
from engine.registry import Registry
from i18n import LANGUAGES, day, speaking
from i18n.catalog import extract
from storage import SCHEMA, Store
from tests.program import Program
from tests.test_overdue_command import program as overdue_program  # noqa: F401
from tests.test_partners_command import ACME_SIGNED
from workflows.audit import AUDIT_DEFAULT, AUDIT_MAX

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = Registry.discover()


def in_language(program: Program, tag: str) -> Program:
    program.dispatcher.languages = OneLanguage(tag)
    return program


def filled(text: str) -> bool:
    """No `{placeholder}` left in `text` (usage lines have none of their own)."""
    return not any(name for _n, name, _s, _c in string.Formatter().parse(text))


@pytest.fixture
async def program() -> AsyncIterator[Program]:
    store = await Store.open(None, SCHEMA)
    program = Program(store)
    program.clock.now = datetime(2026, 8, 15, 9, 0, tzinfo=UTC)
    await program.say_all(ACME_SIGNED)
    yield program
    await store.close()


@pytest.mark.parametrize("tag", LANGUAGES)
async def test_help_lists_every_usable_command_in_each_language(program: Program, tag: str) -> None:
    in_language(program, tag)
    for who, roles in [
        ("maria", frozenset({Role.ANYONE, Role.MANAGER})),
        ("alice", frozenset({Role.ANYONE, Role.PARTNER})),
        ("stranger", frozenset({Role.ANYONE})),
    ]:
        said = await program.say(who, "/help")
        assert said.status == "done", said.text
        lines = said.text.splitlines()
        usable = REGISTRY.usable_by(roles)
        assert len(lines) == len(usable) + 2  # a title, a line a command, how to see more
        for line, command in zip(lines[1:], usable, strict=False):
            assert line.startswith(f"• `/{command.name}"), line
            for form in command.usage_lines(roles):
                assert f"`{form}`" in line
        assert filled(said.text), said.text
        assert "`/help <command>`" in lines[-1] and "`/<command> help`" in lines[-1]


@pytest.mark.parametrize("tag", LANGUAGES)
async def test_help_and_usage_replies_keep_commands_and_examples(
    program: Program, tag: str
) -> None:
    in_language(program, tag)
    one = (await program.say("maria", "/help audit")).text.splitlines()
    assert one[0] == "`/audit <partner-id> [n]`"
    assert one[2].endswith("`/audit acme-hosting 20`") and filled("\n".join(one))
    usage = await program.say("maria", "/audit")
    assert usage.status == "refused"
    problem, forms, example = usage.text.splitlines()
    assert problem.endswith(".") and problem[:1].isupper() and filled(problem)
    assert forms.endswith(": `/audit <partner-id> [n]`")
    assert example.endswith(": `/audit acme-hosting 20`")
    both = (await program.say("maria", "/report help")).text.splitlines()[0]
    assert "`/report <partner-id> YYYY-MM" in both and filled(both)


@pytest.mark.parametrize("tag", LANGUAGES)
async def test_refusals_render_in_each_language(program: Program, tag: str) -> None:
    in_language(program, tag)
    for who, text, shown in [
        ("alice", "/suspend acme-hosting late", "/suspend"),
        ("alice", "/staus", "`/staus`"),
        ("alice", "/help staus", "/status"),
        ("maria", "/audit nobody", "`nobody`"),
        ("maria", "/audit acme-hosting 5 more", "`more`"),
        ("maria", "/partners bogus", "`bogus`"),
        ("maria", "/overdue bogus", "`bogus`"),
        ("maria", "/reinstate acme-hosting now", "`now`"),
        ("maria", "/suspend acme-hosting", "`/suspend <partner-id> <reason ...>`"),
        ("maria", '/status "acme', "`/status"),
        ("maria", "/partners x=1", "x="),
    ]:
        said = await program.say(who, text)
        assert said.status == "refused", (text, said.text)
        assert shown in said.text and filled(said.text), (text, said.text)
    assert (await program.say("alice", "hello")).status == "done"  # the DM hint


@pytest.mark.parametrize("tag", LANGUAGES)
async def test_status_changes_and_lists_in_each_language(program: Program, tag: str) -> None:
    in_language(program, tag)
    program.clock.now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    for text in [
        "/suspend acme-hosting no report since August",
        "/reinstate acme-hosting",
        "/partners",
        "/partners late",
        "/audit acme-hosting 1",
        "/audit acme-hosting",
    ]:
        said = await program.say("maria", text)
        assert said.status == "done", (text, said.text)
        assert "Acme Hosting" in said.text and filled(said.text), (text, said.text)
        assert "acme-hosting" in said.text


@pytest.mark.parametrize("tag", LANGUAGES)
async def test_overdue_dates_are_written_by_locale(overdue_program: Program, tag: str) -> None:  # noqa: F811
    said = await in_language(overdue_program, tag).say("maria", "/overdue")
    first = said.text.splitlines()[0]
    with speaking(tag):
        assert first.startswith(f"{day(date(2026, 8, 15))} `acme-hosting` Acme Hosting: ")


@pytest.mark.parametrize("tag", LANGUAGES)
def test_who_may_use_a_command_reads_in_each_language(tag: str) -> None:
    both = next(c for c in REGISTRY if c.roles == frozenset({Role.MANAGER, Role.PARTNER}))
    with speaking(tag):
        refusal = both.only_for()
        assert refusal.startswith(f"/{both.name} ") and filled(refusal)
        assert both.who() in refusal and len(both.who().split()) >= 3  # two names joined


def test_every_summary_and_role_name_is_in_the_catalogs() -> None:
    """Each command's summary is marked (`N_`), so /help can show it in the reader's
    language; so are the role names."""
    marked = {message.id for message in extract(ROOT)}
    assert {command.summary for command in REGISTRY} <= marked
    assert set(ROLE_NAMES.values()) <= marked


def test_the_audit_summary_says_its_limits() -> None:
    assert f"(default {AUDIT_DEFAULT}, at most {AUDIT_MAX})" in audit.SPEC.summary
