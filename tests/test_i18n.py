"""The catalogs are complete and well-formed, and numbers, money and dates follow the
reader's locale (issue 14)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

import i18n
from i18n import catalog as catalogs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def template() -> Catalog:
    return catalogs.extract()


@pytest.mark.parametrize("locale_dir", catalogs.LOCALE_DIRS)
def test_every_message_is_translated_and_none_is_stale(locale_dir: str, template: Catalog) -> None:
    """Fails when the code has a message the catalog lacks or leaves untranslated, or the
    catalog keeps one the code no longer has (`python -m i18n.catalog update` fixes the
    last two; the first needs a translator)."""
    assert catalogs.problems(catalogs.read(locale_dir), template) == []


def _samples(text: str) -> dict[str, str]:
    return {name: f"<{name}>" for name in catalogs.fields(text)}


@pytest.mark.parametrize("tag", i18n.LANGUAGES)
def test_every_template_renders_in_every_language(tag: str, template: Catalog) -> None:
    """Each message, made in each language with sample values: no missing placeholder, no
    formatting error, every value shown."""
    rendered = 0
    with i18n.speaking(tag):
        for message in template:
            if not message.id:
                continue
            if isinstance(message.id, str):
                texts = [i18n._(message.id)]
                wanted = _samples(message.id)
            else:
                singular, plural = message.id[0], message.id[1]
                texts = [i18n.ngettext(singular, plural, n) for n in (1, 2, 5, 1_000_000)]
                wanted = _samples(singular) | _samples(plural)
            for text in texts:
                shown = text.format(**wanted)
                if tag != i18n.SOURCE:
                    for name in catalogs.fields(text):
                        assert f"<{name}>" in shown
                rendered += 1
    assert rendered >= len(template) - 1


def test_translations_differ_from_english_where_words_are(template: Catalog) -> None:
    """A catalog that copied the English would pass the completeness check: most messages
    with words must read differently in Portuguese and in Spanish."""
    worded = [
        message.id
        for message in template
        if isinstance(message.id, str) and sum(ch.isalpha() for ch in message.id) > 20
    ]
    for tag in ("pt-BR", "es"):
        with i18n.speaking(tag):
            same = [text for text in worded if i18n._(text) == text]
        assert len(same) <= len(worded) // 20, same[:10]


def test_a_malformed_translation_fails_the_build(tmp_path: Path) -> None:
    """A translation whose placeholder differs from the English one stops `compile` (the
    set-up), with the message named; the `.mo` the bot reads is left as it was."""
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "i18n", copy / "i18n", ignore=shutil.ignore_patterns("*.mo"))
    po = copy / "i18n" / "locales" / "es" / "LC_MESSAGES" / "messages.po"
    po.write_text(
        po.read_text(encoding="utf-8") + '\nmsgid "Hello {name}"\nmsgstr "Hola {nombre}"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "i18n.catalog", "compile"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "Hello {name}" in done.stderr
    assert not (po.with_suffix(".mo")).exists()


def test_broken_po_syntax_fails_the_build(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "i18n", copy / "i18n", ignore=shutil.ignore_patterns("*.mo"))
    po = copy / "i18n" / "locales" / "pt_BR" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text(encoding="utf-8") + '\nmsgid "x\nmsgstr ""\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "i18n.catalog", "compile"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "pt_BR" in done.stderr


@pytest.mark.parametrize(
    ("tag", "amount", "shown"),
    [
        ("en", "12000.5", "USD 12,000.50"),
        ("pt-BR", "12000.5", "US$\xa012.000,50"),
        ("es", "12000.5", "12.000,50\xa0US$"),
        ("en", "0.005", "USD 0.01"),
        ("pt-BR", "1000000000", "US$\xa01.000.000.000,00"),
    ],
)
def test_money_is_written_as_its_reader_writes_it(tag: str, amount: str, shown: str) -> None:
    with i18n.speaking(tag):
        assert i18n.money(Decimal(amount)) == shown


@pytest.mark.parametrize(
    ("tag", "shown"), [("en", "2027-11-05"), ("pt-BR", "05/11/2027"), ("es", "5/11/27")]
)
def test_dates_are_in_the_short_form_of_the_locale(tag: str, shown: str) -> None:
    with i18n.speaking(tag):
        assert i18n.day(date(2027, 11, 5)) == shown


def test_numbers_and_the_decimal_comma() -> None:
    with i18n.speaking("pt-BR"):
        assert i18n.number(1234567) == "1.234.567"
        assert i18n.decimal_comma()
    assert i18n.number(1234567) == "1,234,567"
    assert not i18n.decimal_comma()


@pytest.mark.parametrize(
    ("typed", "tag"),
    [
        ("pt-BR", "pt-BR"),
        ("pt_BR", "pt-BR"),
        ("PT-br", "pt-BR"),
        ("pt", "pt-BR"),
        ("es-MX", "es"),
        ("es", "es"),
        ("en-GB", "en"),
        ("EN", "en"),
        ("de", None),
        ("", None),
        ("klingon", None),
    ],
)
def test_language_tags(typed: str, tag: str | None) -> None:
    assert i18n.language_tag(typed) == tag


def test_speaking_restores_the_language_and_refuses_unknown_ones() -> None:
    with i18n.speaking("es"):
        with i18n.speaking("pt-BR"):
            assert i18n.language() == "pt-BR"
        assert i18n.language() == "es"
    assert i18n.language() == "en"
    with pytest.raises(ValueError), i18n.speaking("de"):
        pass


def test_placeholder_names_are_found() -> None:
    assert catalogs.fields("{a} and {b} and {a}") == frozenset({"a", "b"})
    assert catalogs.fields("no fields, {{literal}}") == frozenset()
    with pytest.raises(ValueError):
        catalogs.fields("{unclosed")
