"""The command parser: both forms, quotes, options, and text that is not a command."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.parsing import ArgumentError, Invocation, parse_invocation, split_arguments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/help", Invocation("help", "", mention=False)),
        ("/HELP report", Invocation("help", "report", mention=False)),
        ("  /report  2026-10 submit ", Invocation("report", "2026-10 submit", mention=False)),
        ("@partnerbot help", Invocation("help", "", mention=True)),
        ("@PartnerBot: Status acme", Invocation("status", "acme", mention=True)),
        ("@partnerbot /report", Invocation("report", "", mention=True)),
        ("@partnerbot", Invocation("help", "", mention=True)),
        (
            "/goals 3m grow\nto ten clients",
            Invocation("goals", "3m grow\nto ten clients", mention=False),
        ),
    ],
)
def test_invocations(text: str, expected: Invocation) -> None:
    assert parse_invocation(text, "partnerbot") == expected


@pytest.mark.parametrize(
    "text",
    [
        "hello",
        "",
        "   ",
        "/usr/bin is broken",
        "/ help",
        "/123",
        "@partnerbotx help",
        "email @partnerbot later",
    ],
)
def test_plain_messages_are_not_commands(text: str) -> None:
    assert parse_invocation(text, "partnerbot") is None


def test_a_mention_of_something_else_is_still_answered() -> None:
    assert parse_invocation("@partnerbot what's up?", "partnerbot") == Invocation(
        "what's", "up?", mention=True
    )


def test_words_quotes_and_options() -> None:
    args = split_arguments('deal client="Foo Corp" amount=12,000 kind=HOSTING note="a \\"b\\""')
    assert args.words == ("deal",)
    assert args.options == {
        "client": "Foo Corp",
        "amount": "12,000",
        "kind": "HOSTING",
        "note": 'a "b"',
    }
    assert args.tokens[0] == "deal"


def test_typographic_quotes_count_as_quotes() -> None:
    assert split_arguments("company=\u201cAcme Hosting\u201d").options == {
        "company": "Acme Hosting"
    }


def test_option_names_are_case_insensitive_and_unique() -> None:
    assert split_arguments("Type=hosting").options == {"type": "hosting"}
    with pytest.raises(ArgumentError, match="twice"):
        split_arguments("type=a TYPE=b")


def test_unclosed_quote() -> None:
    with pytest.raises(ArgumentError, match="quote"):
        split_arguments('client="Foo')


def test_a_url_is_a_word_not_an_option() -> None:
    args = split_arguments("https://acme.example/?a=b")
    assert args.words == ("https://acme.example/?a=b",)
    assert args.options == {}


def test_apostrophes_are_plain_characters() -> None:
    assert split_arguments("don't stop").words == ("don't", "stop")


def test_rest_keeps_free_text() -> None:
    args = split_arguments('acme listing the page has no "logo"')
    assert args.rest(2) == "the page has no logo"


@given(st.text())
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    invocation = parse_invocation(text, "partnerbot")
    if invocation is None:
        return
    assert invocation.name == invocation.name.lower()
    try:
        args = split_arguments(invocation.text)
    except ArgumentError:
        return
    assert len(args.words) + len(args.options) == len(args.tokens)
